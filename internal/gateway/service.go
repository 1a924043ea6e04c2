package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"log"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"gatehouse/internal/listen"
	"gatehouse/internal/live"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// Deps is what the gateway needs from the daemon.
type Deps struct {
	Store   store.Store
	Feed    *live.Feed
	Log     *slog.Logger
	Env     model.Env
	Metrics prometheus.Registerer // nil: no metrics
	// DefaultCert is the execute-api endpoint certificate, served when SNI names
	// no custom domain (callers by IP, by the endpoint's DNS name, or no SNI).
	DefaultCert tls.Certificate
	// MaxRestAPIs overrides the REST API quota per endpoint type (EDGE,
	// REGIONAL, PRIVATE); a type it leaves out, or sets to 0, has AWS's.
	MaxRestAPIs map[string]int
	// BodyReadSlack is how long after its integration's timeout a request's
	// body may still be arriving before the connection is cut; 0: one second.
	BodyReadSlack time.Duration
	// AWSKeys (access key id → secret) verify AWS_IAM methods' signatures:
	// the keys the AWS API accepts.
	AWSKeys map[string]string
	// AccountThrottle is the account-level token bucket (zero fields:
	// AWS's 10,000 rps, burst 5,000); UsageFlushInterval how often API key
	// usage is added to the store (0: one second). See throttle.go.
	AccountThrottle    ThrottleSettings
	UsageFlushInterval time.Duration
	// OrphanSweepInterval is how often the parts of deployments whose
	// header never came are looked for (sweepOrphanParts; 0: orphanAge/2).
	OrphanSweepInterval time.Duration
	// AccessLogDir is where stages' access logs are written (accesslog.go):
	// one file per destination ARN; "-" writes them to standard output, ""
	// turns access logs off.
	AccessLogDir string
}

// Timeouts and sizes a peer cannot exceed.
const (
	readHeaderTimeout = 10 * time.Second
	// readTimeout bounds reading a whole request where no integration sets a
	// tighter deadline (a refused request's unread body, drained by the server).
	// Longer than readHeaderTimeout plus the 29 s integration limit, so it never
	// cuts a request an integration still serves.
	readTimeout = 45 * time.Second
	// API Gateway keeps idle connections about 5 minutes (ALB's idle timeout
	// toward targets is 60 s by default, so the balancer closes first).
	idleTimeout     = 310 * time.Second
	shutdownTimeout = 5 * time.Second
)

// Service is the private REST API data plane and API Gateway's operations.
type Service struct {
	d        Deps
	env      model.Env
	log      *slog.Logger
	errorLog *log.Logger
	table    live.Table[table]
	metrics  *metrics
	meter    *meter // throttles and quota counts (throttle.go)
	// accessLogs are the stages' access log files (accesslog.go).
	accessLogs logSinks
	// fresh hands the APIs CreateDeployment froze to the compiler (fresh.go).
	fresh freshDeployments

	tlsConfig *tls.Config
	transport *http.Transport
	conns     *listen.Queue // ServeConn → the http.Server's listener
	stopped   chan struct{} // closed when Run stops serving (or fails to start)
	stopOnce  sync.Once
	inproc    inflight // requests handed over in process (ServeHTTPFrom, handoff.go)
	runOnce   sync.Once
}

