package balancer

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pires/go-proxyproto"

	"gatehouse/internal/h1"
	"gatehouse/internal/listen"
	"gatehouse/internal/model"
	"gatehouse/internal/reqbody"
)

// Limits of the data path. The default idle timeout is the load balancer
// attribute idle_timeout.timeout_seconds at its default; a listener uses its
// load balancer's value (listenerEntry.idle).
const (
	proxyHeaderTimeout = 5 * time.Second
	readHeaderTimeout  = 10 * time.Second
	defaultIdleTimeout = 60 * time.Second
	// ALB's hard limits on a request (HTTP/1.x; ELB quotas "Request line",
	// "Single header", "Whole header"): over the request line's, 414; over a
	// header's or all headers', 400 (checkLimits).
	maxRequestLine = 16 << 10
	maxHeaderField = 16 << 10
	maxHeaderBytes = 64 << 10
	// maxParsed is what http.Server reads of a request before it gives up with
	// its own 431: the request line and headers at ALB's limits both, so
	// every request ALB would judge reaches checkLimits and gets ALB's status.
	// Beyond it (a request line of ~84 KiB or more) Go answers 431 and closes:
	// the server has no hook for it, and reading more would let a client make
	// each connection hold more.
	maxParsed          = maxRequestLine + maxHeaderBytes
	connectTimeout     = 10 * time.Second
	targetTLSTimeout   = 10 * time.Second
	responseTimeout    = defaultIdleTimeout // no response within the idle timeout → 504
	maxResponseHeaders = 32 << 10           // ALB: response headers > 32 KiB → 502
	drainTimeout       = 5 * time.Second
)

const serverHeader = "awselb/2.0"

// serveSocket is the listen.Serve of every listener socket (1 in doc.go): PROXY
// protocol, then TLS or plain HTTP as the listener in the current table says.
func (s *Service) serveSocket(l net.Listener) {
	key := l.Addr().String()
	node := ""
	if tcp, ok := l.Addr().(*net.TCPAddr); ok {
		node = tcp.IP.String()
	}
	pl := &proxyproto.Listener{
		Listener:          l,
		ConnPolicy:        s.proxyPolicy,
		ReadHeaderTimeout: proxyHeaderTimeout,
	}
	tlsConf := &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"h2", "http/1.1"},
		// Each HTTPS listener has its own configuration (SslPolicy and
		// certificates, compiled into listenerEntry.tls); the table in force
		// at the ClientHello decides.
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			t := s.table.Load()
			if t == nil || t.listeners[key] == nil || t.listeners[key].tls == nil {
				return nil, errNoCertificate
			}
			return t.listeners[key].tls, nil
		},
	}
	// base ends once the socket has drained (below), which is before Run
	// returns: requests still running then are cancelled, and so are upgraded
	// (WebSocket) streams, which ReverseProxy ties to the request context and
	// which srv.Shutdown and srv.Close do not see once hijacked.
	base, cancel := context.WithCancel(context.Background())
	var handlers inflight
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !handlers.enter() {
			s.errorPage(w, http.StatusServiceUnavailable)
			return
		}
		defer handlers.leave()
		s.handle(w, r, key, node)
	})
	verbatim := func(x *h1.Exchange) bool {
		if !handlers.enter() {
			return false // the handler answers 503
		}
		defer handlers.leave()
		return s.serveVerbatim(x, key, node)
	}
	errorLog := slog.NewLogLogger(s.d.Log.Handler(), slog.LevelDebug)
	// The common HTTP/1.1 request is read and answered by package h1 on the
	// connection's goroutine, the most common of those passed on as bytes
	// (serveVerbatim); net/http's server takes HTTP/2, and a
	// connection from its first request h1 does not take (a body, an
	// upgrade, a head over h1's buffer: then checkLimits and net/http's
	// own limits judge it).
	srv := &h1.Server{
		Handler:       handler,
		Direct:        verbatim,
		BaseContext:   base,
		ConnContext:   withIdleConn,
		HeaderTimeout: readHeaderTimeout,
		Log:           s.d.Log,
		Fallback: &http.Server{
			Handler:           handler,
			ReadHeaderTimeout: readHeaderTimeout,
			// No IdleTimeout: idleConn closes a connection idle for the load
			// balancer's idle timeout, between requests as well as within one.
			MaxHeaderBytes: maxParsed,
			ErrorLog:       errorLog,
			BaseContext:    func(net.Listener) context.Context { return base },
			ConnContext:    withIdleConn,
		},
	}
	err := srv.Serve(&protoListener{Listener: s.acceptHandoffs(pl, l), s: s, key: key, tls: tlsConf})
	if err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
		s.d.Log.Warn("serve listener", "addr", key, "err", err)
	}
	// The socket closed: the listener went away or the service stops. Let
	// requests in flight finish for a while, then cut the rest, upgraded
	// streams included, and wait for every handler.
	ctx, cancelDrain := context.WithTimeout(context.Background(), drainTimeout)
	defer cancelDrain()
	_ = srv.Shutdown(ctx) // closes what is left when ctx ends
	cancel()
	handlers.close()
}

