package accelerator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"gatehouse/internal/listen"
	"gatehouse/internal/testutil"
)

// synTimeout is how long a test dial waits for an answer to its SYN: less than
// the initial retransmission timeout (1 s), so one unanswered SYN is what it
// sees.
const synTimeout = 300 * time.Millisecond

// wantNoAnswer dials addr and wants the SYN to go unanswered (a dial timeout),
// not refused: a reset is what a graceful stop must not send.
func wantNoAnswer(t *testing.T, step, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, synTimeout)
	if err == nil {
		c.Close()
		t.Fatalf("%s: dial %s connected, want no answer to the SYN", step, addr)
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("%s: dial %s: got %v, want a timeout (no answer), not a reset", step, addr, err)
	}
}

// TestStopAccepting: once the accelerator stops accepting, a new client's
// SYN gets no answer while a connection proxied before carries on, with and
// without a connection budget around the sockets.
func TestStopAccepting(t *testing.T) {
	for _, tc := range []struct {
		name   string
		port   int
		budget *listen.Budget
	}{
		{"no budget", 41093, nil},
		{"under a budget", 41094, listen.NewBudget("static_ip", listen.Limits{Total: 100}, nil, nil)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lbNode(t, "lb1", lb1IP, tc.port)
			f := newFixture(t, true, func(d *Deps) { d.Budget = tc.budget })
			lb1 := f.putLB("lb1", true, lb1IP)
			f.setup(tc.port, "", ep(lb1, 128))
			before, _, err := dial(clientIP, staticIP1, tc.port)
			if err != nil {
				t.Fatalf("dial before the stop: %v", err)
			}
			defer before.c.Close()

			if err := f.svc.StopAccepting(); err != nil {
				t.Fatalf("StopAccepting: %v", err)
			}
			for _, ip := range []string{staticIP1, staticIP2} {
				wantNoAnswer(t, "after StopAccepting", net.JoinHostPort(ip, fmt.Sprint(tc.port)))
			}
			if got, err := before.roundTrip("still there"); err != nil || got != "lb1:still there" {
				t.Errorf("connection from before the stop: got %q, %v, want %q", got, err, "lb1:still there")
			}
			if got := f.svc.OpenFlows(); got != 1 {
				t.Errorf("OpenFlows() = %d, want 1 (the connection from before the stop)", got)
			}
		})
	}
}

// TestSYNDropFilter follows the socket filter through the cases a graceful
// stop meets, on real sockets: a connection accepted before the filter keeps
// no filter and works; a handshake caught half-way (the server in SYN-RECV
// when the filter is attached) completes, and the connection it makes works
// although it inherits the filter; a new SYN is dropped without an answer.
func TestSYNDropFilter(t *testing.T) {
	var lc net.ListenConfig
	lc.SetMultipathTCP(false) // as the accelerator's sockets (listen.Set.PlainTCP)
	l, err := lc.Listen(context.Background(), "tcp", net.JoinHostPort(clientIP, "41095"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 2)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	nextAccepted := func(step string) net.Conn {
		t.Helper()
		select {
		case c := <-accepted:
			t.Cleanup(func() { c.Close() })
			return c
		case <-time.After(testutil.WaitLimit):
			t.Fatalf("%s: nothing accepted in %s", step, testutil.WaitLimit)
			return nil
		}
	}

	// Accepted before the filter.
	early := testutil.Must[net.Conn](t)(net.Dial("tcp", l.Addr().String()))
	defer early.Close()
	earlyServer := nextAccepted("accepted before the filter")

	// A handshake caught half-way: the client drops the server's SYN-ACK
	// (a filter of its own), so the server holds the connection in SYN-RECV.
	half := halfOpen(t, l.Addr().(*net.TCPAddr))

	if err := dropNewConnections(l); err != nil {
		t.Fatalf("dropNewConnections: %v", err)
	}
	if n := filterLen(t, earlyServer); n != 0 {
		t.Errorf("connection accepted before the filter: has a filter of %d instructions, want none", n)
	}
	wantNoAnswer(t, "new SYN after the filter", l.Addr().String())

	// The client takes the server's next SYN-ACK (retransmitted after 1 s);
	// its ACK passes the listener's filter and the connection is accepted.
	half.letIn(t)
	halfServer := nextAccepted("half-open handshake after the filter")
	if n := filterLen(t, halfServer); n != len(synDrop) {
		t.Errorf("connection accepted after the filter: has a filter of %d instructions, want the listener's %d (inherited)", n, len(synDrop))
	}
	for _, pair := range []struct {
		name           string
		client, server net.Conn
	}{{"accepted before the filter", early, earlyServer}, {"completed after the filter", half.conn, halfServer}} {
		if err := echo(pair.client, pair.server); err != nil {
			t.Errorf("%s: %v", pair.name, err)
		}
	}
}

// echo sends a line each way between a connection's two ends.
func echo(client, server net.Conn) error {
	deadline := time.Now().Add(testutil.WaitLimit)
	client.SetDeadline(deadline)
	server.SetDeadline(deadline)
	buf := make([]byte, 5)
	for _, dir := range []struct{ from, to net.Conn }{{client, server}, {server, client}} {
		if _, err := dir.from.Write([]byte("hello")); err != nil {
			return fmt.Errorf("write: %w", err)
		}
		if _, err := dir.to.Read(buf); err != nil || string(buf) != "hello" {
			return fmt.Errorf("read: got %q, %v, want %q", buf, err, "hello")
		}
	}
	return nil
}

// halfOpenConn is a client whose handshake is held half-way by a filter on
// its own socket that drops the server's SYN-ACK.
type halfOpenConn struct {
	fd   int
	conn net.Conn // set by letIn
}

func halfOpen(t *testing.T, server *net.TCPAddr) *halfOpenConn {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	h := &halfOpenConn{fd: fd}
	t.Cleanup(func() {
		if h.conn == nil {
			unix.Close(fd)
		}
	})
	dropSYNACK := []unix.SockFilter{
		{Code: unix.BPF_LD | unix.BPF_B | unix.BPF_ABS, K: 13},
		{Code: unix.BPF_ALU | unix.BPF_AND | unix.BPF_K, K: 0x12},
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: 0x12, Jf: 1},
		{Code: unix.BPF_RET | unix.BPF_K, K: 0},
		{Code: unix.BPF_RET | unix.BPF_K, K: 0xffffffff},
	}
	prog := unix.SockFprog{Len: uint16(len(dropSYNACK)), Filter: &dropSYNACK[0]}
	if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &prog); err != nil {
		t.Fatalf("client filter: %v", err)
	}
	sa := &unix.SockaddrInet4{Port: server.Port}
	copy(sa.Addr[:], server.IP.To4())
	if err := unix.Connect(fd, sa); !errors.Is(err, unix.EINPROGRESS) {
		t.Fatalf("connect: got %v, want EINPROGRESS", err)
	}
	local, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	port := local.(*unix.SockaddrInet4).Port
	testutil.Eventually(t, "server holds the handshake in SYN-RECV", func() (bool, string) {
		st := tcpState(t, port)
		return st == "03", "client port's state on the server side: " + st
	})
	return h
}

