package balancer

import (
	"io"
	"mime"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"strings"
)

// The direct forward: a request the fast path or the hand-off sends
// (fastEligible: GET, HEAD or OPTIONS without a body, upgrade or Expect)
// skips httputil.ReverseProxy, whose clone of the request, its URL, header
// and context per request cost more than the rest of the hop once the
// transport is the fast path. It does for such a request what ReverseProxy
// does, in the same order: the client's Forwarded, X-Forwarded-Host and
// X-Forwarded-Proto dropped, hop-by-hop fields removed both ways, no
// User-Agent added, rewrite's headers, 1xx responses relayed, the response's
// fields, status, body (flushed as it comes when its length is unknown) and
// trailers copied, a body cut short aborting the response, errors and
// responses through the proxy's ErrorHandler and ModifyResponse. Everything
// else goes through ReverseProxy.

// directEligible reports whether handle forwards r directly.
func directEligible(r *http.Request, protocol string) bool {
	return fastEligible(r, protocol) && len(r.Header["Te"]) == 0
}

// forwardDirect forwards r, which carries its route in its context
// (withRoute) and which the caller serves and does not read again: outbound
// makes it the request to the target.
func (s *Service) forwardDirect(w http.ResponseWriter, r *http.Request) {
	routeFrom(r.Context()).client = w
	out := outbound(r)
	res, err := forwarder{s}.RoundTrip(out)
	if err != nil {
		s.proxy.ErrorHandler(w, out, err)
		return
	}
	s.respond(w, res)
}

// outbound makes r (directEligible, its route in its context) the request
// to the target, in place: ReverseProxy's rewrite of it.
func outbound(r *http.Request) *http.Request {
	out := r
	out.Body = nil
	out.RequestURI = ""
	h := out.Header
	removeHopByHop(h)
	delete(h, "Forwarded")
	delete(h, "X-Forwarded-Host")
	delete(h, "X-Forwarded-Proto")
	if _, ok := h["User-Agent"]; !ok {
		h["User-Agent"] = emptyValue // no Go default, as ReverseProxy
	}
	// out is In too: r's copy with the route in its context. rewrite reads
	// the client's X-Forwarded-For and trace id from In before it writes
	// Out's, so the shared header is read first.
	rewrite(&httputil.ProxyRequest{In: out, Out: out})
	return out
}

// respond sends the target's response to the client as ReverseProxy does.
func (s *Service) respond(w http.ResponseWriter, res *http.Response) {
	removeHopByHop(res.Header)
	_ = s.proxy.ModifyResponse(res) // never fails
	dst := w.Header()
	for k, vv := range res.Header {
		if len(dst[k]) == 0 {
			dst[k] = vv
		} else {
			dst[k] = append(dst[k], vv...)
		}
	}
	announced := len(res.Trailer)
	if announced > 0 {
		keys := make([]string, 0, announced)
		for k := range res.Trailer {
			keys = append(keys, k)
		}
		dst.Add("Trailer", strings.Join(keys, ", "))
	}
	w.WriteHeader(res.StatusCode)
	if err := s.copyBody(w, res); err != nil {
		res.Body.Close()
		// The client has part of a response: only a cut connection tells it
		// so (net/http's server and package h1 recover this).
		panic(http.ErrAbortHandler)
	}
	res.Body.Close()
	if len(res.Trailer) > 0 {
		// Chunked, so the trailers can follow the body.
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		if len(res.Trailer) == announced {
			for k, vv := range res.Trailer {
				dst[k] = append(dst[k], vv...)
			}
		} else {
			for k, vv := range res.Trailer {
				dst[http.TrailerPrefix+k] = append(dst[http.TrailerPrefix+k], vv...)
			}
		}
	}
}

var emptyValue = []string{""}

// relay1xx sends an informational response from the target to the client,
// as ReverseProxy's Got1xxResponse trace does.
func (rt *route) relay1xx(code int, header textproto.MIMEHeader) {
	h := rt.client.Header()
	for k, vv := range header {
		h[k] = vv
	}
	rt.client.WriteHeader(code)
	clear(h)
}

// copyBody copies the response body to w with a pooled buffer, flushing
// after every read when the body's length is unknown or it is an event
// stream, as ReverseProxy does with its FlushInterval unset.
func (s *Service) copyBody(w http.ResponseWriter, res *http.Response) error {
	if res.Body == http.NoBody {
		return nil
	}
	flush := res.ContentLength == -1 || eventStream(res.Header.Get("Content-Type"))
	f, _ := w.(http.Flusher)
	buf := s.proxy.BufferPool.Get()
	defer s.proxy.BufferPool.Put(buf)
	for {
		n, rerr := res.Body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return werr
			}
			if flush && f != nil {
				f.Flush()
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}

// eventStream reports whether a Content-Type is text/event-stream, as
// ReverseProxy reads it; only a value that starts so is parsed.
func eventStream(ct string) bool {
	const es = "text/event-stream"
	t := strings.TrimLeft(ct, " \t")
	if len(t) < len(es) || !strings.EqualFold(t[:len(es)], es) {
		return false
	}
	mt, _, _ := mime.ParseMediaType(ct)
	return mt == es
}

// hopByHop are the fields ReverseProxy removes from a request and a
// response (RFC 9110 7.6.1), with those the Connection field names.
var hopByHop = []string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

// hopByHopField reports whether name (canonical) is one of hopByHop
// (TestHopByHopField holds the two to the same names): a switch, as every
// field of a verbatim request and response asks.
func hopByHopField(name string) bool {
	switch name {
	case "Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
		"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade":
		return true
	}
	return false
}

func removeHopByHop(h http.Header) {
	for _, f := range h["Connection"] {
		for _, name := range strings.Split(f, ",") {
			if name = textproto.TrimString(name); name != "" {
				delete(h, http.CanonicalHeaderKey(name))
			}
		}
	}
	for _, k := range hopByHop {
		delete(h, k)
	}
}
