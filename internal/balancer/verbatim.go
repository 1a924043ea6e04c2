package balancer

import (
	"bufio"
	"errors"
	"net/http"
	"os"
	"time"

	"gatehouse/internal/h1"
)

// The verbatim forward: the most common request a load balancer sees, a GET
// or OPTIONS without a body to a listener that forwards everything to an
// HTTP or HTTPS target group, is passed to the target as the bytes of its
// head with ALB's edits, and the target's response back the same way,
// without an http.Request, an http.Response or a header map on either side
// (package h1 offers it before it builds the request: Conn.Direct). The
// edits are forwardDirect's: hop-by-hop fields and the client's Forwarded,
// X-Forwarded-Host and X-Forwarded-Proto out, X-Forwarded-For, -Proto, -Port
// and X-Amzn-Trace-Id in, the first User-Agent only, on the response the
// hop-by-hop fields out, the status line as net/http writes it, a Date when
// the target sent none, Connection: close when the server stops. Tries,
// retries, timeouts, passive health, metrics and error pages are the other
// paths' own (forward, fastPool.send, ErrorHandler). A response verbatim
// cannot pass on as it is (1xx, no Content-Length, chunked, a Pragma or a
// body without a Content-Type, which net/http edits, a Connection field that
// names other fields, a head over the buffer) is read and answered as
// forwardDirect answers it, and so is a target this process serves (the
// hand-off). TestVerbatimMatchesDirect holds the two paths to the same bytes
// on the wire, but for the order of fields.

// serveVerbatim is h1's Conn.Direct for the listener socket key on node: it
// declines (before it picks a target) what it does not forward itself.
func (s *Service) serveVerbatim(x *h1.Exchange, key, node string) bool {
	t := s.table.Load()
	if t == nil {
		return false
	}
	le := t.listeners[key]
	if le == nil || len(le.rules) > 0 || le.action.kind != actionForward {
		return false
	}
	g := le.action.group
	if g.protocol != "HTTP" && g.protocol != "HTTPS" {
		return false
	}
	if !verbatimEligible(&x.Head) {
		return false
	}
	tgt := g.pick(s.passive, nil)
	if tgt == nil {
		return false // the handler answers 503
	}
	rt := newRoute(node, le, g, tgt, connFrom(x.Context))
	defer rt.wait.release()
	rt.wait.hold() // no body: the wait for the target starts now
	if _, ok := s.inProcessTarget(tgt); ok {
		s.forwardDirect(x.Writer(), routedRequest(x, rt))
		return true
	}
	in := inbound(&x.Head, x.RemoteAddr, le, rt.started)
	s.forwardVerbatim(x, &in, rt)
	return true
}

// routedRequest is x's request (built once) with rt in its context, as
// forwardDirect and outbound take it.
func routedRequest(x *h1.Exchange, rt *route) *http.Request {
	x.Context = withRoute(x.Context, rt)
	return x.Request()
}

// verbatimEligible reports whether the verbatim forward takes a request
// head: a GET or OPTIONS (fastEligible's methods but HEAD, whose response
// has no body to frame it) that keeps its connection, without a TE field
// (directEligible). A head h1 offers fits its buffer, below every limit
// checkLimits applies (the constant below fails to compile otherwise): it
// needs no measuring.
func verbatimEligible(h *h1.Head) bool {
	if h.Method != http.MethodGet && h.Method != http.MethodOptions || h.Close {
		return false
	}
	for i := range h.Fields {
		if h.Fields[i].Name == "Te" {
			return false
		}
	}
	return true
}

const _ = uint(min(maxRequestLine, maxHeaderField, maxHeaderBytes) - h1.MaxHead)

// verbatimResult is one try's answer: a target connection whose response
// head (of n bytes, still in its buffer) passes on verbatim, or res.
type verbatimResult struct {
	pool *fastPool
	c    *fastConn
	head h1.ResponseHead
	n    int
	res  *http.Response
}