// letIn removes the client's filter and waits until the handshake completes.
func (h *halfOpenConn) letIn(t *testing.T) {
	t.Helper()
	if err := unix.SetsockoptInt(h.fd, unix.SOL_SOCKET, unix.SO_DETACH_FILTER, 0); err != nil {
		t.Fatalf("detach client filter: %v", err)
	}
	fds := []unix.PollFd{{Fd: int32(h.fd), Events: unix.POLLOUT}}
	if _, err := unix.Poll(fds, int(testutil.WaitLimit/time.Millisecond)); err != nil || fds[0].Revents&unix.POLLOUT == 0 {
		t.Fatalf("client handshake did not complete in %s: %v", testutil.WaitLimit, err)
	}
	if soErr, err := unix.GetsockoptInt(h.fd, unix.SOL_SOCKET, unix.SO_ERROR); err != nil || soErr != 0 {
		t.Fatalf("client connect: %v %v", syscall.Errno(soErr), err)
	}
	f := os.NewFile(uintptr(h.fd), "half-open client")
	defer f.Close() // FileConn holds its own copy
	c, err := net.FileConn(f)
	if err != nil {
		t.Fatal(err)
	}
	h.conn = c
	t.Cleanup(func() { c.Close() })
}

// tcpState is the state (hex, as /proc/net/tcp prints it; "03" is SYN-RECV)
// of the server side of the connection from the local port; "" if none.
func tcpState(t *testing.T, clientPort int) string {
	t.Helper()
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n")[1:] {
		fields := strings.Fields(line)
		// sl local_address rem_address st …; the server side's remote
		// address is the client's.
		if len(fields) > 3 && strings.HasSuffix(fields[2], fmt.Sprintf(":%04X", clientPort)) {
			return fields[3]
		}
	}
	return ""
}

// filterLen is the number of instructions of c's socket filter, 0 if none.
func filterLen(t *testing.T, c net.Conn) int {
	t.Helper()
	raw, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var n uint32 // in: 0 asks for the length only; out: the length
	var errno syscall.Errno
	raw.Control(func(fd uintptr) {
		_, _, errno = unix.Syscall6(unix.SYS_GETSOCKOPT, fd, unix.SOL_SOCKET, unix.SO_GET_FILTER, 0, uintptr(unsafe.Pointer(&n)), 0)
	})
	if errno != 0 {
		t.Fatalf("SO_GET_FILTER: %v", errno)
	}
	return int(n)
}
