package balancer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"sync"
	"syscall"
	"time"

	"gatehouse/internal/handoff"
	"gatehouse/internal/listen"
)

// In-process hand-off (Deps.Handoff; package handoff): the accelerator gives
// a node's listener its client connections without a socket (L4,
// handoffListener), and a request forwarded to a target this process serves,
// an interface endpoint, runs through the endpoint's entry instead of an
// HTTPS connection (L7, forwarder.tryInProcess). Everything around the hop
// is the socket path's: the same ReverseProxy rewrite, response handling,
// retries, per-try timeouts, passive health, error classes, metrics and
// logs; only the innermost round trip differs.

// acceptHandoffs makes l, the PROXY-protocol listener of the node socket
// sock, also accept the connections handed to sock's address in process, for
// as long as l is open. A handed-off connection skips the PROXY header: its
// RemoteAddr is the client address the accelerator gives, as the header
// would have said.
func (s *Service) acceptHandoffs(l net.Listener, sock net.Listener) net.Listener {
	addr, ok := handoff.AddrPortOf(sock.Addr())
	if !s.d.Handoff.Enabled() || !ok {
		return l
	}
	hl := &handoffListener{Listener: l, handed: make(chan net.Conn), accepted: make(chan acceptResult), done: make(chan struct{})}
	hl.remove = s.d.Handoff.AddConn(addr, hl.take)
	go hl.pump()
	return hl
}

// handoffListener merges the socket's Accept with connections handed over in
// process. pump runs the socket's Accept on its own goroutine so Accept can
// wait for either.
type handoffListener struct {
	net.Listener
	handed   chan net.Conn
	accepted chan acceptResult
	done     chan struct{} // closed by Close: take refuses from then on
	once     sync.Once
	remove   func()
}

type acceptResult struct {
	c   net.Conn
	err error
}

func (l *handoffListener) pump() {
	for {
		c, err := l.Listener.Accept()
		select {
		case l.accepted <- acceptResult{c, err}:
		case <-l.done:
			if c != nil {
				c.Close()
			}
			return
		}
		if err != nil && errors.Is(err, net.ErrClosed) {
			return
		}
	}
}

func (l *handoffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.handed:
		return c, nil
	case r := <-l.accepted:
		return r.c, r.err
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// take is the node's L4 entry: it hands c to the server's Accept, or reports
// false once the listener is closed (the socket went away or drains).
func (l *handoffListener) take(c net.Conn, source netip.AddrPort) bool {
	hc := &handedConn{Conn: listen.OpeningConn(c), remote: net.TCPAddrFromAddrPort(source)} // no delayed-ACK stall (listen.Opening)
	select {
	case l.handed <- hc:
		return true
	case <-l.done:
		return false
	}
}

func (l *handoffListener) Close() error {
	l.once.Do(func() {
		l.remove()
		close(l.done)
	})
	return l.Listener.Close()
}

// handedConn is a client connection handed over in process, with the
// client's address as a PROXY header would have given it.
type handedConn struct {
	net.Conn
	remote net.Addr
}

func (c *handedConn) RemoteAddr() net.Addr { return c.remote }

// inProcessTarget returns the L7 entry of t's address when this process
// serves it (an interface endpoint).
func (s *Service) inProcessTarget(t *target) (handoff.RequestHandler, bool) {
	if !s.d.Handoff.Enabled() {
		return nil, false
	}
	return s.d.Handoff.Request(t.ap)
}

// tryInProcess is forwarder.try for a target this process serves: the
// request runs through the target's L7 entry as the target's server would
// see it over HTTPS from the node (serverRequest), and the answer comes back
// as http.Transport would return it (inProcessWriter), so the forwarder's
// per-try timeouts, retries, passive health and latency apply unchanged.
// The entry's refusals look like the socket's failures: ErrRefused (the
// endpoint's security group) as a failed TLS handshake, ErrUnavailable
// (nothing serves the address any more) as a refused connection, which the
// forwarder retries elsewhere.
func (f forwarder) tryInProcess(rt *route, req *http.Request, serve handoff.RequestHandler, perTry time.Duration) (*http.Response, error) {
	node, err := netip.ParseAddr(rt.node)
	if err != nil {
		return nil, fmt.Errorf("node address %q: %w", rt.node, err)
	}
	wait := responseTimeout
	if perTry > 0 {
		wait = perTry
	}
	dst := rt.target.ap
	res, err := roundTripInProcess(req, serve, handoff.Peer{Source: netip.AddrPortFrom(node, 0), Local: dst}, wait)
	switch {
	case errors.Is(err, handoff.ErrUnavailable):
		return nil, &net.OpError{Op: "dial", Net: "tcp", Addr: net.TCPAddrFromAddrPort(dst), Err: syscall.ECONNREFUSED}
	case perTry > 0 && errors.Is(err, errResponseTimeout):
		return nil, errPerTryTimeout
	}
	return res, err
}

// roundTripInProcess serves req through serve as http.Transport would send
// it to the server at from.Local and read the answer, waiting at most
// timeout for the response headers.
func roundTripInProcess(req *http.Request, serve handoff.RequestHandler, from handoff.Peer, timeout time.Duration) (*http.Response, error) {
	ctx, cancel := context.WithCancel(req.Context())
	in := serverRequest(ctx, req)
	w := newInProcessWriter(req, cancel, in.Method == http.MethodHead)
	inProcessWorkers.run(func() { w.run(serve, in, from) })
	timer := timers.Get().(*time.Timer)
	timer.Reset(timeout)
	defer func() {
		timer.Stop() // since Go 1.23 nothing stale stays in its channel
		timers.Put(timer)
	}()
	select {
	case r := <-w.ready:
		if r.err != nil {
			cancel()
			return nil, r.err
		}
		return r.res, nil
	case <-timer.C:
		w.abandon()
		return nil, errResponseTimeout
	case <-req.Context().Done():
		w.abandon()
		return nil, req.Context().Err()
	}
}

// timers are stopped timers for roundTripInProcess's wait: a timer per
// request was a fifth of the hand-off's allocations.
var timers = sync.Pool{New: func() any {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}}

// inProcessWorkers run in-process handlers on goroutines that outlive a
// request: the gateway's handler needs a deeper stack than a new goroutine
// starts with, and growing (copying) it on every request cost ~5% of the
// chain.
var inProcessWorkers = &workers{jobs: make(chan func())}

// workers is a pool of goroutines: a job goes to an idle one, or to a new
// one when none is idle; a worker idle for workerIdle exits.
type workers struct{ jobs chan func() }

const workerIdle = 10 * time.Second

func (p *workers) run(job func()) {
	select {
	case p.jobs <- job:
	default:
		go p.work(job)
	}
}

func (p *workers) work(job func()) {
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		job()
		idle.Reset(workerIdle)
		select {
		case job = <-p.jobs:
		case <-idle.C:
			return
		}
	}
}