// withIdleConn puts the connection's idleConn, under its TLS and h1's
// buffer, into its requests' context (connFrom).
func withIdleConn(ctx context.Context, c net.Conn) context.Context {
	for {
		if ic, ok := c.(*idleConn); ok {
			return context.WithValue(ctx, idleKey{}, ic)
		}
		u, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			return ctx
		}
		c = u.NetConn()
	}
}

// inflight counts running handlers so the socket's owner can wait for them,
// hijacked (upgraded) ones included.
type inflight struct {
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

func (f *inflight) enter() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false
	}
	f.wg.Add(1)
	return true
}

func (f *inflight) leave() { f.wg.Done() }

// close refuses new handlers and waits for the running ones.
func (f *inflight) close() {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	f.wg.Wait()
}

// proxyPolicy trusts PROXY headers only from the static IPs that accelerators
// hold in the current table (and Deps.TrustedProxies); anyone else sending one,
// an unallocated address of the pools included, is refused (the first read
// fails, the connection closes). The table is one atomic load: no lock per
// connection.
func (s *Service) proxyPolicy(o proxyproto.ConnPolicyOptions) (proxyproto.Policy, error) {
	if ap, err := netip.ParseAddrPort(o.Upstream.String()); err == nil {
		ip := ap.Addr().Unmap()
		if t := s.table.Load(); t != nil && t.proxies[ip] {
			return proxyproto.USE, nil
		}
		for _, p := range s.d.TrustedProxies {
			if p.Contains(ip) {
				return proxyproto.USE, nil
			}
		}
	}
	return proxyproto.REJECT, nil
}

// protoListener decides per connection, from the current table, whether the
// socket speaks TLS, so a listener may change protocol without a new socket.
type protoListener struct {
	net.Listener
	s   *Service
	key string
	tls *tls.Config
}

func (p *protoListener) Accept() (net.Conn, error) {
	for {
		c, err := p.Listener.Accept()
		if err != nil {
			return nil, err
		}
		t := p.s.table.Load()
		var le *listenerEntry
		if t != nil {
			le = t.listeners[p.key]
		}
		if le == nil {
			c.Close() // the listener is going away
			continue
		}
		if pc, ok := c.(*proxyproto.Conn); ok {
			c = &headerReadConn{Conn: pc}
		}
		ic := newIdleConn(c, configured(le.idle, p.s.d.IdleTimeoutSecond))
		if le.protocol == "HTTPS" {
			return tls.Server(ic, p.tls), nil
		}
		return ic, nil
	}
}

// handle serves one request (2 in doc.go): the action of the first listener
// rule that matches it, else the listener's default action.
func (s *Service) handle(w http.ResponseWriter, r *http.Request, key, node string) {
	t := s.table.Load()
	var le *listenerEntry
	if t != nil {
		le = t.listeners[key]
	}
	if le == nil {
		s.errorPage(w, http.StatusServiceUnavailable)
		return
	}
	if code := checkLimits(r); code != 0 {
		// nginx, which ALB's pages come from, closes the connection after
		// either: the rest of what the client sent cannot be trusted to frame.
		w.Header().Set("Connection", "close")
		if code == http.StatusBadRequest {
			s.headersTooLarge(w)
		} else {
			s.errorPage(w, code)
		}
		return
	}
	act := le.route(r)
	switch act.kind {
	case actionFixedResponse:
		s.fixed(w, act.fixed)
	case actionRedirect:
		s.redirect(w, r, act.redirect, le)
	case actionForward:
		tgt := act.group.pick(s.passive, nil)
		if tgt == nil {
			s.errorPage(w, http.StatusServiceUnavailable)
			return
		}
		// The connection waits for the target from the end of the request
		// body until the response (or error): that wait is bounded by
		// responseTimeout (504), not by the client connection's idle timeout.
		rt := newRoute(node, le, act.group, tgt, connFrom(r.Context()))
		wait := rt.wait
		defer wait.release()
		if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
			wait.hold()
		} else {
			rt.body = reqbody.New(r.Body)
			r.Body = &eofBody{ReadCloser: rt.body, onEOF: wait.hold}
		}
		r = r.WithContext(withRoute(r.Context(), rt))
		if rt.body == nil && directEligible(r, act.group.protocol) {
			s.forwardDirect(w, r)
			return
		}
		s.proxy.ServeHTTP(w, r)
	default:
		s.errorPage(w, http.StatusInternalServerError)
	}
}

