package balancer

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/internal/live"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
	"gatehouse/internal/testutil"
)

// Test addresses, all inside this package's range 127.0.14.0/24.
const (
	testVPC     = "vpc-test"
	subnetA     = "subnet-a" // 127.0.14.0/26: node IPs start at 127.0.14.4
	subnetB     = "subnet-b" // 127.0.14.64/26: node IPs start at 127.0.14.68
	subnetT     = "subnet-t" // 127.0.14.192/26: targets
	clientIP    = "127.0.14.150"
	trustedIP   = "127.0.14.241"
	targetIP    = "127.0.14.200"
	testCertARN = "arn:aws:acm:us-west-2:000000000000:certificate/11111111-2222-4333-8444-555555555555"
	testDomain  = "api.example.test"
)

// testCheckSecond is a second of health check interval in these tests: a
// check every 5 s runs every 100 ms, and 300 s (no check in the meantime)
// are 6 s.
const testCheckSecond = 20 * time.Millisecond

var trusted = []netip.Prefix{netip.MustParsePrefix("127.0.14.240/29")}

type env struct {
	st   store.Store
	feed *live.Feed
	svc  *Service
	pool *x509.CertPool
	ctx  context.Context
	stop func() // ends Run and waits for it to return
}

// newEnv builds a mem store with a VPC, three subnets and an issued
// certificate, a live feed, and a running balancer; opts change its Deps
// before it starts.
func newEnv(t testing.TB, opts ...func(*Deps)) *env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	st := store.NewMem()
	put := func(k model.Kind, id string, v any) {
		if _, err := store.Save(ctx, st, model.Key(k, id), v, 0); err != nil {
			t.Fatal(err)
		}
	}
	put(model.KindVPC, testVPC, &model.VPC{ID: testVPC, CIDR: "127.0.14.0/24", State: "available"})
	put(model.KindSubnet, subnetA, &model.Subnet{ID: subnetA, VpcID: testVPC, CIDR: "127.0.14.0/26", AvailabilityZone: "us-west-2a"})
	put(model.KindSubnet, subnetB, &model.Subnet{ID: subnetB, VpcID: testVPC, CIDR: "127.0.14.64/26", AvailabilityZone: "us-west-2b"})
	put(model.KindSubnet, subnetT, &model.Subnet{ID: subnetT, VpcID: testVPC, CIDR: "127.0.14.192/26", AvailabilityZone: "us-west-2c"})
	cert, pool := selfSigned(t, testDomain)
	cert.ARN = testCertARN
	put(model.KindCertificate, cert.ARN, cert)

	snap, err := live.Load(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	feed := live.NewFeed(snap)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	deps := Deps{Store: st, Feed: feed, Log: log, Env: model.DefaultEnv, TrustedProxies: trusted,
		HealthCheckSecond: testCheckSecond, RetryInterval: 20 * time.Millisecond}
	for _, o := range opts {
		o(&deps)
	}
	svc := New(deps)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = live.Watch(ctx, st, feed, log) }()
	go func() {
		defer wg.Done()
		if err := svc.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	stop := func() { cancel(); wg.Wait() }
	t.Cleanup(func() { stop(); st.Close() })
	return &env{st: st, feed: feed, svc: svc, pool: pool, ctx: ctx, stop: stop}
}

// selfSigned is an issued, imported certificate for name and a pool that
// trusts it.
func selfSigned(t testing.TB, name string) (*model.Certificate, *x509.CertPool) {
	t.Helper()
	certPEM, keyPEM, leaf := testutil.SelfSigned(t, name)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return &model.Certificate{
		DomainName: name, SubjectAlternativeNames: []string{name}, Status: model.CertIssued, Type: "IMPORTED",
		CertificatePEM: string(certPEM), PrivateKeyPEM: string(keyPEM),
	}, pool
}