// errResponseTimeout is http.Transport's ResponseHeaderTimeout, a timeout
// (classify: 504).
var errResponseTimeout error = &timeoutError{"in-process target: timeout awaiting response headers"}

type timeoutError struct{ msg string }

func (e *timeoutError) Error() string   { return e.msg }
func (e *timeoutError) Timeout() bool   { return true }
func (e *timeoutError) Temporary() bool { return true }

// serverRequest is out, the request the proxy would write to the target, as
// the target's http.Server would read it from the wire: the path and query
// parsed from the request line, the Host line in Host, the framing headers
// http.Transport writes (Content-Length, chunked), an empty User-Agent left
// out. Accept-Encoding is the client's, or none: the balancer's transport
// adds none (DisableCompression, as ALB: newTransport). The entry sets
// RemoteAddr and TLS.
func serverRequest(ctx context.Context, out *http.Request) *http.Request {
	uri := out.URL.RequestURI()
	// The URL a server parses from that line has the outbound URL's path
	// and query (RequestURI writes them as EscapedPath and RawQuery, which
	// parse back to the same); an opaque URL's line is parsed.
	u := &url.URL{Path: out.URL.Path, RawPath: out.URL.RawPath, RawQuery: out.URL.RawQuery, ForceQuery: out.URL.ForceQuery}
	if out.URL.Opaque != "" {
		if parsed, err := url.ParseRequestURI(uri); err == nil {
			u = parsed
		}
	}
	h := make(http.Header, len(out.Header)+2)
	for k, v := range out.Header {
		h[http.CanonicalHeaderKey(k)] = v
	}
	if ua, ok := h["User-Agent"]; !ok {
		h["User-Agent"] = []string{"Go-http-client/1.1"} // the transport's default; the proxy always sets one
	} else if len(ua) == 0 || ua[0] == "" {
		delete(h, "User-Agent")
	}
	host := out.Host
	if host == "" {
		host = out.URL.Host
	}
	in := &http.Request{
		Method: out.Method, URL: u, RequestURI: uri, Host: host, Header: h,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Body: out.Body, ContentLength: out.ContentLength, Trailer: out.Trailer,
	}
	switch {
	case out.Body == nil || out.Body == http.NoBody:
		in.Body, in.ContentLength = http.NoBody, 0
		if out.Method == http.MethodPost || out.Method == http.MethodPut || out.Method == http.MethodPatch {
			h["Content-Length"] = []string{"0"}
		}
	case out.ContentLength < 0:
		in.TransferEncoding = []string{"chunked"}
		delete(h, "Content-Length")
	default:
		h["Content-Length"] = []string{strconv.FormatInt(out.ContentLength, 10)}
	}
	return in.WithContext(ctx)
}