func (s *Service) fixed(w http.ResponseWriter, f *model.FixedResponse) {
	code, err := strconv.Atoi(f.StatusCode)
	if err != nil || code < 200 || code > 599 {
		code = http.StatusInternalServerError
	}
	ct := f.ContentType
	if ct == "" {
		ct = "text/plain; charset=utf-8"
	}
	w.Header().Set("Server", serverHeader)
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(f.MessageBody)))
	w.WriteHeader(code)
	_, _ = w.Write([]byte(f.MessageBody))
	s.metrics.request(code)
}

// checkLimits applies ALB's request limits (maxRequestLine, maxHeaderField,
// maxHeaderBytes) to a request http.Server parsed, HTTP/1.x or HTTP/2 alike:
// 414 for a request line over its limit, 400 for a header or all headers
// over theirs, 0 when within. Sizes are as on an HTTP/1.1 wire ("Name: value"
// without CRLF for a field; the Host header, which Go keeps apart, counts).
func checkLimits(r *http.Request) int {
	return checkSizes(len(r.Method)+1+len(r.RequestURI)+1+len(r.Proto), func(field func(name, value string) bool) bool {
		if r.Host != "" && !field("Host", r.Host) {
			return false
		}
		for name, values := range r.Header {
			for _, v := range values {
				if !field(name, v) {
					return false
				}
			}
		}
		return true
	})
}

// checkSizes is checkLimits for a request line of length line and the
// fields fields visits (until its visit returns false).
func checkSizes(line int, fields func(visit func(name, value string) bool) bool) int {
	if line > maxRequestLine {
		return http.StatusRequestURITooLong
	}
	total := 0
	if !fields(func(name, value string) bool {
		n := len(name) + 2 + len(value)
		total += n + 2
		return n <= maxHeaderField
	}) || total > maxHeaderBytes {
		return http.StatusBadRequest
	}
	return 0
}

// errorPage answers as ALB does when it cannot forward: a small HTML page.
func (s *Service) errorPage(w http.ResponseWriter, code int) {
	s.page(w, code, errorBody(code))
}

// headersTooLarge answers a request whose headers are over ALB's limits:
// nginx's page for it, which ALB is reported to send (UNVERIFIED: the exact
// body; the status, 400, is in ALB's troubleshooting guide).
func (s *Service) headersTooLarge(w http.ResponseWriter) {
	const title = "400 Request Header Or Cookie Too Large"
	s.page(w, http.StatusBadRequest, "<html>\r\n<head><title>"+title+"</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n"+
		"<center>Request Header Or Cookie Too Large</center>\r\n</body>\r\n</html>\r\n")
}

func (s *Service) page(w http.ResponseWriter, code int, body string) {
	h := w.Header()
	h.Set("Server", serverHeader)
	h.Set("Content-Type", "text/html")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	_, _ = w.Write([]byte(body))
	s.metrics.request(code)
}

func errorBody(code int) string {
	title := strconv.Itoa(code) + " " + statusText(code)
	return "<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" + title +
		"</h1></center>\r\n</body>\r\n</html>\r\n"
}

// statusText uses ALB's (nginx's) wording where it differs from Go's.
func statusText(code int) string {
	switch code {
	case http.StatusServiceUnavailable:
		return "Service Temporarily Unavailable"
	case http.StatusGatewayTimeout:
		return "Gateway Time-out"
	case http.StatusRequestURITooLong:
		return "Request-URI Too Large"
	}
	return http.StatusText(code)
}

// route is what handle decided for one forwarded request.
type route struct {
	node    string         // node IP that accepted the connection: the source of the dial
	le      *listenerEntry // the socket's listener: X-Forwarded-Proto and -Port
	group   *group         // forwarded to (its protocol is the target's); forwarder retries on it
	target  *target        // the target of the latest attempt
	started time.Time
	took    time.Duration // from started to the response headers (forward)
	wait    *targetWait
	body    *reqbody.Body       // the client's request body; nil when there is none
	client  http.ResponseWriter // forwardDirect's: 1xx responses go to it (relay1xx)

	waitState targetWait // what wait points to (handle)
}

