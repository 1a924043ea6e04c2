//go:build linux

package balancer

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"gatehouse/internal/model"
	"gatehouse/internal/testutil"
)

// backendProcessEnv makes TestBackendProcess, run in a process of its own,
// serve HTTP on the address it names.
const backendProcessEnv = "BALANCER_TEST_BACKEND_ADDR"

// TestBackendProcess is not a test: TestStoppedProcess runs it in a child
// process as a target it can stop with SIGSTOP. It answers every request
// "ok" with "Backend: process", counts the requests marked "Phase: after",
// and prints its address and that of a control listener, which answers the
// count, once it listens.
func TestBackendProcess(t *testing.T) {
	addr := os.Getenv(backendProcessEnv)
	if addr == "" {
		t.Skip("runs only as TestStoppedProcess's child")
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	control, err := net.Listen("tcp", net.JoinHostPort(l.Addr().(*net.TCPAddr).IP.String(), "0"))
	if err != nil {
		t.Fatal(err)
	}
	var after atomic.Int64
	go func() {
		_ = http.Serve(control, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, after.Load())
		}))
	}()
	fmt.Println("control", control.Addr())
	fmt.Println("listening", l.Addr())
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Phase") == "after" {
			after.Add(1)
		}
		w.Header().Set("Backend", "process")
		_, _ = w.Write([]byte("ok"))
	})
	if os.Getenv(backendProcessTLSEnv) == "" {
		_ = http.Serve(l, handler)
		return
	}
	certPEM, keyPEM, _ := testutil.SelfSigned(t, "target.test")
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	_ = http.Serve(tls.NewListener(l, &tls.Config{Certificates: []tls.Certificate{cert}}), handler)
}

// backendProcessTLSEnv, set, makes TestBackendProcess serve HTTPS.
const backendProcessTLSEnv = "BALANCER_TEST_BACKEND_TLS"

// TestStoppedProcess: a target process stopped with SIGSTOP under load (the
// kernel still completes connections and takes the request bytes) costs the
// clients no GET, is ejected, and receives none of the requests sent after
// that (the two other targets, counting, received all of them); after
// SIGCONT it answers its health checks and gets traffic again.
func TestStoppedProcess(t *testing.T) {
	for _, c := range []struct {
		protocol string
		lport    int
	}{{"HTTP", 18461}, {"HTTPS", 18462}} {
		t.Run(c.protocol, func(t *testing.T) { testStoppedProcess(t, c.protocol, c.lport) })
	}
}

func testStoppedProcess(t *testing.T, protocol string, lport int) {
	e := newEnv(t)
	https := protocol == "HTTPS"
	a := newStallableProto(t, "a", "127.0.14.217", https)
	b := newStallableProto(t, "b", "127.0.14.218", https)
	cmd := exec.Command(os.Args[0], "-test.run=^TestBackendProcess$")
	cmd.Env = append(os.Environ(), backendProcessEnv+"=127.0.14.219:0")
	if https {
		cmd.Env = append(cmd.Env, backendProcessTLSEnv+"=1")
	}
	// Killed with this test process, even a stopped one, even when this
	// one dies without its cleanups.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGCONT)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	var procAddr, controlAddr string
	for sc := bufio.NewScanner(out); sc.Scan(); {
		if addr, ok := strings.CutPrefix(sc.Text(), "control "); ok {
			controlAddr = addr
		}
		if addr, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
			procAddr = addr
			break
		}
	}
	if procAddr == "" {
		t.Fatal("the backend process never said where it listens")
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	procHost, procPortText, _ := net.SplitHostPort(procAddr)
	procPort, _ := strconv.Atoi(procPortText)

	lb := e.createLB(t, "stopped")
	tg, err := e.svc.CreateTargetGroup(e.ctx, CreateTGInput{
		Name: "stopped-targets", Protocol: protocol, TargetType: "ip", VpcID: testVPC, Port: a.port(),
		// A check every 500 ms (25 check seconds): an ejected target's
		// hold-down (2 intervals + the 2 s timeout) outlasts the next
		// failed check by a margin a busy machine does not eat.
		HealthCheck: HealthCheckInput{IntervalSeconds: ptr(25), TimeoutSeconds: ptr(2),
			HealthyThreshold: ptr(2), UnhealthyThreshold: ptr(2)},
	})
	if err != nil {
		t.Fatal(err)
	}
	targets := []model.Target{{ID: "127.0.14.217", Port: a.port()}, {ID: "127.0.14.218", Port: b.port()}, {ID: procHost, Port: procPort}}
	if err := e.svc.RegisterTargets(e.ctx, tg.ARN, targets); err != nil {
		t.Fatal(err)
	}
	node := e.httpsForward(t, lb, tg.ARN, lport)
	url := "https://" + net.JoinHostPort(node, strconv.Itoa(lport)) + "/"
	e.waitAllHealthy(t, tg.ARN, len(targets))
	stop := e.load(t, url, 6)
	testutil.Eventually(t, "a latency window closed", func() (bool, string) {
		return e.svc.passive.latencyOf(tg.ARN).p99.Load() > 0, ""
	})
	if sent, failures := stop(); len(failures) > 0 {
		t.Fatalf("warm-up: %d of %d GETs failed: %v", len(failures), sent, failures[0])
	}

	before := counterValue(t, e.svc.metrics.ejections.WithLabelValues("timeout"))
	stop = e.load(t, url, 6)
	if err := cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, "the stopped process ejected", func() (bool, string) {
		got := counterValue(t, e.svc.metrics.ejections.WithLabelValues("timeout")) - before
		return got >= 1, fmt.Sprintf("timeout ejections %v", got)
	})
	if sent, failures := stop(); len(failures) > 0 {
		t.Fatalf("%d of %d GETs failed while a target was stopped, want 0: first %v", len(failures), sent, failures[0])
	}
	// Every request from here on is marked: the process, once resumed,
	// tells how many of them it received.
	seenBefore := a.seen.Load() + b.seen.Load()
	stop = e.load(t, url, 6, "Phase", "after")
	testutil.Eventually(t, "traffic on the running targets", func() (bool, string) {
		return a.seen.Load()+b.seen.Load()-seenBefore >= 200, ""
	})
	sent, failures := stop()
	if len(failures) > 0 {
		t.Errorf("%d of %d GETs failed with the stopped target ejected, want 0: first %v", len(failures), sent, failures[0])
	}
	if got := a.seen.Load() + b.seen.Load() - seenBefore; got < int64(sent) {
		t.Errorf("the running targets received %d of the %d requests sent after the ejection, want all", got, sent)
	}

	if err := cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, "a request served by the resumed process", func() (bool, string) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Host = testDomain
		res, err := e.client(false).Do(req)
		if err != nil {
			return false, err.Error()
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.Header.Get("Backend") == "process", res.Header.Get("Backend")
	})
	// Running again, it has taken in whatever was queued for it.
	res, err := http.Get("http://" + controlAddr + "/")
	if err != nil {
		t.Fatal(err)
	}
	count, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(count) != "0" {
		t.Errorf("requests sent after the ejection that reached the stopped process: got %s, want 0", count)
	}
}