// chunkingBuffer is what net/http's server buffers of a response before it
// sends the headers: a handler that returns within it gets a Content-Length,
// a longer or flushed response streams with unknown length (chunked).
const chunkingBuffer = 2048

// sniffLen is how much of a response http.DetectContentType looks at.
const sniffLen = 512

// inProcessWriter is the target server's ResponseWriter for an in-process
// request, and the transport's response: it frames the response as
// net/http's server would (Content-Length for a short body the handler
// finished, a sniffed Content-Type, streaming past chunkingBuffer or on
// Flush) and delivers it as http.Transport would (headers over ALB's limit
// are an error; the body as the handler encoded it).
type inProcessWriter struct {
	req    *http.Request // the proxy's outbound request: Response.Request
	cancel context.CancelFunc
	head   bool
	ready  chan ready // one value: the response, or why there is none

	h      http.Header
	mu     sync.Mutex
	status int
	header http.Header // the handler's header as of WriteHeader
	buf    []byte
	sent   bool // ready has its value
	gone   bool // the proxy stopped waiting or reading: writes fail
	pw     *io.PipeWriter
}

type ready struct {
	res *http.Response
	err error
}

func newInProcessWriter(req *http.Request, cancel context.CancelFunc, head bool) *inProcessWriter {
	return &inProcessWriter{req: req, cancel: cancel, head: head, ready: make(chan ready, 1)}
}

// run serves in through the entry and finishes the response; a handler that
// panics fails the request as a server's dropped connection would. The
// handler's context ends when it returns, as a server's request context
// does: it is a child of the client connection's, and a child never
// cancelled stays registered there, with everything it holds, for as long
// as the client keeps the connection.
func (w *inProcessWriter) run(serve handoff.RequestHandler, in *http.Request, from handoff.Peer) {
	defer w.cancel()
	defer func() {
		if p := recover(); p != nil {
			w.fail(errors.New("in-process target: handler panicked"))
		}
	}()
	if err := serve(w, in, from); err != nil {
		if errors.Is(err, handoff.ErrRefused) {
			// Over a socket the endpoint closes the connection before the
			// TLS handshake: a handshake failure, 502 without a retry.
			err = &handshakeError{err}
		}
		w.fail(err)
		return
	}
	w.finish()
}

func (w *inProcessWriter) Header() http.Header {
	if w.h == nil {
		w.h = http.Header{} // after WriteHeader: changes no longer matter
	}
	return w.h
}

func (w *inProcessWriter) WriteHeader(code int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writeHeaderLocked(code)
}

func (w *inProcessWriter) writeHeaderLocked(code int) {
	if w.status != 0 || code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		return // informational responses are not relayed; a second call is ignored, as by net/http
	}
	w.status = code
	// The response takes the handler's header as it is now; the handler's
	// later changes go to a new one (Header), as a server's would not be sent.
	w.header, w.h = w.h, nil
	if w.header == nil {
		w.header = http.Header{}
	}
}

func (w *inProcessWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	if w.status == 0 {
		w.writeHeaderLocked(http.StatusOK)
	}
	if w.gone {
		w.mu.Unlock()
		return 0, io.ErrClosedPipe
	}
	if !bodyAllowed(w.status) {
		w.mu.Unlock()
		return 0, http.ErrBodyNotAllowed
	}
	if w.head && w.sent {
		w.mu.Unlock()
		return len(b), nil // the headers went: the rest of a HEAD body is dropped
	}
	if !w.sent && len(w.buf)+len(b) <= chunkingBuffer {
		// Kept even for HEAD: the server counts it into Content-Length.
		w.buf = append(w.buf, b...)
		w.mu.Unlock()
		return len(b), nil
	}
	pw := w.streamLocked(b)
	w.mu.Unlock()
	if pw == nil {
		return 0, io.ErrClosedPipe
	}
	return pw.Write(b)
}

// Flush sends the headers and what is buffered, as a server's Flush does.
func (w *inProcessWriter) Flush() {
	w.mu.Lock()
	if w.status == 0 {
		w.writeHeaderLocked(http.StatusOK)
	}
	if !w.gone && !w.sent {
		w.streamLocked(nil)
	}
	w.mu.Unlock()
}