// newRoute is the route of a request the connection c serves, to tgt of g;
// one allocation holds the route and its wait.
func newRoute(node string, le *listenerEntry, g *group, tgt *target, c *idleConn) *route {
	rt := &route{node: node, le: le, group: g, target: tgt, started: time.Now()}
	rt.waitState.c = c
	rt.wait = &rt.waitState
	return rt
}

type routeKey struct{}

func withRoute(ctx context.Context, rt *route) context.Context {
	return context.WithValue(ctx, routeKey{}, rt)
}

func routeFrom(ctx context.Context) *route {
	rt, _ := ctx.Value(routeKey{}).(*route)
	return rt
}

func (s *Service) newProxy() *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite:    rewrite,
		Transport:  forwarder{s},
		BufferPool: newBufferPool(),
		ErrorLog:   slog.NewLogLogger(s.d.Log.Handler(), slog.LevelDebug),
		ModifyResponse: func(res *http.Response) error {
			if rt := routeFrom(res.Request.Context()); rt != nil {
				rt.wait.release()
				s.metrics.targetDone(rt)
			}
			s.metrics.request(res.StatusCode)
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if rt := routeFrom(r.Context()); rt != nil {
				rt.wait.release()
			}
			if r.Context().Err() != nil {
				// The client went away (ALB logs 460); nobody reads an answer.
				s.metrics.request(460)
				return
			}
			if rt := routeFrom(r.Context()); rt != nil && rt.body.Err() != nil {
				// The client's body failed, not the target: malformed framing
				// is the client's 400, as ALB answers; a client that stopped
				// sending is gone (460). The transport closes a target
				// connection whose request was not written whole.
				berr := rt.body.Err()
				if reqbody.Stopped(berr) {
					s.metrics.request(460)
					return
				}
				s.d.Log.Debug("request body malformed", "err", berr)
				w.Header().Set("Connection", "close")
				s.errorPage(w, http.StatusBadRequest)
				return
			}
			code := classify(err)
			s.d.Log.Debug("forward failed", "target", routeFrom(r.Context()).target.addr, "status", code, "err", err)
			s.errorPage(w, code)
		},
	}
}

// rewrite builds the request to the target (3 in doc.go): the target's scheme
// and address, the client's Host, and ALB's X-Forwarded-* and trace headers.
func rewrite(pr *httputil.ProxyRequest) {
	rt := routeFrom(pr.In.Context())
	pr.Out.URL.Scheme = "http"
	if rt.group.protocol == "HTTPS" {
		pr.Out.URL.Scheme = "https"
	}
	pr.Out.URL.Host = rt.target.addr
	pr.Out.Host = pr.In.Host

	// The headers are set by their canonical keys directly: Header.Set
	// would canonicalize each name again, per request.
	// The four values share one backing array, each capped at its own
	// element so that an append to one cannot write into the next.
	h := pr.Out.Header
	vals := [...]string{forwardedFor(pr.In.Header.Values("X-Forwarded-For"), pr.In.RemoteAddr),
		rt.le.forwardedProto(), portString(rt.le.port), traceID(pr.In.Header.Get("X-Amzn-Trace-Id"), time.Now())}
	all := vals[:]
	h["X-Forwarded-For"] = all[0:1:1]
	h["X-Forwarded-Proto"] = all[1:2:2]
	h["X-Forwarded-Port"] = all[2:3:3]
	h["X-Amzn-Trace-Id"] = all[3:4:4]
}

// forwardedFor is ALB's X-Forwarded-For: the values the client sent, then
// its address (remote without the port).
func forwardedFor(prior []string, remote string) string {
	client := remote
	if host, _, err := net.SplitHostPort(remote); err == nil {
		client = host
	}
	if len(prior) == 0 {
		return client
	}
	return strings.Join(prior, ", ") + ", " + client
}

// forwardedProto is ALB's X-Forwarded-Proto for the listener.
func (le *listenerEntry) forwardedProto() string {
	if le.protocol == "HTTPS" {
		return "https"
	}
	return "http"
}

// portString is strconv.Itoa without an allocation for the ports nearly
// every listener uses.
func portString(port int) string {
	switch port {
	case 80:
		return "80"
	case 443:
		return "443"
	}
	return strconv.Itoa(port)
}