// New builds the service; Run starts it.
func New(d Deps) *Service {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Env == (model.Env{}) {
		d.Env = model.DefaultEnv
	}
	if d.BodyReadSlack == 0 {
		d.BodyReadSlack = defaultBodyReadSlack
	}
	if d.OrphanSweepInterval == 0 {
		d.OrphanSweepInterval = orphanAge / 2
	}
	s := &Service{
		d:       d,
		env:     d.Env,
		log:     d.Log,
		metrics: newMetrics(d.Metrics),
		meter:   newMeter(d.AccountThrottle, d.UsageFlushInterval),
		conns:   listen.NewQueue(endpointAddr{}),
		stopped: make(chan struct{}),
		// net/http reports peers that abort (TLS handshakes reset by clients
		// that hang up): routine under load, so debug, as the balancer does.
		errorLog: slog.NewLogLogger(d.Log.Handler(), slog.LevelDebug),
	}
	s.tlsConfig = &tls.Config{
		MinVersion:     tls.VersionTLS12, // private APIs accept TLS 1.2 and up (§A1)
		NextProtos:     []string{"h2", "http/1.1"},
		GetCertificate: s.certificate,
	}
	s.transport = &http.Transport{
		Proxy:                  nil, // backends are reached directly, never via the environment's proxy
		DialContext:            (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:    10 * time.Second,
		MaxIdleConns:           256,
		MaxIdleConnsPerHost:    32,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
		ForceAttemptHTTP2:      false, // API Gateway calls backends with HTTP/1.1 (§A5)
		// A backend gets the caller's Accept-Encoding, not one Go adds, and its
		// body goes back as it sent it: compressing answers is API Gateway's
		// own opt-in (minimumCompressionSize), not a side effect of the client.
		DisableCompression: true,
	}
	return s
}

// certificate picks the custom domain's certificate by SNI, else the default.
func (s *Service) certificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if c := s.table.Load().certificate(hello.ServerName); c != nil {
		return c, nil
	}
	if len(s.d.DefaultCert.Certificate) == 0 {
		return nil, errors.New("no certificate for " + hello.ServerName)
	}
	return &s.d.DefaultCert, nil
}

// Run follows the snapshots and serves the connections ServeConn hands over,
// until ctx ends; then it closes every connection and waits for its goroutines.
func (s *Service) Run(ctx context.Context) error {
	started := false
	s.runOnce.Do(func() { started = true })
	if !started {
		return errors.New("gateway: already running") // the first Run owns stopped
	}
	// However Run ends, ServeConn must stop waiting for it.
	defer s.stop()
	if s.d.Feed == nil {
		return errors.New("gateway: no snapshot feed")
	}
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wg.Go(func() { s.runMeter(ctx) })
	wg.Go(func() { s.sweepOrphansEvery(ctx) })
	wg.Go(func() {
		c := &compiler{env: s.env, log: s.log, fresh: &s.fresh}
		s.table.Run(ctx, s.d.Feed, s.log, c.compile,
			func(*table) bool { s.metrics.tableRev(s.table.Rev()); return false })
	})

	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          s.errorLog,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, keyConn, connInfoOf(c))
		},
		// Requests must outlive ctx: Shutdown lets them finish (up to
		// shutdownTimeout), and Close then cancels them through their connections.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	serveErr := make(chan error, 1)
	wg.Go(func() { serveErr <- srv.Serve(s.conns) })

	<-ctx.Done()
	s.stop()
	sctx, scancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer scancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
	}
	s.inproc.wait(shutdownTimeout)
	wg.Wait()
	s.accessLogs.close()
	s.transport.CloseIdleConnections()
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
		s.log.Warn("serve ended", "err", err)
	}
	return nil
}

// stop makes ServeConn refuse connections from now on, and the server's
// Accept end.
func (s *Service) stop() {
	s.stopOnce.Do(func() {
		close(s.stopped)
		s.conns.Close()
	})
}

// ServeConn serves a connection accepted on an interface endpoint's address:
// TLS (certificate by SNI), then HTTP/1.1 or h2. vpceID is the endpoint it came
// through; the gateway owns and closes c from here. A connection offered before
// Run starts serving waits for it; one offered after Run stopped is closed.
func (s *Service) ServeConn(c net.Conn, vpceID string) {
	tc := tls.Server(&endpointConn{Conn: c, vpce: vpceID}, s.tlsConfig)
	s.conns.Give(tc)
}

// endpointConn carries the endpoint id under the TLS layer, where ConnContext finds it.
type endpointConn struct {
	net.Conn
	vpce string
}

func connInfoOf(c net.Conn) *connInfo {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	if ec, ok := c.(*endpointConn); ok {
		return &connInfo{vpce: ec.vpce}
	}
	return &connInfo{}
}

type endpointAddr struct{}

func (endpointAddr) Network() string { return "endpoint" }
func (endpointAddr) String() string  { return "execute-api endpoint" }

// Served is the newest snapshot revision the gateway answers from.
func (s *Service) Served() int64 { return s.table.Served() }
