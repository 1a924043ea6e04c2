//go:build linux

// Command dnsload asks a DNS server the queries of a dnsperf query file over
// UDP, as dnsperf does (a fixed number in flight over a few sockets, each sent
// when one is answered, recursion desired, no EDNS), but at a fraction of its
// CPU a query: it sends and reads up to 64 datagrams a system call
// (sendmmsg, recvmmsg) from one thread. bench/dns.sh uses it where dnsperf
// cannot load a server: on a 2-core machine dnsperf needs more CPU a query
// than the servers it measures, so its core, not theirs, sets their qps.
//
//	dnsload -s 127.0.0.1 -p 15331 -d queries.txt -c 4 -q 200 -l 10 -t 1
//
// It prints dnsperf's summary lines (Queries sent, completed, lost, response
// codes, per second), so the script reads either. An answer counts when it
// comes on the socket its query left from with the query's id, the QR bit and
// the query's question; a query unanswered after -t is lost, and its slot
// asks the next query.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"time"
	"unsafe"

	"github.com/miekg/dns"
	"golang.org/x/sys/unix"
)

// batch is the most datagrams one sendmmsg or recvmmsg moves.
const batch = 64

func main() {
	server := flag.String("s", "127.0.0.1", "server address")
	port := flag.Int("p", 53, "server port")
	file := flag.String("d", "", "query file: a name and a type a line, as dnsperf reads")
	socks := flag.Int("c", 4, "sockets (dnsperf's clients); queries go to them in turn")
	inFlight := flag.Int("q", 200, "queries in flight")
	seconds := flag.Float64("l", 10, "seconds to send for")
	timeout := flag.Float64("t", 1, "seconds after which an unanswered query is lost")
	flag.Parse()
	log.SetFlags(0)
	if *inFlight < 1 || *inFlight > 1<<16 || *socks < 1 || *socks > *inFlight {
		log.Fatal("dnsload: want 1 <= -c <= -q <= 65536")
	}
	if *port < 1 || *port > 65535 {
		log.Fatalf("dnsload: -p %d: want a port, 1-65535", *port)
	}
	addr, err := netip.ParseAddr(*server)
	if err != nil {
		log.Fatalf("dnsload: -s: %v", err)
	}
	queries, err := readQueries(*file)
	if err != nil {
		log.Fatalf("dnsload: %v", err)
	}
	runtime.LockOSThread()
	l, err := newLoad(netip.AddrPortFrom(addr, uint16(*port)), *socks, *inFlight, queries)
	if err != nil {
		log.Fatalf("dnsload: %v", err)
	}
	start := time.Now()
	if err := l.run(start.Add(time.Duration(*seconds*float64(time.Second))), time.Duration(*timeout*float64(time.Second))); err != nil {
		log.Fatalf("dnsload: %v", err)
	}
	l.report(os.Stdout, time.Since(start).Seconds())
}

// report prints dnsperf's summary lines, the fields bench/dns.sh reads where
// dnsperf has them, and the CPU this process spent.
func (l *load) report(w io.Writer, elapsed float64) {
	fmt.Fprintf(w, "  Queries sent:         %d\n", l.sent)
	fmt.Fprintf(w, "  Queries completed:    %d (%.2f%%)\n", l.completed, pct(l.completed, l.sent))
	fmt.Fprintf(w, "  Queries lost:         %d (%.2f%%)\n", l.lost, pct(l.lost, l.sent))
	fmt.Fprintf(w, "  Unexpected answers:   %d\n", l.unexpected)
	fmt.Fprintf(w, "  Response codes:      ")
	for rcode, n := range l.rcodes {
		if n > 0 {
			fmt.Fprintf(w, " %s %d (%.2f%%)", dns.RcodeToString[rcode], n, pct(n, l.completed))
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  Run time (s):         %.6f\n", elapsed)
	fmt.Fprintf(w, "  Queries per second:   %.6f\n", float64(l.completed)/elapsed)
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) == nil && l.sent > 0 {
		cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		fmt.Fprintf(w, "  Client CPU (s):       %.3f (%.2f µs a query sent)\n", cpu.Seconds(), float64(cpu.Microseconds())/float64(l.sent))
	}
}

func pct(n, of int64) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) * 100 / float64(of)
}