// streamLocked sends the response with a streamed body (unknown length
// unless the handler set one) and queues what was buffered; it returns the
// pipe to write the rest into, nil when the proxy is gone. next is the write
// that overflowed the buffer, if any: the server sniffs a missing
// Content-Type from what it sends first, the buffer and then next.
func (w *inProcessWriter) streamLocked(next []byte) *io.PipeWriter {
	if w.gone {
		return nil
	}
	if w.sent {
		return w.pw
	}
	pr, pw := io.Pipe()
	w.pw = pw
	var body io.Reader = pr
	if len(w.buf) > 0 {
		body = io.MultiReader(bytes.NewReader(w.buf), pr) // what was buffered goes first
	}
	sniff := w.buf
	if len(sniff) < sniffLen && len(next) > 0 {
		sniff = append(sniff[:len(sniff):len(sniff)], next[:min(len(next), sniffLen-len(sniff))]...)
	}
	w.deliverLocked(w.responseLocked(-1, &inProcessBody{r: body, pr: pr, w: w}, sniff))
	if w.gone {
		return nil // refused (headers over the limit): nobody reads the pipe
	}
	return pw
}

// finish ends the response once the handler returned.
func (w *inProcessWriter) finish() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.status == 0 {
		w.writeHeaderLocked(http.StatusOK)
	}
	if w.sent {
		if w.pw != nil {
			w.pw.Close()
		}
		return
	}
	if w.gone {
		return
	}
	n := len(w.buf)
	if bodyAllowed(w.status) && w.header.Get("Content-Length") == "" && w.header.Get("Transfer-Encoding") == "" && (!w.head || n > 0) {
		w.header.Set("Content-Length", strconv.Itoa(n))
	}
	var body io.ReadCloser = http.NoBody
	if n > 0 {
		body = &inProcessBody{r: bytes.NewReader(w.buf), w: w}
	}
	w.deliverLocked(w.responseLocked(int64(n), body, w.buf))
}

// responseLocked is the response as http.Transport returns it. length is
// the body's when known, else the handler's Content-Length if any, else -1.
func (w *inProcessWriter) responseLocked(length int64, body io.ReadCloser, sniff []byte) *http.Response {
	h := w.header
	if _, typed := h["Content-Type"]; !typed && bodyAllowed(w.status) && len(sniff) > 0 && h.Get("Content-Encoding") == "" && h.Get("Transfer-Encoding") == "" {
		h.Set("Content-Type", http.DetectContentType(sniff))
	}
	if cl := h.Get("Content-Length"); cl != "" {
		if v, err := strconv.ParseInt(cl, 10, 64); err == nil {
			length = v
		}
	}
	if w.head || !bodyAllowed(w.status) {
		// A HEAD response keeps the length it announces, as the transport
		// reads it from the header; it has no body.
		body = http.NoBody
		if !w.head {
			length = 0
		}
	}
	return &http.Response{
		Status: strconv.Itoa(w.status) + " " + http.StatusText(w.status), StatusCode: w.status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, ContentLength: length, Request: w.req, Body: body,
	}
}

func (w *inProcessWriter) deliverLocked(res *http.Response) {
	if headerBytes(res.Header) > maxResponseHeaders {
		w.gone = true
		w.sent = true
		if w.pw != nil {
			w.pw.CloseWithError(io.ErrClosedPipe)
		}
		w.ready <- ready{err: errors.New("in-process target: response headers exceed the limit")}
		return
	}
	w.sent = true
	w.ready <- ready{res: res}
}

// fail answers the transport with err if no response went yet, else cuts
// the body short, as a dropped connection would.
func (w *inProcessWriter) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.sent {
		w.sent, w.gone = true, true
		w.ready <- ready{err: err}
		return
	}
	if w.pw != nil {
		w.pw.CloseWithError(io.ErrUnexpectedEOF)
	}
}

// abandon is the proxy giving up on the response (timeout, client gone):
// the handler's context ends and its writes fail, as over a closed
// connection.
func (w *inProcessWriter) abandon() {
	w.mu.Lock()
	w.gone = true
	if w.pw != nil {
		w.pw.CloseWithError(io.ErrClosedPipe)
	}
	w.mu.Unlock()
	w.cancel()
}

// inProcessBody is the response body: closing it (the proxy is done or the
// client went away) ends the handler's context, as closing a connection does.
type inProcessBody struct {
	r  io.Reader
	pr *io.PipeReader // nil: the body was complete when the headers went
	w  *inProcessWriter
}

func (b *inProcessBody) Read(p []byte) (int, error) { return b.r.Read(p) }

func (b *inProcessBody) Close() error {
	b.w.mu.Lock()
	b.w.gone = true
	b.w.mu.Unlock()
	if b.pr != nil {
		b.pr.CloseWithError(io.ErrClosedPipe)
	}
	b.w.cancel()
	return nil
}

// bodyAllowed is net/http's rule: no body for 1xx, 204 and 304.
func bodyAllowed(code int) bool {
	return !(code >= 100 && code < 200 || code == http.StatusNoContent || code == http.StatusNotModified)
}

// headerBytes is the size of h on an HTTP/1.1 wire, as the transport's
// MaxResponseHeaderBytes counts it (roughly: names, values, separators).
func headerBytes(h http.Header) int {
	n := 0
	for k, vs := range h {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}