// backend is an HTTPS target like an execute-api endpoint: 403 to a request
// whose Host is an IP (the health checks), 200 otherwise, echoing what the
// balancer sent.
func backend(t *testing.T) (*httptest.Server, int) {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(targetIP, "0"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.Host)
		if err != nil {
			host = r.Host
		}
		h := w.Header()
		h.Set("Echo-XFF", r.Header.Get("X-Forwarded-For"))
		h.Set("Echo-Proto", r.Header.Get("X-Forwarded-Proto"))
		h.Set("Echo-Port", r.Header.Get("X-Forwarded-Port"))
		h.Set("Echo-Trace", r.Header.Get("X-Amzn-Trace-Id"))
		h.Set("Echo-Host", r.Host)
		h.Set("Echo-Peer", r.RemoteAddr)
		h.Set("Echo-UA", r.Header.Get("User-Agent"))
		if _, err := netip.ParseAddr(host); err == nil {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		_, _ = w.Write([]byte("hello from target"))
	}))
	srv.Listener.Close()
	srv.Listener = l
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, l.Addr().(*net.TCPAddr).Port
}

// client dials from clientIP and verifies the test certificate for testDomain.
func (e *env) client(h2 bool) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(clientIP)}}
	return &http.Client{
		Timeout: 20 * time.Second,
		Transport: &http.Transport{
			DialContext:       d.DialContext,
			TLSClientConfig:   &tls.Config{RootCAs: e.pool, ServerName: testDomain},
			ForceAttemptHTTP2: h2,
			DisableKeepAlives: true,
		},
	}
}

func ptr[T any](v T) *T { return &v }

// setup creates a load balancer in subnets a and b.
func (e *env) createLB(t testing.TB, name string) *model.LoadBalancer {
	t.Helper()
	lb, err := e.svc.CreateLoadBalancer(e.ctx, CreateLBInput{Name: name, SubnetIDs: []string{subnetA, subnetB}})
	if err != nil {
		t.Fatalf("CreateLoadBalancer: %v", err)
	}
	return lb
}

func (e *env) waitState(t testing.TB, arn, state string) *model.LoadBalancer {
	t.Helper()
	var got *model.LoadBalancer
	testutil.Eventually(t, "load balancer "+state, func() (bool, string) {
		lbs, err := e.svc.DescribeLoadBalancers(e.ctx, []string{arn}, nil)
		if err != nil {
			return false, err.Error()
		}
		got = lbs[0]
		return got.State == state, got.State + " " + got.StateReason
	})
	return got
}

