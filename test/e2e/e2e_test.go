package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"gatehouse/internal/daemon"
	"gatehouse/internal/model"
	"gatehouse/internal/stack"
	"gatehouse/internal/store"
	"gatehouse/internal/testutil"
)

const (
	domain      = "api.example.test"
	exampleFile = "../../examples/static-ip-api.yaml"
	waitLimit   = 60 * time.Second // upper bound for polled state; never asserted as a timing
)

func needRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the default address plan binds port 443: run as root")
	}
}

// freeAddr returns an address on 127.0.0.1 free for UDP and TCP (the
// nameserver takes both).
func freeAddr(t testing.TB) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(testutil.FreePort(t, "127.0.0.1", true)))
}

func loadExample(t testing.TB) *stack.File {
	t.Helper()
	r, err := os.Open(exampleFile)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	f, err := stack.Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// running is an in-process daemon serving the default plan.
type running struct {
	d    *daemon.Daemon
	cfg  daemon.Config
	stop func()
}

// start runs a daemon on the tests' default address plan; plan, if given,
// changes the config first (tests that run beside each other take their own
// VPC CIDR and static IP pools, an addressPlan, so their sockets never collide).
func start(t testing.TB, plan ...func(*daemon.Config)) *running {
	t.Helper()
	cfg := daemon.Defaults()
	cfg.DataDir = t.TempDir()
	cfg.DNSListen = freeAddr(t)
	// An address plan of its own, so the tests run beside a gatehouse serving
	// the default plan (127.31.0.0/16, 127.77.x.0/24) on the same machine.
	cfg.MetricsAddr = freeAddr(t)
	cfg.AWSListen = freeAddr(t)
	addressPlan("127.32.0.0/16", "127.78.1.0/24", "127.78.2.0/24")(&cfg)
	cfg.Log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg.Handoff = os.Getenv("GATEHOUSE_HANDOFF") != "off" // .ci/run runs the suite both ways
	for _, p := range plan {
		p(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	d, err := daemon.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx, ready) }()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("daemon stopped at start: %v", err)
	}
	r := &running{d: d, cfg: cfg, stop: func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("daemon: %v", err)
		}
	}}
	t.Cleanup(r.stop)
	return r
}

// addressPlan gives a daemon the VPC CIDR and the static IP pools (one per
// network zone) of a test of its own, so that tests running beside each other
// never bind the same address.
func addressPlan(vpcCIDR string, pools ...string) func(*daemon.Config) {
	return func(c *daemon.Config) {
		c.VPCCIDR = vpcCIDR
		c.Pools = nil
		for _, p := range pools {
			c.Pools = append(c.Pools, netip.MustParsePrefix(p))
		}
	}
}

func (r *running) apply(t testing.TB, f *stack.File) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := stack.Apply(ctx, r.d.Services(), f); err != nil {
		t.Fatalf("apply: %v", err)
	}
	if err := stack.WaitReady(ctx, r.d.Services(), f); err != nil {
		t.Fatalf("ready: %v", err)
	}
}

// caPool holds only gatehouse's CA, <data-dir>/ca.pem: what a client of the
// APIs it serves trusts.
func caPool(t testing.TB, dataDir string) *x509.CertPool {
	t.Helper()
	pem, err := os.ReadFile(filepath.Join(dataDir, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("ca.pem holds no certificate")
	}
	return pool
}

// client returns an HTTPS client that trusts only <data-dir>/ca.pem and sends
// every connection to ip:443, from the local address src, as curl --resolve does.
func client(t *testing.T, dataDir, ip, src string) *http.Client {
	t.Helper()
	pool := caPool(t, dataDir)
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	if src != "" {
		dialer.LocalAddr = &net.TCPAddr{IP: net.ParseIP(src)}
	}
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig:   &tls.Config{RootCAs: pool},
			DisableKeepAlives: true,
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return dialer.DialContext(ctx, network, net.JoinHostPort(ip, "443"))
			},
		},
	}
}

func get(t *testing.T, c *http.Client, path string) (int, http.Header, string) {
	t.Helper()
	resp, err := c.Get("https://" + domain + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", path, err)
	}
	return resp.StatusCode, resp.Header, string(body)
}

// resolve asks the nameserver for A records of name, over UDP, as dig does,
// and expects an authoritative answer.
func resolve(t *testing.T, server, name string) []string {
	t.Helper()
	in := lookup(t, server, name)
	if in.Rcode != dns.RcodeSuccess || !in.Authoritative {
		t.Fatalf("dig %s: rcode %s, authoritative %v", name, dns.RcodeToString[in.Rcode], in.Authoritative)
	}
	return addresses(in)
}

