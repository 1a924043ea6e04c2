// Package listen keeps a set of TCP listening sockets in line with a desired list
// of addresses. Sockets that stay in the list are never closed, so a configuration
// change never drops a connection or refuses a new one on an address that stays.
package listen

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
)

// Serve accepts and handles connections on l until l is closed. The Set owns the
// goroutine that runs it.
type Serve func(l net.Listener)

// Set is a reconciled set of listeners. The zero value is not usable; use NewSet.
type Set struct {
	serve Serve
	mu    sync.Mutex
	open  map[string]net.Listener
	wg    sync.WaitGroup
}

// NewSet returns an empty set whose listeners are served by serve.
func NewSet(serve Serve) *Set {
	return &Set{serve: serve, open: map[string]net.Listener{}}
}

// Reconcile opens every address in addrs that is not open yet and closes every
// open address that is not in addrs. It returns one error per address that could
// not be opened (errors.Join); the others are open regardless.
func (s *Set) Reconcile(ctx context.Context, addrs []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for addr, l := range s.open {
		if !slices.Contains(addrs, addr) {
			l.Close()
			delete(s.open, addr)
		}
	}
	var errs []error
	var lc net.ListenConfig
	for _, addr := range addrs {
		if _, ok := s.open[addr]; ok {
			continue
		}
		l, err := lc.Listen(ctx, "tcp", addr)
		if err != nil {
			errs = append(errs, fmt.Errorf("listen %s: %w", addr, unwrapSyscall(err)))
			continue
		}
		s.open[addr] = l
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serve(l)
		}()
	}
	return errors.Join(errs...)
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
