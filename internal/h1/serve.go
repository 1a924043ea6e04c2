package h1

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http/httpguts"
)

// MaxHead is the largest request head Serve reads itself (its read
// buffer): a larger one goes to the fallback, where net/http's limits judge
// it.
const MaxHead = readBufferSize

// Sizes of a connection's buffers.
const (
	readBufferSize  = 8 << 10
	writeBufferSize = 4 << 10
	// bodyBufferSize is how much of a body the response holds before it
	// commits to its headers: a handler that writes less in all gets a
	// Content-Length, one that writes more a chunked body (net/http's
	// bufferBeforeChunkingSize).
	bodyBufferSize = 2 << 10
)

// Conn is one client connection served by Serve.
type Conn struct {
	// Conn is the connection: a *tls.Conn whose handshake is done, or a
	// plain one.
	Conn net.Conn
	// Context is every request's context: it should end when the
	// connection's server stops.
	Context context.Context
	// Handler serves each request Serve takes.
	Handler http.Handler
	// Fallback serves the connection from the first request Serve does not
	// take, to its end; the connection it gets reads the bytes Serve read
	// and did not serve first. A *tls.Conn's fallback gets a plain
	// net.Conn: net/http then serves it as HTTP/1.1 without TLS facts.
	Fallback func(net.Conn)
	// HeaderTimeout bounds reading a request head from its first byte (and
	// the first head from the start).
	HeaderTimeout time.Duration
	// Log gets a handler's panic.
	Log *slog.Logger
	// Idle, when set, is told whether the connection waits between
	// requests (true) or serves one (false), for a graceful stop (Closer).
	Idle func(idle bool)
	// Direct, when set, is offered each request before Serve builds its
	// *http.Request, when the request's target is one net/http would send
	// on as it is (Exchange); it reports whether it served the request.
	// Handler serves the requests it declines.
	Direct func(x *Exchange) bool
	// stop, set by Stop, makes the connection close after the response in
	// flight.
	stop atomic.Bool
	idle atomic.Bool // for Server: waiting between requests
}

// Stop makes Serve close the connection once the response in flight (if
// any) is written, as net/http's Shutdown does with keep-alive connections.
// The caller closes an idle connection itself.
func (c *Conn) Stop() { c.stop.Store(true) }

var bufReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, readBufferSize) }}
var bufWriters = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, writeBufferSize) }}

// Serve serves c.Conn until it closes, either side asks to, a head is not
// taken (then c.Fallback has the connection) or a read fails. It closes the
// connection unless the fallback has it.
func Serve(c *Conn) {
	br := bufReaders.Get().(*bufio.Reader)
	br.Reset(c.Conn)
	bw := bufWriters.Get().(*bufio.Writer)
	bw.Reset(c.Conn)
	handedOver := false
	defer func() {
		if !handedOver {
			c.Conn.Close()
			br.Reset(nil)
			bufReaders.Put(br)
		}
		bw.Reset(nil)
		bufWriters.Put(bw)
	}()
	remote := c.Conn.RemoteAddr().String()
	var state *tls.ConnectionState
	if tc, ok := c.Conn.(*tls.Conn); ok {
		cs := tc.ConnectionState()
		state = &cs
	}
	w := &response{bw: bw, header: http.Header{}, stop: &c.stop}
	// The requests' context ends with the connection, as net/http's: what a
	// request registers on it (context.AfterFunc) stays with this
	// connection, not with the server's context all connections share.
	ctx, cancel := context.WithCancel(c.Context)
	defer cancel()
	watch := newWatch(c.Conn, br, cancel) // a client gone mid-request cancels ctx
	defer watch.close()
	deadline := time.Now().Add(c.HeaderTimeout) // the first head counts from the start
	var head http.Request                       // parsed into, then copied with the context
	var x Exchange                              // the request offered to Direct
	var fields []Field                          // the head's for Direct, reused
	for {
		h, header, n, err := readHead(c.Conn, br, deadline, c.HeaderTimeout, c.Direct == nil, fields[:0])
		fields = h.Fields
		direct := err == nil && header == nil && verbatimTarget(h.Target)
		if err == nil && !direct {
			if header == nil {
				header = h.header()
			}
			err = h.build(&head, header)
		}
		if errors.Is(err, ErrUnsupported) {
			handedOver = true
			c.Fallback(&bufferedConn{Conn: c.Conn, br: br})
			return
		}
		if err != nil {
			return
		}
		_, _ = br.Discard(n)
		deadline = time.Time{}
		if c.Idle != nil {
			c.Idle(false)
		}
		watch.start()
		var ok bool
		if direct {
			x = Exchange{Head: h, Context: ctx, RemoteAddr: remote, c: c, w: w, tls: state}
			w.reset(h.Method, h.Close)
			ok = serveOne(c, remote, func() bool { return x.serve() })
		} else {
			head.RemoteAddr = remote
			head.TLS = state
			req := head.WithContext(ctx)
			w.reset(req.Method, req.Close)
			ok = serveOne(c, remote, func() bool {
				c.Handler.ServeHTTP(w, req)
				return w.finish() == nil
			})
		}
		if gone := watch.stop(); gone || !ok || w.closeAfter || c.stop.Load() {
			return
		}
		if c.Idle != nil {
			c.Idle(true)
		}
		if c.stop.Load() {
			return
		}
	}
}