// forwardVerbatim forwards x to rt's target and answers it.
func (s *Service) forwardVerbatim(x *h1.Exchange, in *inboundRequest, rt *route) {
	f := forwarder{s}
	ctx := x.Context
	// The client connection's abort (one request at a time on it), else one
	// for this request.
	var ab *abort
	ic := connFrom(ctx)
	if ic != nil {
		ab = ic.abortFor(ctx)
	} else {
		ab = &abort{ctx: ctx, once: true}
	}
	// What forwardDirect would send the target, built only when a try needs
	// it: an in-process target (a retry may land on one), or a response
	// verbatim does not pass on.
	var out *http.Request
	request := func() *http.Request {
		if out == nil {
			rt.client = x.Writer()
			out = outbound(routedRequest(x, rt))
		}
		return out
	}
	try := func(now time.Time, perTry time.Duration) (verbatimResult, error) {
		// The first try (forward starts it as the route) goes to the target
		// serveVerbatim found not served here: no second lookup.
		if !now.Equal(rt.started) {
			if serve, ok := s.inProcessTarget(rt.target); ok {
				res, err := f.tryInProcess(rt, request(), serve, perTry)
				return verbatimResult{res: res}, err
			}
		}
		wait := responseTimeout
		if perTry > 0 {
			wait = perTry
		}
		var v verbatimResult
		pool := ic.poolFor(s, rt)
		c, err := pool.send(ab, rt.target.addr, now, wait, func(c *fastConn) error {
			if err := c.write(now, wait, in.write); err != nil {
				return err
			}
			if err := c.awaitResponse(); err != nil {
				return err
			}
			if head, n, ok := c.peekVerbatim(); ok {
				v.head, v.n = head, n
				c.limit = -1
				if int64(c.br.Buffered()-n) >= head.ContentLength {
					return nil // the body is here too: no read left to bound
				}
				return c.unbound()
			}
			// The request went as bytes; the response is read as the
			// fast path reads it, for the request it stands for.
			var err error
			v.res, err = c.receive(request())
			return err
		})
		if err != nil {
			if perTry > 0 && errors.Is(err, os.ErrDeadlineExceeded) {
				err = errPerTryTimeout
			}
			return v, err
		}
		if v.res != nil {
			v.res = pool.withBody(c, ab, v.res)
			return v, nil
		}
		v.pool, v.c = pool, c
		return v, nil
	}
	v, err := forward(f, rt, ctx, x.Head.Method, true, try, func(string) error { return nil })
	rt.wait.release()
	if err != nil {
		s.proxy.ErrorHandler(x.Writer(), request(), err)
		return
	}
	if v.res != nil {
		s.respond(x.Writer(), v.res)
		return
	}
	s.metrics.targetDone(rt)
	s.metrics.request(v.head.StatusCode)
	whole := relayVerbatim(x, v.c, &v.head, v.n)
	if ab.disarm(v.c) && whole && !v.head.Close {
		v.pool.put(v.c, rt.started.Add(rt.took))
	} else {
		v.c.Close()
	}
	_ = x.Done(whole && !x.Closing())
}

// inboundRequest is a client's request head as verbatim sends it on.
type inboundRequest struct {
	head      *h1.Head
	le        *listenerEntry // X-Forwarded-Proto and -Port
	userAgent *h1.Field      // the first, as net/http's Write sends
	xff       string
	trace     string    // empty for a new root, written as it goes (appendTraceRoot)
	now       time.Time // the request's start, the new root's time
}

// inbound is what rewrite makes of an eligible head: X-Forwarded-For
// (forwardedFor), -Proto, -Port, a trace id that keeps the client's root,
// and the first User-Agent.
func inbound(h *h1.Head, remote string, le *listenerEntry, now time.Time) inboundRequest {
	var prior []string
	in := inboundRequest{head: h, le: le, now: now}
	for i := range h.Fields {
		switch f := &h.Fields[i]; f.Name {
		case "X-Forwarded-For":
			prior = append(prior, f.Value)
		case "X-Amzn-Trace-Id":
			if in.trace == "" && f.Value != "" {
				in.trace = traceID(f.Value, now)
			}
		case "User-Agent":
			if in.userAgent == nil {
				in.userAgent = f
			}
		}
	}
	in.xff = forwardedFor(prior, remote)
	return in
}

