// Package reqbody lets a forwarding hop blame the side that failed when a
// request body could not be forwarded: a client that sent malformed framing
// (bad chunked encoding) gets a 400, as ALB and API Gateway answer, while a
// client that stopped sending gets no answer and a backend failure keeps its
// 5xx. httputil.ReverseProxy reports all three as one error; Body remembers
// which side ended the read.
package reqbody

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
)

// Body is a request body that keeps the error that ended reading it.
type Body struct {
	io.ReadCloser
	mu  sync.Mutex
	err error
}

// New wraps rc.
func New(rc io.ReadCloser) *Body { return &Body{ReadCloser: rc} }

func (b *Body) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		b.mu.Lock()
		b.err = err
		b.mu.Unlock()
	}
	return n, err
}

// Err is the error that ended reading the body, or nil (also for a nil Body:
// a request without one).
func (b *Body) Err() error {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

// Stopped reports whether a body read failed because the client stopped
// sending (closed mid-body, a read deadline, the connection closed) or went
// away, rather than because of what it sent.
func Stopped(err error) bool {
	var ne net.Error
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) || errors.As(err, &ne) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// Malformed reports whether a body read failed because of what the client
// sent: not because it stopped sending, nor because it sent more than allowed
// (http.MaxBytesReader's 413 is answered apart).
func Malformed(err error) bool {
	var tooLarge *http.MaxBytesError
	return err != nil && !Stopped(err) && !errors.As(err, &tooLarge)
}
