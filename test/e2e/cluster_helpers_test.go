package e2e

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"gatehouse/internal/bgp/birdtest"
)

// inNetns runs f on an OS thread that has joined the network namespace ns
// (ip netns add's /var/run/netns/NAME), so every socket f opens belongs to
// ns. f must not hand a dial to another goroutine (net/http's Transport
// does): those run on other threads, in the root namespace. The thread is
// never unlocked, so the runtime ends it with the goroutine instead of
// reusing it elsewhere.
func inNetns(ns string, f func()) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		fd, err := unix.Open("/var/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- fmt.Errorf("open namespace %s: %w", ns, err)
			return
		}
		err = unix.Setns(fd, unix.CLONE_NEWNET)
		unix.Close(fd)
		if err != nil {
			errc <- fmt.Errorf("join namespace %s: %w", ns, err)
			return
		}
		f()
		errc <- nil
	}()
	return <-errc
}

// httpsGet is one request on a connection of its own, as curl makes it:
// dial ip:443, TLS verified against ca for the API's domain, GET path,
// read the whole response, close. It runs in the calling goroutine.
func httpsGet(ip string, ca *x509.CertPool, path string, timeout time.Duration) (code int, body string, err error) {
	deadline := time.Now().Add(timeout)
	conn, err := (&net.Dialer{Deadline: deadline}).Dial("tcp", net.JoinHostPort(ip, "443"))
	if err != nil {
		return 0, "", err
	}
	defer conn.Close()
	conn.SetDeadline(deadline)
	tc := tls.Client(conn, &tls.Config{ServerName: domain, RootCAs: ca})
	if _, err := io.WriteString(tc, "GET "+path+" HTTP/1.1\r\nHost: "+domain+"\r\nConnection: close\r\n\r\n"); err != nil {
		return 0, "", err
	}
	resp, err := http.ReadResponse(bufio.NewReader(tc), nil)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, string(b), err
	}
	return resp.StatusCode, string(b), nil
}

// getIn is httpsGet from inside the namespace ns.
func getIn(ns, ip string, ca *x509.CertPool, path string) (code int, body string, err error) {
	if nerr := inNetns(ns, func() { code, body, err = httpsGet(ip, ca, path, 5*time.Second) }); nerr != nil {
		return 0, "", nerr
	}
	return code, body, err
}

// clusterNode is one `gatehouse serve` in a node namespace.
type clusterNode struct {
	name    string
	host    birdtest.Host
	bin     string
	args    []string
	dataDir string

	mu     sync.Mutex
	cmd    *exec.Cmd
	out    *lockedBuffer // stdout and stderr of every run, for the failure log
	exited chan struct{}
}

// start runs the node, waits until it prints that it serves and returns
// where this run's output begins in n.out.
func (n *clusterNode) start(t *testing.T) int {
	t.Helper()
	n.mu.Lock()
	if n.out == nil {
		n.out = &lockedBuffer{}
	}
	fmt.Fprintf(n.out, "--- start %s\n", time.Now().Format(time.TimeOnly))
	mark := n.out.Len()
	cmd := n.host.Exec(n.bin, append([]string{"serve"}, n.args...)...)
	cmd.Stdout, cmd.Stderr = n.out, n.out
	if err := cmd.Start(); err != nil {
		n.mu.Unlock()
		t.Fatalf("start %s: %v", n.name, err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	n.cmd, n.exited = cmd, exited
	n.mu.Unlock()
	deadline := time.After(2 * waitLimit) // the first node applies the stack and waits for its health checks
	for !strings.Contains(n.out.From(mark), "\ngatehouse serving") && !strings.HasPrefix(n.out.From(mark), "gatehouse serving") {
		select {
		case <-exited:
			t.Fatalf("%s exited at start:\n%s", n.name, n.out.From(mark))
		case <-deadline:
			t.Fatalf("%s did not say it serves after %s:\n%s", n.name, 2*waitLimit, n.out.From(mark))
		case <-time.After(50 * time.Millisecond):
		}
	}
	return mark
}

// signal sends sig to the running node.
func (n *clusterNode) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %s to %s: %v", sig, n.name, err)
	}
}

// wait waits for the node to exit and returns its exit status.
func (n *clusterNode) wait(t *testing.T) *os.ProcessState {
	t.Helper()
	select {
	case <-n.exited:
	case <-time.After(2 * waitLimit):
		t.Fatalf("%s still running %s after it was stopped", n.name, 2*waitLimit)
	}
	return n.cmd.ProcessState
}

// kill ends the node at once if it runs (the test's clean-up).
func (n *clusterNode) kill() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd != nil && n.cmd.ProcessState == nil {
		n.cmd.Process.Kill()
		<-n.exited
	}
}

// counter reads one sample of a Prometheus counter from the node's
// /metrics: name{labels} as it is printed.
func (n *clusterNode) counter(t *testing.T, metricsAddr, series string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatalf("%s metrics: %v", n.name, err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatalf("%s metrics: %s: %v", n.name, sc.Text(), err)
			}
			return f
		}
	}
	return 0 // not yet counted
}