// readHead reads the next request head from br, and its header map when
// withHeader: it waits for the first byte without a deadline (the
// connection's idle timeout is its owner's), unless deadline is set (the
// first request), then for the rest of the head at most timeout; else its
// fields, appended to list. The head stays in br: n is its length.
func readHead(conn net.Conn, br *bufio.Reader, deadline time.Time, timeout time.Duration, withHeader bool, list []Field) (h Head, header http.Header, n int, err error) {
	if !deadline.IsZero() {
		if err := conn.SetReadDeadline(deadline); err != nil {
			return h, nil, 0, err
		}
	}
	if _, err := br.Peek(1); err != nil {
		return h, nil, 0, err
	}
	for {
		buf, _ := br.Peek(br.Buffered())
		h, header, n, err = scanHead(buf, withHeader, list)
		if err == nil {
			if !deadline.IsZero() {
				err = conn.SetReadDeadline(time.Time{})
			}
			return h, header, n, err
		}
		if !errors.Is(err, ErrIncomplete) {
			return h, nil, 0, err
		}
		if len(buf) == br.Size() {
			return h, nil, 0, ErrUnsupported // larger than the buffer: net/http's limits judge it
		}
		if deadline.IsZero() {
			deadline = time.Now().Add(timeout)
			if err := conn.SetReadDeadline(deadline); err != nil {
				return h, nil, 0, err
			}
		}
		if _, err := br.Peek(len(buf) + 1); err != nil {
			return h, nil, 0, err
		}
	}
}

// serveOne runs serve, which answers one request, and reports whether the
// connection may serve another: not when serve says so, nor after a panic
// (http.ErrAbortHandler cuts the connection quietly, any other is logged).
func serveOne(c *Conn, remote string, serve func() bool) (ok bool) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				ok = false
				return
			}
			buf := make([]byte, 64<<10)
			buf = buf[:runtime.Stack(buf, false)]
			if c.Log != nil {
				c.Log.Error("handler panic", "remote", remote, "panic", fmt.Sprint(p), "stack", string(buf))
			}
			ok = false
		}
	}()
	return serve()
}

// bufferedConn is a connection whose first bytes were read into br.
type bufferedConn struct {
	net.Conn
	br *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) {
	if c.br == nil {
		return c.Conn.Read(p)
	}
	if c.br.Buffered() == 0 {
		// Drained: from now on straight from the connection, and the
		// buffer goes back to the pool.
		br := c.br
		c.br = nil
		br.Reset(nil)
		bufReaders.Put(br)
		return c.Conn.Read(p)
	}
	return c.br.Read(p)
}

// NetConn is the connection under the buffer (as tls.Conn's).
func (c *bufferedConn) NetConn() net.Conn { return c.Conn }

// response is the http.ResponseWriter of one request at a time on a
// connection (reset between them).
type response struct {
	bw     *bufio.Writer
	header http.Header
	stop   *atomic.Bool // the server stops: the response says close

	status      int
	wroteHeader bool // WriteHeader called with a final status
	committed   bool // the status line and headers are in bw
	chunked     bool
	noBody      bool // 1xx, 204, 304: nothing to send, a write fails
	head        bool // HEAD: writes are counted, not sent
	declared    int64
	written     int64
	closeAfter  bool
	err         error
	body        [bodyBufferSize]byte
	nbody       int

	keys     []string // scratch for sorting header keys
	trailers []string // declared in Trailer when the headers went
}

// reset readies w for the next request.
// Each field is set on its own: a struct literal would clear body's 2 KiB
// too, for every request.
func (w *response) reset(method string, closeConn bool) {
	clear(w.header)
	w.status, w.wroteHeader, w.committed, w.chunked, w.noBody = 0, false, false, false, false
	w.head, w.declared, w.written, w.closeAfter, w.err, w.nbody = method == http.MethodHead, -1, 0, closeConn, nil, 0
	w.keys, w.trailers = w.keys[:0], w.trailers[:0]
}

func (w *response) Header() http.Header { return w.header }