// write writes the request head to a target (fastConn.write): the fields
// that pass as they came, then ALB's own.
func (in *inboundRequest) write(bw *bufio.Writer) error {
	h := in.head
	_, _ = bw.WriteString(h.RequestLine()) // h1 offers only targets net/http sends as they are
	h1.WriteField(bw, h.HostField())
	if in.userAgent != nil && in.userAgent.Value != "" {
		h1.WriteField(bw, in.userAgent)
	}
	for i := range h.Fields {
		if !replacedOnRequest(h.Fields[i].Name) {
			h1.WriteField(bw, &h.Fields[i])
		}
	}
	_, _ = bw.WriteString("X-Forwarded-For: ")
	_, _ = bw.WriteString(in.xff)
	_, _ = bw.WriteString(in.le.forwarded)
	if in.trace != "" {
		_, _ = bw.WriteString(in.trace)
	} else {
		_, _ = bw.Write(appendTraceRoot(bw.AvailableBuffer(), in.now))
	}
	_, err := bw.WriteString("\r\n\r\n")
	return err
}

// replacedOnRequest are the client's fields the target does not get as
// sent: written apart (Host, User-Agent), not sent without a body
// (Content-Length), hop-by-hop (the Connection field's options are
// keep-alive and close only, h1 checked), and ALB's own.
func replacedOnRequest(name string) bool {
	switch name {
	case "Host", "User-Agent", "Content-Length",
		"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Port", "X-Amzn-Trace-Id":
		return true
	}
	return hopByHopField(name)
}

// peekVerbatim reads the response head into c's buffer and reports whether
// verbatim passes it on: a final status other than 204 and 304 (their
// framing is net/http's business); a Content-Length; a Content-Type unless
// the body is empty (else net/http sniffs one); no Pragma (net/http adds a
// Cache-Control for it); Connection options of keep-alive and close only;
// the whole head in the buffer. Anything else is left for receive, which
// also reports the errors.
func (c *fastConn) peekVerbatim() (h1.ResponseHead, int, bool) {
	for {
		buf, _ := c.br.Peek(c.br.Buffered())
		h, n, err := h1.ScanResponse(buf, c.fields[:0])
		if err == nil {
			c.fields = h.Fields
			return h, n, verbatimResponse(&h)
		}
		if !errors.Is(err, h1.ErrIncomplete) || len(buf) == c.br.Size() {
			return h, 0, false
		}
		if _, err := c.br.Peek(len(buf) + 1); err != nil {
			return h, 0, false
		}
	}
}

func verbatimResponse(h *h1.ResponseHead) bool {
	code := h.StatusCode
	if code == http.StatusNoContent || code == http.StatusNotModified || h.ContentLength < 0 {
		return false
	}
	if h.ConnectionOptions {
		return false
	}
	typed := false
	for _, f := range h.Fields {
		switch f.Name {
		case "Content-Type":
			typed = true
		case "Pragma":
			return false
		}
	}
	return typed || h.ContentLength == 0
}

// relayVerbatim writes the response whose head (n bytes) is in c's buffer
// to the client, body included, and reports whether all of it went.
func relayVerbatim(x *h1.Exchange, c *fastConn, h *h1.ResponseHead, n int) bool {
	bw := x.Out()
	h1.WriteStatusLine(bw, h.StatusCode)
	dated := false
	for i := range h.Fields {
		f := &h.Fields[i]
		if hopByHopField(f.Name) {
			continue
		}
		dated = dated || f.Name == "Date"
		h1.WriteField(bw, f)
	}
	if x.Closing() {
		_, _ = bw.WriteString("Connection: close\r\n")
	}
	if !dated {
		_, _ = bw.WriteString("Date: ")
		_, _ = bw.WriteString(h1.Date())
		_, _ = bw.WriteString("\r\n")
	}
	_, _ = bw.WriteString("\r\n")
	_, _ = c.br.Discard(n)
	for left := h.ContentLength; left > 0; {
		if bw.Available() == 0 {
			if bw.Flush() != nil {
				return false
			}
		}
		buf := bw.AvailableBuffer()[:min(int64(bw.Available()), left)]
		k, err := c.br.Read(buf)
		_, _ = bw.Write(buf[:k])
		left -= int64(k)
		if err != nil && left > 0 {
			return false
		}
	}
	return true
}
