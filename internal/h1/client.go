package h1

import (
	"bufio"
	"errors"
	"net/http"
	"sync"

	"golang.org/x/net/http/httpguts"
)

// WriteRequest writes req, a request without a body, as http.Request's
// Write does for a client: the request line with the URL's RequestURI, Host
// (req.Host, else the URL's), User-Agent (Go's default when the header has
// none, left out when it is empty), then the other fields in key order but
// the framing ones (Content-Length, Transfer-Encoding, Trailer), which a
// request without a body does not send. It is Write without its per-request
// allocations, for a proxy's hot path.
func WriteRequest(bw *bufio.Writer, req *http.Request) error {
	if req.Body != nil && req.Body != http.NoBody || req.ContentLength != 0 {
		return errors.New("h1: WriteRequest of a request with a body")
	}
	host := req.Host
	if host == "" && req.URL != nil {
		host = req.URL.Host
	}
	if req.URL == nil || !plainHost(host) {
		return req.Write(bw) // its own rules for the rest (Punycode, zones, invalid hosts)
	}
	uri := req.URL.RequestURI()
	for i := 0; i < len(uri); i++ {
		if uri[i] < ' ' || uri[i] == 0x7f {
			return errors.New("net/http: can't write control character in Request.URL")
		}
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	_, _ = bw.WriteString(method)
	_ = bw.WriteByte(' ')
	_, _ = bw.WriteString(uri)
	_, _ = bw.WriteString(" HTTP/1.1\r\nHost: ")
	_, _ = bw.WriteString(host)
	_, _ = bw.WriteString("\r\n")
	if ua, ok := req.Header["User-Agent"]; !ok {
		_, _ = bw.WriteString("User-Agent: Go-http-client/1.1\r\n")
	} else if len(ua) > 0 && ua[0] != "" {
		_, _ = bw.WriteString("User-Agent: ")
		writeValue(bw, ua[0])
		_, _ = bw.WriteString("\r\n")
	}
	if req.Close && !httpguts.HeaderValuesContainsToken(req.Header["Connection"], "close") {
		_, _ = bw.WriteString("Connection: close\r\n")
	}
	keys := requestKeys.Get().(*[]string)
	*keys = writeFields(bw, req.Header, *keys, skipOnRequest)
	requestKeys.Put(keys)
	_, err := bw.WriteString("\r\n")
	return err
}

// plainHost reports whether Write would send host as it is: printable
// ASCII, valid, no IPv6 zone.
func plainHost(host string) bool {
	if host == "" || !httpguts.ValidHostHeader(host) {
		return false
	}
	for i := 0; i < len(host); i++ {
		if host[i] <= ' ' || host[i] >= 0x7f || host[i] == '%' {
			return false
		}
	}
	return true
}

var requestKeys = sync.Pool{New: func() any { return new([]string) }}

// skipOnRequest are the fields Request.Write writes itself or not at all.
func skipOnRequest(k string) bool {
	switch k {
	case "Host", "User-Agent", "Content-Length", "Transfer-Encoding", "Trailer":
		return true
	}
	return false
}