// lookup is dig's query for A records of name, whatever the answer.
func lookup(t *testing.T, server, name string) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), dns.TypeA)
	in, _, err := new(dns.Client).Exchange(m, server)
	if err != nil {
		t.Fatalf("dig %s: %v", name, err)
	}
	return in
}

// addresses are the A records of an answer, sorted.
func addresses(in *dns.Msg) []string {
	var ips []string
	for _, rr := range in.Answer {
		if a, ok := rr.(*dns.A); ok {
			ips = append(ips, a.A.String())
		}
	}
	slices.Sort(ips)
	return ips
}

func acceleratorIPs(t testing.TB, st store.Store) []string {
	t.Helper()
	accs, err := store.LoadAll[model.Accelerator](context.Background(), st, model.Prefix(model.KindAccelerator))
	if err != nil || len(accs) != 1 {
		t.Fatalf("accelerators: got %d, %v; want 1", len(accs), err)
	}
	var ips []string
	for _, s := range accs[0].IPSets {
		ips = append(ips, s.IPAddresses...)
	}
	slices.Sort(ips)
	return ips
}

// waitTargets polls describe-target-health's source until every target of the
// group is in state with reason, and returns the states.
func waitTargets(t *testing.T, st store.Store, state, reason string) []model.TargetState {
	t.Helper()
	var last []model.TargetState
	testutil.EventuallyWithin(t, waitLimit, "targets all "+state+" ("+reason+")", func() (bool, string) {
		hs, err := store.LoadAll[model.TargetHealth](context.Background(), st, model.Prefix(model.KindTargetHealth))
		if err != nil {
			t.Fatal(err)
		}
		if len(hs) != 1 {
			return false, fmt.Sprintf("%d target groups' health", len(hs))
		}
		last = hs[0].Targets
		ok := len(last) == 2
		for _, ts := range last {
			ok = ok && ts.State == state && ts.Reason == reason
		}
		return ok, fmt.Sprintf("%+v", last)
	})
	return last
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// echoBackend answers every request with the request's X-Forwarded-For header.
func echoBackend(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{"xff": r.Header.Get("X-Forwarded-For"), "path": r.URL.Path})
	}), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return "http://" + l.Addr().String()
}