// readQueries packs every line of the file, "name type", as a query.
func readQueries(path string) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		qtype := dns.TypeA
		if len(fields) > 1 {
			t, ok := dns.StringToType[strings.ToUpper(fields[1])]
			if !ok {
				return nil, fmt.Errorf("%s: unknown type %q", path, fields[1])
			}
			qtype = t
		}
		m := new(dns.Msg).SetQuestion(dns.Fqdn(fields[0]), qtype) // RD set, as dnsperf sends
		b, err := m.Pack()
		if err != nil {
			return nil, fmt.Errorf("%s: %q: %w", path, sc.Text(), err)
		}
		out = append(out, b)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no queries", path)
	}
	return out, nil
}

// load is the run's state: one thread, no locks. A query's id is its slot.
type load struct {
	fds     []int
	queries [][]byte
	next    int // the next query of the file, round and round

	sentAt []int64  // per slot: when its query left (ns since base, odd), 0 when free
	sockOf []uint8  // per slot: the socket it left from
	asked  []int    // per slot: the query it asked
	free   []uint16 // the free slots
	turn   int      // the socket the next query goes to

	out  []*vec // per socket, the queries of its next sendmmsg
	nout []int
	in   *vec // the answers of one recvmmsg
	base time.Time

	sent, completed, lost, unexpected int64
	rcodes                            [16]int64
}

// vec is the buffers of one sendmmsg or recvmmsg, its headers contiguous as
// the kernel reads them.
type vec struct {
	bufs [batch][512]byte
	iovs [batch]unix.Iovec
	hdrs [batch]unix.Mmsghdr
}

func newVec() *vec {
	v := new(vec)
	for i := range v.hdrs {
		v.iovs[i].Base = &v.bufs[i][0]
		v.iovs[i].SetLen(len(v.bufs[i]))
		v.hdrs[i].Hdr.Iov = &v.iovs[i]
		v.hdrs[i].Hdr.SetIovlen(1)
	}
	return v
}

func newLoad(server netip.AddrPort, socks, inFlight int, queries [][]byte) (*load, error) {
	if socks > 255 {
		return nil, errors.New("at most 255 sockets")
	}
	l := &load{
		queries: queries,
		sentAt:  make([]int64, inFlight),
		sockOf:  make([]uint8, inFlight),
		asked:   make([]int, inFlight),
		nout:    make([]int, socks),
		in:      newVec(),
		base:    time.Now(),
	}
	for i := inFlight - 1; i >= 0; i-- {
		l.free = append(l.free, uint16(i))
	}
	family, sa := unix.AF_INET, unix.Sockaddr(nil)
	if server.Addr().Is4() {
		sa = &unix.SockaddrInet4{Port: int(server.Port()), Addr: server.Addr().As4()}
	} else {
		family = unix.AF_INET6
		sa = &unix.SockaddrInet6{Port: int(server.Port()), Addr: server.Addr().As16()}
	}
	for range socks {
		fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("socket: %w", err)
		}
		if err := unix.Connect(fd, sa); err != nil {
			return nil, fmt.Errorf("connect %s: %w", server, err)
		}
		l.fds = append(l.fds, fd)
		l.out = append(l.out, newVec())
	}
	return l, nil
}

// run keeps every slot in flight until end; answers after end are not
// counted, and queries still out then are neither answered nor lost.
func (l *load) run(end time.Time, timeout time.Duration) error {
	polls := make([]unix.PollFd, len(l.fds))
	for i, fd := range l.fds {
		polls[i] = unix.PollFd{Fd: int32(fd), Events: unix.POLLIN}
	}
	stop := end.Sub(l.base).Nanoseconds()
	var lastExpire int64
	for {
		now := time.Since(l.base).Nanoseconds()
		if now >= stop {
			return nil
		}
		if now-lastExpire > int64(10*time.Millisecond) {
			l.expire(now, int64(timeout)) // before fill: a lost query's slot asks again at once
			lastExpire = now
		}
		if err := l.fill(now); err != nil {
			return err
		}
		got := 0
		for s := range l.fds {
			n, err := l.receive(s)
			if err != nil {
				return err
			}
			got += n
		}
		if got == 0 {
			// Every slot in flight (fill sent them all) and nothing came: sleep until something does.
			ms := min(10, int((stop-now)/int64(time.Millisecond))+1)
			if _, err := unix.Poll(polls, ms); err != nil && !errors.Is(err, unix.EINTR) {
				return fmt.Errorf("poll: %w", err)
			}
		}
	}
}

