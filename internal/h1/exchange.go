package h1

import (
	"bufio"
	"context"
	"crypto/tls"
	"net/http"
)

// Exchange is one request offered to Conn.Direct before Serve builds its
// *http.Request. Direct answers it in one of two ways: through Writer, as a
// handler does (Serve then finishes the response), or by writing a whole
// response to Out itself, for a proxy that passes a response's bytes on
// instead of building it again. Direct may also decline it: Handler serves it
// then, as any other request.
type Exchange struct {
	Head Head
	// Context is the request's context: it ends when the client goes away
	// or the connection closes. Direct may add values to it before it
	// calls Request: the request carries them.
	Context    context.Context
	RemoteAddr string

	c         *Conn
	w         *response
	tls       *tls.ConnectionState
	req       *http.Request // built by Request
	answered  bool          // Writer was called
	written   bool          // Out was called
	keepAlive bool          // Done: the response written to Out lets the connection go on
}

// Request is the request Serve would have given Handler (built once).
func (x *Exchange) Request() *http.Request {
	if x.req == nil {
		var req http.Request
		// Serve offers only heads whose target parses: build cannot fail.
		_ = x.Head.build(&req, x.Head.header())
		req.RemoteAddr = x.RemoteAddr
		req.TLS = x.tls
		x.req = req.WithContext(x.Context)
	}
	return x.req
}

// Writer is the request's response writer, as Handler gets it.
func (x *Exchange) Writer() http.ResponseWriter {
	x.answered = true
	return x.w
}

// Out is the client's buffered writer, for a response Direct writes whole
// itself; Done tells Serve whether the connection may go on after it.
func (x *Exchange) Out() *bufio.Writer {
	x.written = true
	return x.w.bw
}

// Closing reports whether the response must end the connection (say
// Connection: close): the client asked, or the server stops.
func (x *Exchange) Closing() bool { return x.Head.Close || x.c.stop.Load() }

// Done ends a response written to Out: it flushes Out, and keepAlive says
// whether the connection may serve another request (false: Serve closes it,
// for a response cut short or one that said close).
func (x *Exchange) Done(keepAlive bool) error {
	x.keepAlive = keepAlive
	err := x.w.bw.Flush()
	if err != nil {
		x.keepAlive = false
	}
	return err
}

// serve offers x to Direct, and to Handler when Direct declines; it reports
// whether the connection may serve another request.
func (x *Exchange) serve() bool {
	if x.c.Direct(x) {
		if x.answered {
			return x.w.finish() == nil
		}
		return x.written && x.keepAlive
	}
	if x.written {
		return false // declined after writing: nothing can frame what follows
	}
	x.c.Handler.ServeHTTP(x.w, x.Request())
	return x.w.finish() == nil
}

// verbatimTarget reports whether an origin-form target (printable ASCII
// without spaces, as ParseHead takes it) parses as a request URI and is
// written back as it is by URL.RequestURI: a path of unreserved characters,
// sub-delimiters, ':', '@', '/' and well-formed percent escapes, and any
// query. A proxy may then send the target on as received.
func verbatimTarget(target string) bool {
	for i := 0; i < len(target); i++ {
		c := target[i]
		switch {
		case c == '?':
			return true
		case c == '%':
			if i+2 >= len(target) || !ishex(target[i+1]) || !ishex(target[i+2]) {
				return false
			}
			i += 2
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		default:
			switch c {
			case '-', '.', '_', '~', '/', '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=', ':', '@':
			default:
				return false
			}
		}
	}
	return true
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