// getOverTLS shakes TLS hands on c (HTTP/1.1, the test certificate for
// testDomain) and sends GET https://testDomain/ on it; the response's body is
// read and closed.
func (e *env) getOverTLS(c net.Conn) (*http.Response, error) {
	tc := tls.Client(c, &tls.Config{RootCAs: e.pool, ServerName: testDomain, NextProtos: []string{"http/1.1"}})
	_ = tc.SetDeadline(time.Now().Add(10 * time.Second))
	req, _ := http.NewRequest(http.MethodGet, "https://"+testDomain+"/", nil)
	if err := req.Write(tc); err != nil {
		return nil, err
	}
	res, err := http.ReadResponse(bufio.NewReader(tc), req)
	if err != nil {
		return nil, err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res, nil
}

// waitAllHealthy waits until every one of n targets of tgARN is healthy.
func (e *env) waitAllHealthy(t testing.TB, tgARN string, n int) {
	t.Helper()
	testutil.Eventually(t, "every target healthy", func() (bool, string) {
		hs, err := e.svc.DescribeTargetHealth(e.ctx, tgARN)
		if err != nil {
			return false, err.Error()
		}
		healthy := 0
		for _, h := range hs {
			if h.State == model.TargetHealthy {
				healthy++
			}
		}
		return healthy == n, fmt.Sprint(hs)
	})
}

func (e *env) waitHealth(t *testing.T, tgARN, state, reason string) model.TargetState {
	t.Helper()
	var got model.TargetState
	testutil.Eventually(t, "target "+state+" "+reason, func() (bool, string) {
		hs, err := e.svc.DescribeTargetHealth(e.ctx, tgARN)
		if err != nil || len(hs) == 0 {
			return false, "no health"
		}
		got = hs[0]
		return got.State == state && got.Reason == reason, got.State + " " + got.Reason + " " + got.Description
	})
	return got
}

func asAWS(t *testing.T, err error) *model.Error {
	t.Helper()
	var me *model.Error
	if !errors.As(err, &me) {
		t.Fatalf("got error %v, want a *model.Error", err)
	}
	return me
}

// get sends GET url with Host testDomain, as a client that resolved the API's
// name to the load balancer would.
func (e *env) get(h2 bool, url string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Host = testDomain
	return e.client(h2).Do(req)
}

// waitOpen waits until the balancer has the socket open: a load balancer is
// active as soon as the sockets it had were open, which may be before a
// listener created just now has its socket.
// forwardHTTP creates a load balancer name with an HTTP listener on lport
// forwarding to an HTTP target group of one target, ip:port (forwardTo),
// and returns the node IP once the listener is open.
func (e *env) forwardHTTP(t testing.TB, name, ip string, port, lport int) string {
	t.Helper()
	return e.forwardTo(t, e.createLB(t, name), name+"-targets", "HTTP", ip, port, lport)
}

// forwardTo adds to lb an HTTP listener on lport forwarding to a new target
// group tgName of protocol with one target, ip:port (health checks every
// 300 s, that is rarely), and returns the node IP once the listener is open.
func (e *env) forwardTo(t testing.TB, lb *model.LoadBalancer, tgName, protocol, ip string, port, lport int) string {
	t.Helper()
	tg, err := e.svc.CreateTargetGroup(e.ctx, CreateTGInput{
		Name: tgName, Protocol: protocol, TargetType: "ip", VpcID: testVPC, Port: port,
		HealthCheck: HealthCheckInput{IntervalSeconds: ptr(300)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RegisterTargets(e.ctx, tg.ARN, []model.Target{{ID: ip, Port: port}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateListener(e.ctx, CreateListenerInput{LoadBalancerARN: lb.ARN, Protocol: "HTTP", Port: lport,
		DefaultActions: []model.Action{{Type: "forward", TargetGroupARN: tg.ARN}}}); err != nil {
		t.Fatal(err)
	}
	node := e.waitState(t, lb.ARN, "active").Nodes[0].IP
	e.waitOpen(t, node, lport)
	return node
}

// seenRequest is what a test target records of a request as it came: its
// method, target and Host, and its fields but the trace id (random each
// time), sorted, the values of each joined.
type seenRequest struct{ line, header string }

func recordRequest(r *http.Request) seenRequest {
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range r.Header {
			if k != "X-Amzn-Trace-Id" && !yield(k+": "+strings.Join(r.Header[k], " | ")) {
				return
			}
		}
	})
	return seenRequest{r.Method + " " + r.RequestURI + " host=" + r.Host, strings.Join(keys, "\n")}
}

func (e *env) waitOpen(t testing.TB, node string, port int) {
	t.Helper()
	addr := net.JoinHostPort(node, strconv.Itoa(port))
	testutil.Eventually(t, "socket "+addr+" open", func() (bool, string) {
		return slices.Contains(e.svc.Addrs(), addr), strings.Join(e.svc.Addrs(), " ")
	})
}

// httpsForward adds an HTTPS listener on lport (testCertARN) forwarding to
// tgARN, waits until the load balancer is active and the listener's socket is
// open, and returns the node IP that serves it.
func (e *env) httpsForward(t testing.TB, lb *model.LoadBalancer, tgARN string, lport int) string {
	t.Helper()
	if _, err := e.svc.CreateListener(e.ctx, CreateListenerInput{
		LoadBalancerARN: lb.ARN, Protocol: "HTTPS", Port: lport,
		Certificates:   []model.ListenerCertificate{{CertificateARN: testCertARN}},
		DefaultActions: []model.Action{{Type: "forward", TargetGroupARN: tgARN}},
	}); err != nil {
		t.Fatalf("CreateListener: %v", err)
	}
	node := e.waitState(t, lb.ARN, "active").Nodes[0].IP
	e.waitOpen(t, node, lport)
	return node
}