func (w *response) WriteHeader(code int) {
	if w.wroteHeader || w.err != nil {
		return
	}
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols {
		// An informational response goes out now; the final one follows.
		w.writeStatus(code)
		w.writeHeaderFields(false)
		_, _ = w.bw.WriteString("\r\n")
		w.err = w.bw.Flush()
		return
	}
	w.wroteHeader = true
	w.status = code
	if cl := w.header.Get("Content-Length"); cl != "" {
		if n, err := strconv.ParseInt(cl, 10, 64); err == nil && n >= 0 {
			w.declared = n
		} else {
			w.header.Del("Content-Length") // as net/http: an invalid one is not sent
		}
	}
	w.noBody = !bodyAllowed(code)
}

func (w *response) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.err != nil {
		return 0, w.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if w.noBody {
		return 0, http.ErrBodyNotAllowed
	}
	if w.declared >= 0 && w.written+int64(len(p)) > w.declared {
		return 0, http.ErrContentLength
	}
	w.written += int64(len(p))
	if !w.committed {
		if w.nbody+len(p) <= len(w.body) {
			w.nbody += copy(w.body[w.nbody:], p)
			return len(p), nil
		}
		w.commit(false, p)
	}
	if w.head {
		return len(p), nil // as net/http: counted, not sent
	}
	return len(p), w.writeBody(p)
}

// Flush sends what the handler wrote so far (http.Flusher).
func (w *response) Flush() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.err != nil {
		return
	}
	if !w.committed {
		w.commit(false, nil)
	}
	w.err = w.bw.Flush()
}

// commit writes the status line and headers, and the body held so far.
// done says the handler returned: a body it wrote whole gets its length.
// next is the write that did not fit the buffer, if any: with the buffer, a
// missing Content-Type is sniffed from it.
func (w *response) commit(done bool, next []byte) {
	w.committed = true
	h := w.header
	for _, v := range h["Trailer"] {
		for _, k := range strings.Split(v, ",") {
			if k = strings.TrimSpace(k); k != "" {
				w.trailers = append(w.trailers, http.CanonicalHeaderKey(k))
			}
		}
	}
	// The fields the server adds go out after the handler's, as net/http's
	// do, straight into the buffer: the handler's map is not touched.
	var length = -1
	if w.declared < 0 && !w.noBody {
		switch {
		case done && len(w.trailers) == 0 && (!w.head || w.nbody > 0):
			length = w.nbody
		case !w.head:
			w.chunked = true
		}
	}
	ctype := ""
	if _, ok := h["Content-Type"]; !ok && !w.noBody && (w.nbody > 0 || len(next) > 0) {
		sniff := w.body[:w.nbody]
		if w.nbody == 0 {
			sniff = next[:min(len(next), 512)]
		}
		ctype = http.DetectContentType(sniff)
	}
	w.closeAfter = w.closeAfter || w.stop.Load() || httpguts.HeaderValuesContainsToken(h["Connection"], "close")
	if w.declared < 0 && !w.chunked && !done && !w.head && !w.noBody {
		w.closeAfter = true // no length and no chunking: the close ends the body
	}
	bw := w.bw
	w.writeStatus(w.status)
	w.writeHeaderFields(true)
	if length >= 0 {
		_, _ = bw.WriteString("Content-Length: ")
		_, _ = bw.Write(strconv.AppendInt(bw.AvailableBuffer(), int64(length), 10))
		_, _ = bw.WriteString("\r\n")
	}
	if w.chunked {
		_, _ = bw.WriteString("Transfer-Encoding: chunked\r\n")
	}
	if ctype != "" {
		_, _ = bw.WriteString("Content-Type: ")
		_, _ = bw.WriteString(ctype)
		_, _ = bw.WriteString("\r\n")
	}
	if w.closeAfter {
		_, _ = bw.WriteString("Connection: close\r\n")
	}
	if _, ok := h["Date"]; !ok {
		_, _ = bw.WriteString("Date: ")
		_, _ = bw.WriteString(Date())
		_, _ = bw.WriteString("\r\n")
	}
	_, _ = bw.WriteString("\r\n")
	if w.nbody > 0 && !w.head {
		n := w.nbody
		w.nbody = 0
		w.err = w.writeBody(w.body[:n])
	}
}

func (w *response) writeBody(p []byte) error {
	if w.err != nil {
		return w.err
	}
	if w.chunked {
		_, _ = w.bw.WriteString(strconv.FormatInt(int64(len(p)), 16))
		_, _ = w.bw.WriteString("\r\n")
		_, _ = w.bw.Write(p)
		_, err := w.bw.WriteString("\r\n")
		return err
	}
	_, err := w.bw.Write(p)
	return err
}

