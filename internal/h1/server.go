package h1

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"gatehouse/internal/listen"
)

// Server accepts connections and serves each with Serve, giving net/http's
// server (Fallback) the connections that speak HTTP/2 and those from their
// first request Serve does not take. It is http.Server's Serve and Shutdown
// for a listener whose TLS connections (*tls.Conn) have not shaken hands
// yet: Server shakes hands within HeaderTimeout, as http.Server does.
type Server struct {
	Handler http.Handler
	// Direct, when set, is every connection's Conn.Direct.
	Direct func(*Exchange) bool
	// Fallback serves what Serve does not; its Handler should be Handler,
	// its ConnContext should see through a NetConn method (the buffered
	// connection a fallback gets has one).
	Fallback *http.Server
	// BaseContext is every request's context's parent; ConnContext may add
	// to it per connection (the net.Conn it gets is the accepted one).
	BaseContext context.Context
	ConnContext func(context.Context, net.Conn) context.Context
	// HeaderTimeout bounds a TLS handshake and a request head.
	HeaderTimeout time.Duration
	Log           *slog.Logger

	mu       sync.Mutex
	conns    map[*Conn]struct{}
	stopping atomic.Bool // written under mu
	wg       sync.WaitGroup
	queue    *listen.Queue // the fallback's listener
}

// Serve accepts from l until l is closed; it returns net.ErrClosed then and
// closes l, as http.Server's Serve.
func (s *Server) Serve(l net.Listener) error {
	defer l.Close()
	s.mu.Lock()
	s.conns = map[*Conn]struct{}{}
	s.queue = listen.NewQueue(l.Addr())
	s.mu.Unlock()
	go func() { _ = s.Fallback.Serve(s.queue) }() // ends with Shutdown or Close
	backoff := time.Duration(0)
	for {
		c, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			// Anything else (out of file descriptors, a connection reset
			// before it was accepted) passes: wait and accept again, as
			// http.Server does with its temporary errors.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			if s.Log != nil {
				s.Log.Debug("accept", "err", err, "retry_in", backoff)
			}
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		s.wg.Add(1)
		go s.serve(c)
	}
}

func (s *Server) serve(c net.Conn) {
	defer s.wg.Done()
	// As net/http's: ReverseProxy aborts (panics with http.ErrAbortHandler)
	// on a body cut short only when it sees a server in the context.
	ctx := context.WithValue(s.BaseContext, http.ServerContextKey, s.Fallback)
	ctx = context.WithValue(ctx, http.LocalAddrContextKey, c.LocalAddr())
	if s.ConnContext != nil {
		ctx = s.ConnContext(ctx, c)
	}
	if tc, ok := c.(*tls.Conn); ok {
		_ = tc.SetDeadline(time.Now().Add(s.HeaderTimeout))
		if err := tc.HandshakeContext(ctx); err != nil {
			if s.Log != nil {
				s.Log.Debug("tls handshake error", "remote", c.RemoteAddr().String(), "err", err)
			}
			c.Close()
			return
		}
		_ = tc.SetDeadline(time.Time{})
		if tc.ConnectionState().NegotiatedProtocol == "h2" {
			s.queue.Give(c)
			return
		}
	}
	hc := &Conn{Conn: c, Context: ctx, Handler: s.Handler, Direct: s.Direct, Fallback: s.queue.Give, HeaderTimeout: s.HeaderTimeout, Log: s.Log}
	hc.Idle = func(idle bool) { s.setIdle(hc, idle) }
	if !s.track(hc) {
		c.Close()
		return
	}
	defer s.untrack(hc)
	Serve(hc)
}

func (s *Server) track(c *Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping.Load() {
		return false
	}
	c.idle.Store(true)
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) untrack(c *Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// setIdle records whether c waits for a request (without the lock: it
// runs twice per request); a connection that goes idle while the server
// stops is closed. Shutdown sets stopping before it reads the flags, so
// either it sees this one idle or this sees it stopping.
func (s *Server) setIdle(c *Conn, idle bool) {
	c.idle.Store(idle)
	if idle && s.stopping.Load() {
		c.Conn.Close()
	}
}

// Shutdown stops as http.Server's Shutdown does, once the listener given to
// Serve is closed: idle connections close now, busy ones after their
// response, the fallback shuts down too; it waits for all of them until ctx
// ends, then closes what is left and returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.stopping.Store(true)
	// Every busy connection is told before any idle one closes: a response
	// finished by then already says close.
	for c := range s.conns {
		c.Stop()
	}
	for c := range s.conns {
		if c.idle.Load() {
			c.Conn.Close()
		}
	}
	queue := s.queue
	s.mu.Unlock()
	if queue != nil {
		queue.Close()
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	ferr := s.Fallback.Shutdown(ctx)
	select {
	case <-done:
		return ferr
	case <-ctx.Done():
		s.Close()
		return ctx.Err()
	}
}

// Close closes every connection at once, the fallback's too.
func (s *Server) Close() {
	s.mu.Lock()
	s.stopping.Store(true)
	for c := range s.conns {
		c.Conn.Close()
	}
	queue := s.queue
	s.mu.Unlock()
	if queue != nil {
		queue.Close()
	}
	s.Fallback.Close()
}