// traceID returns ALB's X-Amzn-Trace-Id: a new Root, or the caller's Root
// kept with this hop's Self added.
func traceID(in string, now time.Time) string {
	root := newTraceRoot(now) // "Root=<id>"
	if !strings.Contains(in, "Root=") || len(in) > 1024 {
		return root
	}
	var kept []string
	for f := range strings.SplitSeq(in, ";") {
		if !strings.HasPrefix(strings.TrimSpace(f), "Self=") {
			kept = append(kept, f)
		}
	}
	return "Self=" + root[len("Root="):] + ";" + strings.Join(kept, ";")
}

// classify maps a forwarding error to ALB's status: a connect timeout or no
// response in time is 504, everything else (refused, reset, TLS failure,
// malformed or oversized response) is 502.
func classify(err error) int {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		if op.Timeout() {
			return http.StatusGatewayTimeout
		}
		return http.StatusBadGateway
	}
	var handshake *handshakeError
	if errors.As(err, &handshake) {
		return http.StatusBadGateway
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
		return http.StatusGatewayTimeout
	}
	return http.StatusBadGateway
}

// transports holds one http.Transport per node IP, so every connection to a
// target is dialed from the node that accepted the client, and a pooled
// connection is never reused across nodes (forwarder uses them).
type transports struct {
	mu   sync.Mutex
	by   map[string]*http.Transport
	fast *fastPools // the HTTP/1.1 fast path's connections (fast.go)
}

func newTransports() *transports {
	return &transports{by: map[string]*http.Transport{}, fast: newFastPools()}
}

func (ts *transports) get(node string) *http.Transport {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if tr := ts.by[node]; tr != nil {
		return tr
	}
	tr := newTransport(node, false)
	ts.by[node] = tr
	return tr
}

// keep drops the transports of node IPs that no longer exist.
func (ts *transports) keep(nodes map[string]bool) {
	ts.fast.keep(nodes)
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for n, tr := range ts.by {
		if !nodes[n] {
			tr.CloseIdleConnections()
			delete(ts.by, n)
		}
	}
}

func (ts *transports) closeIdle() { ts.keep(nil) }

// newTransport dials from source. ALB does not validate target certificates
// and sends no SNI to IP targets (Go sends none for an IP host either).
func newTransport(source string, oneShot bool) *http.Transport {
	d := &net.Dialer{Timeout: connectTimeout, KeepAlive: 30 * time.Second}
	if ip := net.ParseIP(source); ip != nil {
		d.LocalAddr = &net.TCPAddr{IP: ip}
		d.Control = listen.DialControl // a node's own listeners may rebind later
	}
	return &http.Transport{
		DialContext: d.DialContext,
		// Resumed sessions spare a new target connection the full handshake.
		TLSClientConfig:        &tls.Config{InsecureSkipVerify: true, ClientSessionCache: tls.NewLRUClientSessionCache(1024)}, //nolint:gosec // ALB does not validate targets
		TLSHandshakeTimeout:    targetTLSTimeout,
		ResponseHeaderTimeout:  responseTimeout,
		MaxResponseHeaderBytes: maxResponseHeaders,
		// Enough idle connections per target that a busy node reuses rather than
		// redials: at 64, bench/run.sh saw a fresh TCP+TLS handshake for 23% of
		// requests at 1000 connections.
		MaxIdleConns:          4096,
		MaxIdleConnsPerHost:   1024,
		IdleConnTimeout:       defaultIdleTimeout,
		DisableKeepAlives:     oneShot,
		ExpectContinueTimeout: time.Second,
		// ALB passes Accept-Encoding as the client sent it, none included,
		// and the target's response body as the target encoded it: it
		// neither compresses nor decompresses. The request headers it
		// documents adding are X-Forwarded-For/Proto/Port ("HTTP headers
		// and Application Load Balancers",
		// docs.aws.amazon.com/elasticloadbalancing/latest/application/x-forwarded-headers.html)
		// and X-Amzn-Trace-Id, none about encoding; a curl sending
		// "Accept-Encoding: gzip" through a real ALB got its nginx
		// target's "Content-Encoding: gzip" body as is
		// (github.com/localstack/localstack/issues/11665), and compression
		// at the ALB is a feature request the ALB team tracks
		// (github.com/kubernetes-sigs/aws-load-balancer-controller/issues/1132).
		// Go's default would add "Accept-Encoding: gzip" to a request
		// without one and gunzip the answer: the target would see a header
		// the client never sent, and answer differently.
		DisableCompression: true,
	}
}