// finish completes the response after the handler returned.
func (w *response) finish() error {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.err != nil {
		return w.err
	}
	if !w.committed {
		w.commit(true, nil)
	}
	if w.chunked {
		_, _ = w.bw.WriteString("0\r\n")
		w.writeTrailers()
		_, _ = w.bw.WriteString("\r\n")
	}
	if w.declared >= 0 && !w.noBody && !w.head && w.written != w.declared {
		// Shorter than declared: the client cannot frame what follows.
		w.closeAfter = true
	}
	if w.err == nil {
		w.err = w.bw.Flush()
	}
	return w.err
}

// writeTrailers writes the trailer fields as net/http does: the values of
// the fields declared in Trailer when the headers went, and the fields set
// under http.TrailerPrefix.
func (w *response) writeTrailers() {
	t := http.Header{}
	for _, k := range w.trailers {
		for _, v := range w.header[k] {
			t.Add(k, v)
		}
	}
	for k, vv := range w.header {
		if name, ok := strings.CutPrefix(k, http.TrailerPrefix); ok {
			t[http.CanonicalHeaderKey(name)] = append(t[http.CanonicalHeaderKey(name)], vv...)
		}
	}
	w.keys = writeFields(w.bw, t, w.keys, func(k string) bool {
		return k == "Content-Length" || k == "Transfer-Encoding" || k == "Trailer"
	})
}

func (w *response) writeStatus(code int) { WriteStatusLine(w.bw, code) }

// WriteStatusLine writes the status line net/http's server writes for code.
func WriteStatusLine(bw *bufio.Writer, code int) {
	if code >= 0 && code < len(statusLines) && statusLines[code] != "" {
		_, _ = bw.WriteString(statusLines[code])
		return
	}
	_, _ = bw.WriteString("HTTP/1.1 ")
	if text := http.StatusText(code); text != "" {
		_, _ = bw.Write(strconv.AppendInt(bw.AvailableBuffer(), int64(code), 10))
		_ = bw.WriteByte(' ')
		_, _ = bw.WriteString(text)
	} else {
		_, _ = fmt.Fprintf(bw, "%03d status code %d", code, code)
	}
	_, _ = bw.WriteString("\r\n")
}

// writeHeaderFields writes the header in key order, as net/http does; the
// framing fields only on a final response.
func (w *response) writeHeaderFields(final bool) {
	w.keys = writeFields(w.bw, w.header, w.keys, func(k string) bool {
		switch {
		case !final:
			return k == "Content-Length" || k == "Transfer-Encoding" || strings.HasPrefix(k, http.TrailerPrefix)
		case k == "Connection":
			return w.closeAfter // commit writes Connection: close instead
		case k == "Transfer-Encoding":
			return w.chunked // commit writes it
		}
		return strings.HasPrefix(k, http.TrailerPrefix)
	})
}

// writeFields writes h's fields but the skipped ones in key order, as
// net/http's Header.Write: fields of invalid names dropped, CR and LF in
// values turned into spaces, spaces and tabs around values trimmed. keys is
// scratch space, returned for the next call.
func writeFields(bw *bufio.Writer, h http.Header, keys []string, skip func(string) bool) []string {
	keys = keys[:0]
	for k := range h {
		if !skip(k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !httpguts.ValidHeaderFieldName(k) {
			continue
		}
		for _, v := range h[k] {
			_, _ = bw.WriteString(k)
			_, _ = bw.WriteString(": ")
			writeValue(bw, v)
			_, _ = bw.WriteString("\r\n")
		}
	}
	return keys
}

func writeValue(bw *bufio.Writer, v string) {
	v = strings.Trim(v, " \t\r\n") // as net/http: CR and LF become spaces, then spaces are trimmed
	start := 0
	for i := 0; i < len(v); i++ {
		if v[i] == '\r' || v[i] == '\n' {
			_, _ = bw.WriteString(v[start:i])
			_ = bw.WriteByte(' ')
			start = i + 1
		}
	}
	_, _ = bw.WriteString(v[start:])
}

// statusLines are the status lines of the codes net/http names, made once.
var statusLines = func() (t [600]string) {
	for code := range t {
		if text := http.StatusText(code); text != "" {
			t[code] = "HTTP/1.1 " + strconv.Itoa(code) + " " + text + "\r\n"
		}
	}
	return t
}()

func bodyAllowed(code int) bool {
	return code >= 200 && code != http.StatusNoContent && code != http.StatusNotModified
}

// Date is the Date field's value now, as net/http's server sends it
// (formatted once a second).
func Date() string {
	now := time.Now().Unix()
	if d := cachedDate.Load(); d != nil && d.unix == now {
		return d.text
	}
	d := &dateText{unix: now, text: time.Unix(now, 0).UTC().Format(http.TimeFormat)}
	cachedDate.Store(d)
	return d.text
}

type dateText struct {
	unix int64
	text string
}

var cachedDate atomic.Pointer[dateText]

var _ http.Flusher = (*response)(nil)
var _ io.Writer = (*response)(nil)
