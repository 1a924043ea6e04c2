package h1

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"strings"
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

// plainHost reports whether Write would send host as it is: valid (which
// is printable ASCII) and without an IPv6 zone.
func plainHost(host string) bool {
	return host != "" && httpguts.ValidHostHeader(host) && !strings.Contains(host, "%")
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

// ReadResponse reads a response to req from br as http.ReadResponse does,
// for the common case only: an HTTP/1.1 status line, header fields as
// ParseHead takes them, and a body framed by one Content-Length (or none for
// 204 and 304). Anything else, a response to HEAD, a 1xx, chunked or
// close-delimited bodies, a Trailer field, a head over br's buffer, goes to
// http.ReadResponse itself: ReadResponse consumes nothing before it decides.
func ReadResponse(br *bufio.Reader, req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodHead {
		return http.ReadResponse(br, req)
	}
	if _, err := br.Peek(1); err != nil {
		return http.ReadResponse(br, req) // its error for an empty or failed read
	}
	for {
		buf, _ := br.Peek(br.Buffered())
		res, n, err := parseResponse(buf)
		if err == nil {
			_, _ = br.Discard(n)
			res.Request = req
			if res.ContentLength > 0 {
				res.Body = &lengthBody{r: br, left: res.ContentLength}
			}
			return res, nil
		}
		if err != ErrIncomplete || len(buf) == br.Size() {
			return http.ReadResponse(br, req)
		}
		if _, err := br.Peek(len(buf) + 1); err != nil {
			return http.ReadResponse(br, req)
		}
	}
}

// parseResponse reads a response head at the start of b (see ReadResponse),
// its body left to the caller.
func parseResponse(b []byte) (*http.Response, int, error) {
	h, header, n, err := scanResponse(b, true, nil)
	if err != nil {
		return nil, 0, err
	}
	length := h.ContentLength
	if h.StatusCode == http.StatusNoContent || h.StatusCode == http.StatusNotModified {
		length = 0 // no body, whatever the field says (net/http's fixLength)
	} else if length < 0 {
		return nil, 0, ErrUnsupported // until the connection closes: http.ReadResponse
	}
	// As net/http: Pragma: no-cache implies Cache-Control: no-cache, and a
	// Connection: close is the response's Close, its field removed.
	if p := header["Pragma"]; len(p) > 0 && p[0] == "no-cache" && header["Cache-Control"] == nil {
		header["Cache-Control"] = []string{"no-cache"}
	}
	if h.Close {
		delete(header, "Connection")
	}
	return &http.Response{
		Status:        h.status,
		StatusCode:    h.StatusCode,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        header,
		Body:          http.NoBody,
		ContentLength: length,
		Close:         h.Close,
	}, n, nil
}

// ResponseHead is a response head as ReadResponse takes it (ScanResponse):
// its strings are pieces of one copy of the head.
type ResponseHead struct {
	StatusCode int
	// ContentLength is the Content-Length field's; -1 when there is none.
	ContentLength int64
	// Close: the Connection field says close.
	Close bool
	// ConnectionOptions: the Connection field names more than keep-alive
	// and close (fields a proxy must not pass on).
	ConnectionOptions bool
	// Fields are the header fields in the order sent, names canonical.
	Fields []Field
	status string // "200 OK"
}

// ScanResponse checks the response head at the start of b as ReadResponse
// takes it: an HTTP/1.1 status line of a final status (200 to 999),
// header fields as ParseHead takes them, at most one Content-Length (digits),
// no Transfer-Encoding or Trailer. It returns the head's length, or
// ErrIncomplete, or ErrUnsupported. The fields are appended to list, which
// it reuses: list's array holds the connection's previous head's fields,
// whose lines a new head repeats (eachField).
func ScanResponse(b []byte, list []Field) (ResponseHead, int, error) {
	h, _, n, err := scanResponse(b, false, list)
	return h, n, err
}

// scanResponse is ScanResponse, with the fields as net/http's header map
// instead when withHeader.
func scanResponse(b []byte, withHeader bool, list []Field) (ResponseHead, http.Header, int, error) {
	fields, n, err := headEnd(b)
	if err != nil {
		return ResponseHead{}, nil, 0, err
	}
	head := string(b[:n])
	line, rest := nextLine(head)
	status, ok := strings.CutPrefix(line, "HTTP/1.1 ")
	if !ok || len(status) < 3 || len(status) > 3 && status[3] != ' ' {
		return ResponseHead{}, nil, 0, ErrUnsupported
	}
	code := 0
	for i := 0; i < 3; i++ {
		if status[i] < '0' || status[i] > '9' {
			return ResponseHead{}, nil, 0, ErrUnsupported
		}
		code = code*10 + int(status[i]-'0')
	}
	if code < 200 {
		return ResponseHead{}, nil, 0, ErrUnsupported // 1xx: http.ReadResponse (the caller loops over them)
	}
	var header http.Header
	if withHeader {
		header = make(http.Header, fields-1)
	}
	h := ResponseHead{StatusCode: code, ContentLength: -1, status: strings.TrimLeft(status, " ")}
	// The fields of the head list held last, which the visit below
	// overwrites only at positions eachField has passed.
	prev := list[:cap(list)]
	taken := eachField(rest, prev, func(f Field) bool {
		key, value := f.Name, f.Value
		if !withHeader {
			list = append(list, f)
		}
		switch key {
		case "Content-Length":
			if h.ContentLength >= 0 || value == "" || len(value) > 18 {
				return false
			}
			length := int64(0)
			for i := 0; i < len(value); i++ {
				if value[i] < '0' || value[i] > '9' {
					return false
				}
				length = length*10 + int64(value[i]-'0')
			}
			h.ContentLength = length
		case "Transfer-Encoding", "Trailer":
			return false
		case "Connection":
			c, ok := connectionClose(value)
			if !ok {
				c = httpguts.HeaderValuesContainsToken([]string{value}, "close")
			}
			h.Close = h.Close || c
			h.ConnectionOptions = h.ConnectionOptions || !ok
		}
		if withHeader {
			header[key] = append(header[key], value)
		}
		return true
	})
	if !taken {
		return ResponseHead{}, nil, 0, ErrUnsupported
	}
	h.Fields = list
	return h, header, n, nil
}

// lengthBody is a body of a known length: ending early is
// io.ErrUnexpectedEOF, as net/http's.
type lengthBody struct {
	r    *bufio.Reader
	left int64
}

func (b *lengthBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	if b.left == 0 {
		return n, io.EOF
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

func (b *lengthBody) Close() error { return nil }