// result is one request of a load.
type result struct {
	start, end time.Time
	err        error
	connOpened time.Time // when its connection was dialled (keep-alive loads)
}

// load sends requests from a namespace until stopped: workers goroutines,
// each on a thread in the namespace, each request on a new connection
// (httpsGet) to the static IPs in turn. A request fails when it does not
// get 200 with want as body within its timeout.
type load struct {
	mu      sync.Mutex
	results []result
	stop    chan struct{}
	done    sync.WaitGroup
}

func startLoad(t *testing.T, ns string, ips []string, ca *x509.CertPool, want string, workers int) *load {
	t.Helper()
	l := &load{stop: make(chan struct{})}
	for w := range workers {
		l.done.Go(func() {
			err := inNetns(ns, func() {
				for i := w; ; i++ {
					select {
					case <-l.stop:
						return
					default:
					}
					r := result{start: time.Now()}
					code, body, err := httpsGet(ips[i%len(ips)], ca, "/", 2*time.Second)
					if err == nil && (code != 200 || body != want) {
						err = fmt.Errorf("got %d %q, want 200 %q", code, body, want)
					}
					r.end, r.err = time.Now(), err
					l.mu.Lock()
					l.results = append(l.results, r)
					l.mu.Unlock()
				}
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	t.Cleanup(l.end)
	return l
}

// startKeepAliveLoad is startLoad with connections that stay open: each
// worker sends its requests one after another on one connection (HTTP/1.1
// keep-alive) and dials a new one only when a request fails or the server
// closes it.
func startKeepAliveLoad(t *testing.T, ns string, ips []string, ca *x509.CertPool, want string, workers int) *load {
	t.Helper()
	l := &load{stop: make(chan struct{})}
	for w := range workers {
		l.done.Go(func() {
			err := inNetns(ns, func() {
				var c *loadConn
				defer func() {
					if c != nil {
						c.Close()
					}
				}()
				for {
					select {
					case <-l.stop:
						return
					default:
					}
					r := result{start: time.Now()}
					var err error
					if c == nil {
						c, err = dialLoadConn(ips[w%len(ips)], ca, 2*time.Second)
					}
					if err == nil {
						r.connOpened = c.opened
						var code int
						var body string
						code, body, err = c.get("/", 2*time.Second)
						if err == nil && (code != 200 || body != want) {
							err = fmt.Errorf("got %d %q, want 200 %q", code, body, want)
						}
					}
					if c != nil && (err != nil || c.done) {
						c.Close()
						c = nil
					}
					r.end, r.err = time.Now(), err
					l.mu.Lock()
					l.results = append(l.results, r)
					l.mu.Unlock()
				}
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	t.Cleanup(l.end)
	return l
}

// loadConn is an HTTPS connection that carries one request after another.
type loadConn struct {
	*tls.Conn
	br     *bufio.Reader
	opened time.Time
	done   bool // the last response said the server closes the connection
}

func dialLoadConn(ip string, ca *x509.CertPool, timeout time.Duration) (*loadConn, error) {
	opened := time.Now()
	conn, err := (&net.Dialer{Timeout: timeout}).Dial("tcp", net.JoinHostPort(ip, "443"))
	if err != nil {
		return nil, err
	}
	tc := tls.Client(conn, &tls.Config{ServerName: domain, RootCAs: ca})
	tc.SetDeadline(time.Now().Add(timeout))
	if err := tc.Handshake(); err != nil {
		tc.Close()
		return nil, err
	}
	return &loadConn{Conn: tc, br: bufio.NewReader(tc), opened: opened}, nil
}

// get sends GET path on the connection and reads the whole response.
func (c *loadConn) get(path string, timeout time.Duration) (code int, body string, err error) {
	c.SetDeadline(time.Now().Add(timeout))
	if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: "+domain+"\r\n\r\n"); err != nil {
		return 0, "", err
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	c.done = resp.Close // the server closes it after this response
	return resp.StatusCode, string(b), err
}

// end stops the load and waits for its requests in flight.
func (l *load) end() {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	l.done.Wait()
}

// total and failures are the load's requests so far.
func (l *load) snapshot() []result {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.results)
}

// waitRequests waits until the load has made n more requests than it had.
func (l *load) waitRequests(t *testing.T, n int) {
	t.Helper()
	base := len(l.snapshot())
	deadline := time.Now().Add(waitLimit)
	for len(l.snapshot()) < base+n {
		if time.Now().After(deadline) {
			t.Fatalf("load made %d requests in %s, want %d", len(l.snapshot())-base, waitLimit, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func failures(rs []result) []result {
	var out []result
	for _, r := range rs {
		if r.err != nil {
			out = append(out, r)
		}
	}
	return out
}

// lockedBuffer is an output both of a process's pipes write to.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Len()
}

// From is what was written from offset on.
func (b *lockedBuffer) From(offset int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()[offset:]
}
