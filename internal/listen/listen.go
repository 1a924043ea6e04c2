// Package listen owns gatehouse's data-plane listening sockets. A Set keeps
// TCP listening sockets in line with a desired list of addresses: sockets that
// stay in the list are never closed, so a configuration change never drops a
// connection or refuses a new one on an address that stays.
//
// A Budget caps the connections open at once on a class of listeners (every
// static IP, every load balancer node, …), per listening socket and per client
// IP, so that a flood of idle connections to one address can neither take the
// process's file descriptors nor starve another address or class. Beyond a cap
// a new connection is reset at once; those already open carry on. The daemon
// splits the file descriptor limit into the classes' budgets.
//
// Every connection a Set accepts is a *Conn whose first writes are followed
// by a TCP quick ACK (Opening, quickack.go), so that a client that leaves
// Nagle's algorithm on never waits on our delayed ACK (40 ms) to send its
// first request: the TLS listeners (load balancer nodes, endpoints) get it
// from the Conn, and code that works on the bare socket calls Opening itself
// (the accelerator's copy loop) or wraps it (OpeningConn: a connection handed
// over in process).
//
// A Queue is a listener of connections handed over in process rather than
// accepted from a socket (the gateway's server, h1's fallback).
//
// Concurrency: Set's methods may be called from any goroutine; the Set owns
// one goroutine per socket that runs its Serve. A Budget's counts are atomics
// (class, socket) and one mutex-guarded map (sources); a Conn releases its
// count on its first Close. An Opening's count of writes is an atomic.
package listen

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"sync"
	"syscall"
)

// Serve accepts and handles connections on l until l is closed. The Set owns the
// goroutine that runs it.
type Serve func(l net.Listener)

// Set is a reconciled set of listeners. The zero value is not usable; use NewSet.
type Set struct {
	serve  Serve
	budget *Budget // nil: no caps
	mu     sync.Mutex
	open   map[string]net.Listener
	wg     sync.WaitGroup
	// plainTCP opens TCP sockets rather than Go's default, MPTCP where the
	// kernel has it (PlainTCP).
	plainTCP bool
}

// NewSet returns an empty set whose listeners are served by serve.
func NewSet(serve Serve) *Set {
	return &Set{serve: serve, open: map[string]net.Listener{}}
}

// NewLimitedSet returns an empty set whose listeners accept under budget (nil:
// no caps) and are served by serve.
func NewLimitedSet(budget *Budget, serve Serve) *Set {
	return &Set{serve: serve, budget: budget, open: map[string]net.Listener{}}
}

// PlainTCP makes the set open plain TCP sockets rather than Go's default,
// MPTCP where the kernel has it: a socket filter (SO_ATTACH_FILTER) can be
// attached to a TCP socket only. Call it before the first Reconcile.
func (s *Set) PlainTCP() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.plainTCP = true
}

// Failures maps each address that could not be opened to a one-line message
// naming it and the cause: "listen 127.0.0.1:443: bind: address already in use".
type Failures map[string]string

// Err joins the failures into one error, in address order; nil if there are none.
func (f Failures) Err() error {
	if len(f) == 0 {
		return nil
	}
	var errs []error
	for _, a := range slices.Sorted(maps.Keys(f)) {
		errs = append(errs, errors.New(f[a]))
	}
	return errors.Join(errs...)
}

// Reconcile opens every address in addrs that is not open yet and closes every
// open address that is not in addrs. It returns the addresses that could not be
// opened (nil if none); the others are open regardless.
func (s *Set) Reconcile(ctx context.Context, addrs []string) Failures {
	s.mu.Lock()
	defer s.mu.Unlock()
	for addr, l := range s.open {
		if !slices.Contains(addrs, addr) {
			l.Close()
			delete(s.open, addr)
		}
	}
	var failed Failures
	var lc net.ListenConfig
	if s.plainTCP {
		lc.SetMultipathTCP(false)
	}
	for _, addr := range addrs {
		if _, ok := s.open[addr]; ok {
			continue
		}
		l, err := lc.Listen(ctx, "tcp", addr)
		if err != nil {
			if failed == nil {
				failed = Failures{}
			}
			failed[addr] = fmt.Sprintf("listen %s: %v", addr, unwrapSyscall(err))
			continue
		}
		if s.budget != nil {
			l = s.budget.Listener(l)
		} else {
			l = openingListener{l}
		}
		s.open[addr] = l
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serve(l)
		}()
	}
	return failed
}

// Addrs returns the addresses open now.
func (s *Set) Addrs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.open))
	for a := range s.open {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

// Close closes every listener and waits for their Serve calls to return.
func (s *Set) Close() {
	s.mu.Lock()
	for addr, l := range s.open {
		l.Close()
		delete(s.open, addr)
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// unwrapSyscall keeps "bind: address already in use" and drops the repeated
// "listen tcp ADDR:" prefix that net.OpError adds, so the message reads once.
func unwrapSyscall(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}

// openingListener hands out its connections as *Conn without a budget: their
// first writes are followed by quick ACKs (Opening) as under one.
type openingListener struct{ net.Listener }

func (l openingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &Conn{Conn: c}, nil
}

// SyscallConn is the listening socket's, as a budgeted listener's is.
func (l openingListener) SyscallConn() (syscall.RawConn, error) {
	if sc, ok := l.Listener.(syscall.Conn); ok {
		return sc.SyscallConn()
	}
	return nil, errors.ErrUnsupported
}
