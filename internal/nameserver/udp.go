package nameserver

import (
	"errors"
	"net"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
)

const (
	// batchSize is how many datagrams one read takes (recvmmsg on Linux) and
	// one write sends back.
	batchSize = 64
	// maxUDPReaders caps the goroutines reading the one UDP socket; each holds
	// two batches of buffers. Reads of one socket are serialised by the runtime,
	// so more readers only overlap one's reading with another's answering.
	maxUDPReaders = 4
	// slowQueue is how many declined queries wait for the miekg/dns server;
	// beyond it they are dropped, as a full socket buffer would drop them.
	slowQueue = 256
)

// udpFast reads the UDP socket itself: a few goroutines, each reading batches
// of queries and answering the common ones from the table's wire answers
// (answerFast) with one write per batch. The rest go to the miekg/dns server
// through slow, a net.PacketConn that yields them and writes to the socket.
type udpFast struct {
	s    *Service
	conn *net.UDPConn
	slow *slowConn
	wg   sync.WaitGroup
}

// newUDPFast returns the fast path for pc, or nil when miekg/dns must keep the
// socket: a wildcard address, where only miekg/dns's per-packet control
// messages (IP_PKTINFO) answer from the address the client asked, or the fast
// path switched off.
func (s *Service) newUDPFast(pc net.PacketConn) *udpFast {
	conn, ok := pc.(*net.UDPConn)
	if !ok || s.noFastPath {
		return nil
	}
	if a, ok := conn.LocalAddr().(*net.UDPAddr); !ok || a.IP.IsUnspecified() {
		return nil
	}
	return &udpFast{s: s, conn: conn, slow: newSlowConn(conn, s.m)}
}

// start runs the readers: one per core in use, within maxUDPReaders.
func (f *udpFast) start() error {
	n := min(runtime.GOMAXPROCS(0), maxUDPReaders)
	batches := make([]*batch, n)
	for i := range batches {
		b, err := newBatch(f.conn)
		if err != nil {
			return err
		}
		batches[i] = b
	}
	for _, b := range batches {
		f.wg.Go(func() { f.serve(b) })
	}
	return nil
}

// stop closes the socket, which ends the readers, and waits for them.
func (f *udpFast) stop() {
	f.conn.Close()
	f.wg.Wait()
}

// serve answers batches until the socket is closed. Metrics are counted per
// batch (one add per response code seen, one time for the batch) rather than
// per query.
func (f *udpFast) serve(b *batch) {
	var byRcode [maskRcode + 1]uint32
	for {
		n, err := b.read()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			f.s.log.Debug("dns udp read", "err", err)
			continue
		}
		start := time.Now()
		t := f.s.tab.Load()
		answered, declined := 0, false
		for i := range n {
			pkt, out := b.packet(i), b.out(i)
			size := answerFast(t, pkt, out)
			if size == 0 {
				f.slow.push(pkt, b.from(i))
				declined = true
				continue
			}
			b.reply(i, size)
			byRcode[out[3]&maskRcode]++
			answered++
		}
		if answered > 0 {
			f.countRcodes(&byRcode)
			if err := b.flush(); err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				f.s.log.Debug("dns udp write", "err", err)
			}
			f.observe(answered, start)
		}
		if declined {
			// With one P the slow path's goroutine runs only when this one
			// yields, and a busy reader may not park for a long while.
			runtime.Gosched()
		}
	}
}

// countRcodes adds a batch's answers to the query counter, one add per
// response code seen, before they are sent (a client that has its answer
// finds it counted).
func (f *udpFast) countRcodes(byRcode *[maskRcode + 1]uint32) {
	for rcode, c := range byRcode {
		if c != 0 {
			f.s.m.udpRcode(rcode).Add(float64(c))
			byRcode[rcode] = 0
		}
	}
}

// observe records the batch's time once per answer: each waited for all of it.
func (f *udpFast) observe(answered int, start time.Time) {
	d := time.Since(start).Seconds()
	obs := f.s.m.udpDuration()
	for range answered {
		obs.Observe(d)
	}
}

// slowConn is the net.PacketConn the miekg/dns UDP server serves when the fast
// path reads the socket: its reads yield the queries the fast path declined,
// its writes go to the socket.
type slowConn struct {
	conn     *net.UDPConn
	in       chan slowPacket
	unblock  chan struct{} // closed by a past read deadline (miekg/dns's shutdown) or Close
	stopOnce sync.Once
	m        *metrics
}

type slowPacket struct {
	b    []byte
	from net.Addr
}

func newSlowConn(conn *net.UDPConn, m *metrics) *slowConn {
	return &slowConn{conn: conn, in: make(chan slowPacket, slowQueue), unblock: make(chan struct{}), m: m}
}

// push hands a copy of pkt to the slow path, or drops it when the queue is full.
func (c *slowConn) push(pkt []byte, from net.Addr) {
	c.m.fallback.Inc()
	select {
	case c.in <- slowPacket{b: append([]byte(nil), pkt...), from: from}:
	default:
		c.m.dropped.Inc()
	}
}

func (c *slowConn) ReadFrom(b []byte) (int, net.Addr, error) {
	select {
	case p := <-c.in:
		return copy(b, p.b), p.from, nil
	case <-c.unblock:
		return 0, nil, os.ErrDeadlineExceeded
	}
}

func (c *slowConn) WriteTo(b []byte, addr net.Addr) (int, error) { return c.conn.WriteTo(b, addr) }

// Close ends reads; the socket itself is closed by udpFast.stop.
func (c *slowConn) Close() error {
	c.stopOnce.Do(func() { close(c.unblock) })
	return nil
}

func (c *slowConn) LocalAddr() net.Addr { return c.conn.LocalAddr() }

// SetReadDeadline honours only a deadline in the past, which is how miekg/dns
// stops its reader on shutdown; its per-read timeouts only make it read again.
func (c *slowConn) SetReadDeadline(t time.Time) error {
	if !t.IsZero() && time.Until(t) <= 0 {
		c.Close()
	}
	return nil
}

func (c *slowConn) SetWriteDeadline(t time.Time) error { return c.conn.SetWriteDeadline(t) }

func (c *slowConn) SetDeadline(t time.Time) error {
	c.SetReadDeadline(t)
	return c.SetWriteDeadline(t)
}

// udpRcode is the UDP query counter of rcode, looked up once: WithLabelValues
// hashes its labels on every call, which the fast path cannot afford per query.
func (m *metrics) udpRcode(rcode int) prometheus.Counter {
	if c := m.udpByRcode[rcode].Load(); c != nil {
		return *c
	}
	c := m.queries.WithLabelValues("udp", dns.RcodeToString[rcode])
	m.udpByRcode[rcode].Store(&c)
	return c
}

func (m *metrics) udpDuration() prometheus.Observer {
	if o := m.udpObserver.Load(); o != nil {
		return *o
	}
	o := m.duration.WithLabelValues("udp")
	m.udpObserver.Store(&o)
	return o
}