func TestWalkthroughStack(t *testing.T) {
	needRoot(t)
	r := start(t)
	f := loadExample(t)
	// Beside the example's MOCK, a route to a real backend that echoes what the
	// gateway received, so the test can see the client address travel the chain.
	backend := echoBackend(t)
	f.APIs[0].Resources["/echo"] = map[string]stack.Method{"GET": {Integration: stack.Integration{Type: "HTTP_PROXY", URI: backend + "/echo"}}}
	r.apply(t, f)

	st := r.d.Store
	ips := acceleratorIPs(t, st)

	t.Run("DNS answers the two static IPs", func(t *testing.T) {
		got := resolve(t, r.cfg.DNSListen, domain)
		if !slices.Equal(got, ips) {
			t.Fatalf("dig %s: got %v, want the accelerator's %v", domain, got, ips)
		}
		if !strings.HasPrefix(ips[0], "127.78.1.") || !strings.HasPrefix(ips[1], "127.78.2.") {
			t.Fatalf("static IPs %v: want one from each network zone pool (127.78.1.0/24, 127.78.2.0/24)", ips)
		}
	})

	t.Run("HTTPS through each static IP", func(t *testing.T) {
		for _, ip := range ips {
			code, hdr, body := get(t, client(t, r.cfg.DataDir, ip, ""), "/")
			if code != 200 || body != "" {
				t.Errorf("via %s GET /: got %d %q, want 200 with an empty body", ip, code, body)
			}
			if hdr.Get("x-amzn-RequestId") == "" {
				t.Errorf("via %s: no x-amzn-RequestId header", ip)
			}
		}
	})

	t.Run("unknown path", func(t *testing.T) {
		code, hdr, body := get(t, client(t, r.cfg.DataDir, ips[0], ""), "/nope")
		if code != 403 || body != `{"message":"Missing Authentication Token"}` || hdr.Get("x-amzn-ErrorType") != "MissingAuthenticationTokenException" {
			t.Fatalf("GET /nope: got %d %q (%s)", code, body, hdr.Get("x-amzn-ErrorType"))
		}
	})

	t.Run("the gateway sees the client's address", func(t *testing.T) {
		const me = "127.0.0.99"
		code, _, body := get(t, client(t, r.cfg.DataDir, ips[1], me), "/echo")
		var got struct{ XFF string }
		if code != 200 || json.Unmarshal([]byte(body), &got) != nil {
			t.Fatalf("GET /echo: got %d %q", code, body)
		}
		if first, _, _ := strings.Cut(got.XFF, ","); strings.TrimSpace(first) != me {
			t.Fatalf("X-Forwarded-For at the backend: got %q, want it to start with the client's %s", got.XFF, me)
		}
	})

	t.Run("metrics count what was served", func(t *testing.T) {
		resp, err := http.Get("http://" + r.cfg.MetricsAddr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		for _, want := range []string{`gatehouse_balancer_requests_total{code="200"}`, `gatehouse_balancer_requests_total{code="403"}`} {
			if !strings.Contains(string(b), want) {
				t.Errorf("/metrics has no %s", want)
			}
		}
	})

	t.Run("a configuration change drops no connection", func(t *testing.T) {
		c := client(t, r.cfg.DataDir, ips[0], "")
		c.Transport.(*http.Transport).DisableKeepAlives = false
		var reused []bool
		getOnce := func(path string) int {
			ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
				GotConn: func(i httptrace.GotConnInfo) { reused = append(reused, i.Reused) },
			})
			req, _ := http.NewRequestWithContext(ctx, "GET", "https://"+domain+path, nil)
			resp, err := c.Do(req)
			if err != nil {
				t.Fatalf("GET %s: %v", path, err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return resp.StatusCode
		}
		if code := getOnce("/"); code != 200 {
			t.Fatalf("GET /: got %d", code)
		}
		// A change every service compiles: a new route (gateway redeploy), a new
		// health-check interval (balancer), a new record (nameserver).
		f.APIs[0].Resources["/v2"] = map[string]stack.Method{"GET": f.APIs[0].Resources["/"]["GET"]}
		f.TargetGroups[0].HealthCheck.IntervalSeconds = 6
		f.Records = append(f.Records, stack.Record{Zone: "example.test", Name: "www.example.test", Type: "TXT", Values: []string{`"hello"`}})
		r.apply(t, f)
		if code := getOnce("/v2"); code != 200 {
			t.Fatalf("GET /v2 after the change: got %d, want 200", code)
		}
		if len(reused) != 2 || !reused[1] {
			t.Fatalf("connection reuse across the change: got %v, want the second request on the first connection", reused)
		}
	})

	t.Run("health checks follow the matcher", func(t *testing.T) {
		waitTargets(t, st, model.TargetHealthy, "")
		f.TargetGroups[0].HealthCheck.Matcher = "200"
		r.apply(t, f)
		got := waitTargets(t, st, model.TargetUnhealthy, model.ReasonResponseCodeMismatch)
		if !strings.Contains(got[0].Description, "403") {
			t.Errorf("unhealthy description %q: want the code the target answered, 403", got[0].Description)
		}
		f.TargetGroups[0].HealthCheck.Matcher = "403"
		r.apply(t, f)
		waitTargets(t, st, model.TargetHealthy, "")
	})

	t.Run("applying the same file again changes nothing", func(t *testing.T) {
		_, before, _ := st.List(context.Background(), "")
		ctx := context.Background()
		if err := stack.Apply(ctx, r.d.Services(), f); err != nil {
			t.Fatal(err)
		}
		if _, after, _ := st.List(ctx, ""); after != before {
			// Health checks may write status meanwhile; only spec kinds count.
			kvs, _, _ := st.List(ctx, "")
			for _, kv := range kvs {
				if kv.ModRev > before && !strings.HasPrefix(kv.Key, string(model.KindTargetHealth)+"/") {
					t.Errorf("second apply rewrote %s", kv.Key)
				}
			}
		}
	})

	t.Run("a resource policy that denies the endpoint", func(t *testing.T) {
		eps, _ := store.LoadAll[model.VpcEndpoint](context.Background(), st, model.Prefix(model.KindVpcEndpoint))
		policy := f.APIs[0].Policy.(map[string]any)
		stmts := policy["Statement"].([]any)
		policy["Statement"] = append(stmts, map[string]any{
			"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
			"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceVpce": eps[0].ID}},
		})
		r.apply(t, f)
		code, hdr, body := get(t, client(t, r.cfg.DataDir, ips[0], ""), "/")
		if code != 403 || hdr.Get("x-amzn-ErrorType") != "AccessDeniedException" || !strings.Contains(body, "with an explicit deny") {
			t.Fatalf("GET / with a deny policy: got %d %q (%s)", code, body, hdr.Get("x-amzn-ErrorType"))
		}
		policy["Statement"] = stmts
		r.apply(t, f)
		if code, _, _ := get(t, client(t, r.cfg.DataDir, ips[0], ""), "/"); code != 200 {
			t.Fatalf("GET / after removing the deny: got %d, want 200", code)
		}
	})
}