// fill sends a query from every free slot, to the sockets in turn.
func (l *load) fill(now int64) error {
	for len(l.free) > 0 {
		id := l.free[len(l.free)-1]
		l.free = l.free[:len(l.free)-1]
		s := l.turn
		l.turn = (l.turn + 1) % len(l.fds)
		v, i := l.out[s], l.nout[s]
		n := copy(v.bufs[i][:], l.queries[l.next])
		v.bufs[i][0], v.bufs[i][1] = byte(id>>8), byte(id)
		v.iovs[i].SetLen(n)
		l.nout[s]++
		l.sentAt[id], l.sockOf[id], l.asked[id] = now|1, uint8(s), l.next // |1: never 0, which marks a free slot
		l.next = (l.next + 1) % len(l.queries)
		if l.nout[s] == batch {
			if err := l.flush(s); err != nil {
				return err
			}
		}
	}
	for s := range l.fds {
		if err := l.flush(s); err != nil {
			return err
		}
	}
	return nil
}

// flush sends socket s's queued queries. A query the kernel refuses for
// want of buffer space keeps its slot and is lost after the timeout, as a
// datagram dropped on the way would be.
func (l *load) flush(s int) error {
	n := l.nout[s]
	l.nout[s] = 0
	hdrs := &l.out[s].hdrs
	for done := 0; done < n; {
		r, _, e := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(l.fds[s]), uintptr(unsafe.Pointer(&hdrs[done])), uintptr(n-done), 0, 0, 0)
		switch e {
		case 0:
			done += int(r)
			l.sent += int64(r)
		case unix.EINTR:
		case unix.EAGAIN, unix.ENOBUFS:
			l.sent += int64(n - done)
			return nil
		default:
			return fmt.Errorf("sendmmsg: %w", e)
		}
	}
	return nil
}

// receive reads up to a batch of what socket s holds and frees the answered
// slots; it returns how many datagrams it read.
func (l *load) receive(s int) (int, error) {
	v := l.in
	for i := range v.hdrs {
		v.hdrs[i].Hdr.Flags = 0
		v.hdrs[i].Len = 0
	}
	var r uintptr
	var e unix.Errno
	for {
		r, _, e = unix.Syscall6(unix.SYS_RECVMMSG, uintptr(l.fds[s]), uintptr(unsafe.Pointer(&v.hdrs[0])), batch, unix.MSG_DONTWAIT, 0, 0)
		if e != unix.EINTR {
			break
		}
	}
	switch e {
	case 0:
	case unix.EAGAIN, unix.ECONNREFUSED: // nothing yet; no server yet (an ICMP error)
		return 0, nil
	default:
		return 0, fmt.Errorf("recvmmsg: %w", e)
	}
	for i := range int(r) {
		b := v.bufs[i][:v.hdrs[i].Len]
		if len(b) < 12 || b[2]&0x80 == 0 {
			l.unexpected++
			continue
		}
		id := uint16(b[0])<<8 | uint16(b[1])
		if int(id) >= len(l.sentAt) || l.sentAt[id] == 0 || int(l.sockOf[id]) != s || !sameQuestion(b, l.queries[l.asked[id]]) {
			l.unexpected++ // not a query in flight: an answer after its timeout, or garbage
			continue
		}
		l.sentAt[id] = 0
		l.completed++
		l.rcodes[b[3]&0x0f]++
		l.free = append(l.free, id)
	}
	return int(r), nil
}

// sameQuestion tells whether answer repeats query's question (its one
// question, the rest of the query: no EDNS record follows it).
func sameQuestion(answer, query []byte) bool {
	return len(answer) >= len(query) && answer[5] == 1 && answer[4] == 0 && bytes.Equal(answer[12:len(query)], query[12:])
}

// expire frees the slots whose query has waited longer than wait: lost.
func (l *load) expire(now, wait int64) {
	for id, t := range l.sentAt {
		if t != 0 && now-t > wait {
			l.sentAt[id] = 0
			l.lost++
			l.free = append(l.free, uint16(id))
		}
	}
}
