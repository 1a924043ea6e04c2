package e2e

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gatehouse/internal/daemon"
	"gatehouse/internal/stack"
	"gatehouse/internal/testutil"
)

// handoffAnswer is what a client sees of one response, less what differs on
// every request (request ids, dates, trace ids).
type handoffAnswer struct {
	Status  int
	Body    string
	Headers map[string]string
}

// TestHandoffSameAnswers sends the same requests through a static IP with
// in-process hand-off on and off (daemon.Config.Handoff) and compares what
// the client gets: status, body and headers, including what the gateway
// saw ($context.identity.sourceIp, X-Forwarded-* and the endpoint id, echoed
// by a MOCK template; the headers an HTTP_PROXY backend received). Either
// way Accept-Encoding passes as the client sent it (none when it sent none,
// as through ALB) and a backend's gzip body comes back byte for byte. With
// hand-off on, /proc/net/tcp shows no connection from a static IP to a load
// balancer node nor from a node to an endpoint; with it off, both exist.
func TestHandoffSameAnswers(t *testing.T) {
	needRoot(t)
	got := map[bool]map[string]handoffAnswer{}
	for _, on := range []bool{true, false} {
		t.Run("handoff="+strconv.FormatBool(on), func(t *testing.T) {
			got[on] = handoffRun(t, on)
		})
	}
	if t.Failed() {
		return
	}
	names := make([]string, 0, len(got[true]))
	for name := range got[true] {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		on, off := got[true][name], got[false][name]
		if fmt.Sprint(on) != fmt.Sprint(off) {
			t.Errorf("%s: hand-off on got %+v,\n hand-off off got %+v; want the same", name, on, off)
		}
	}
}

// handoffRun serves the example stack, with an echoing MOCK route and an
// HTTP_PROXY route, and returns the answers to a fixed set of requests.
func handoffRun(t *testing.T, handoff bool) map[string]handoffAnswer {
	r := start(t, addressPlan("127.105.0.0/16", "127.106.1.0/24", "127.106.2.0/24"), func(c *daemon.Config) { c.Handoff = handoff })
	backend := startBackend(t, "127.105.250.1:0", nil, func(w http.ResponseWriter, r *http.Request) {
		echo := fmt.Sprintf("xff=%s proto=%s port=%s ua=%s ae=%s host=%s", r.Header.Get("X-Forwarded-For"), r.Header.Get("X-Forwarded-Proto"),
			r.Header.Get("X-Forwarded-Port"), r.Header.Get("User-Agent"), r.Header.Get("Accept-Encoding"), r.Host)
		// Typed: a body the gateway's transport gunzips has no length, so
		// its ReverseProxy flushes the headers at once, racing the first
		// write a server would sniff a Content-Type from.
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if r.Header.Get("Accept-Encoding") != "gzip" {
			_, _ = io.WriteString(w, echo)
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		_, _ = io.WriteString(zw, echo)
		_ = zw.Close()
	})
	f := loadExample(t)
	echo := `{"sourceIp":"$context.identity.sourceIp","vpce":"$context.identity.vpceId","protocol":"$context.protocol",` +
		`"xff":"$input.params('X-Forwarded-For')","proto":"$input.params('X-Forwarded-Proto')","port":"$input.params('X-Forwarded-Port')",` +
		`"ua":"$context.identity.userAgent","ae":"$input.params('Accept-Encoding')","trace":"$input.params('X-Amzn-Trace-Id').startsWith('Root=')",` +
		`"method":"$context.httpMethod","path":"$context.path","body":"$util.escapeJavaScript($input.body)"}`
	mock := stack.Integration{Type: "MOCK", RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}}
	replies := []stack.MethodReply{{StatusCode: "200", Templates: map[string]string{"application/json": echo}}}
	f.APIs[0].Resources["/echo"] = map[string]stack.Method{
		"GET":  {Integration: mock, Responses: replies},
		"POST": {Integration: mock, Responses: replies},
		"HEAD": {Integration: mock, Responses: replies},
	}
	f.APIs[0].Resources["/backend"] = map[string]stack.Method{"GET": {Integration: stack.Integration{Type: "HTTP_PROXY", HTTPMethod: "GET", URI: "http://" + backend + "/"}}}
	r.apply(t, f)
	ips := acceleratorIPs(t, r.d.Store)
	const me = "127.105.200.9" // the client's address, which X-Forwarded-For carries
	c := client(t, r.cfg.DataDir, ips[0], me)
	c.Transport.(*http.Transport).DisableKeepAlives = false // one connection: the flow stays open for the socket count
	// Accept-Encoding only when a request sets it, and a gzip body left as
	// it came: what reached the backend and what came back are both seen.
	c.Transport.(*http.Transport).DisableCompression = true

	answers := map[string]handoffAnswer{}
	send := func(name, method, path, body string, header map[string]string) {
		t.Helper()
		req, err := http.NewRequest(method, "https://"+domain+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if body == "" {
			req.Body = http.NoBody
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("%s: read body: %v", name, err)
		}
		zipped := resp.Header.Get("Content-Encoding") == "gzip"
		zippedLen := int64(len(b))
		if zipped {
			// Compared decompressed: the echo names the backend's port,
			// new with every daemon, so the compressed bytes differ.
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("%s: Content-Encoding gzip but the body is not gzip: %v", name, err)
			}
			if b, err = io.ReadAll(zr); err != nil {
				t.Fatalf("%s: gunzip body: %v", name, err)
			}
		}
		// Endpoint ids and the backend's port are new with every daemon,
		// and so is the node a client's flows go to (the accelerator's
		// affinity hash is seeded per process).
		normal := vpceID.ReplaceAllString(string(b), "vpce-*")
		normal = nodeIP.ReplaceAllString(normal, "NODE")
		normal = strings.ReplaceAll(normal, backend, "BACKEND")
		a := handoffAnswer{Status: resp.StatusCode, Body: normal, Headers: map[string]string{}}
		for _, h := range []string{"Content-Type", "Content-Length", "Content-Encoding", "X-Amzn-Errortype", "Server", "Connection"} {
			a.Headers[h] = resp.Header.Get(h)
		}
		a.Headers["Transfer-Encoding"] = strings.Join(resp.TransferEncoding, ",")
		a.Headers["ContentLength"] = strconv.FormatInt(resp.ContentLength, 10)
		if zipped && resp.ContentLength == zippedLen {
			// The compressed length varies with the port too: compared as
			// the gzip body's own, what an untouched body has.
			a.Headers["Content-Length"] = "the gzip body's"
			a.Headers["ContentLength"] = "the gzip body's"
		}
		for _, h := range []string{"X-Amzn-Requestid", "X-Amz-Apigw-Id", "Date"} {
			a.Headers[h+" present"] = strconv.FormatBool(resp.Header.Get(h) != "")
		}
		answers[name] = a
	}
	send("GET echo", "GET", "/echo?q=1", "", map[string]string{"X-Forwarded-For": "10.9.8.7", "User-Agent": "handoff-test/1"})
	send("GET echo without User-Agent", "GET", "/echo", "", map[string]string{"User-Agent": ""})
	send("GET echo asking br", "GET", "/echo", "", map[string]string{"Accept-Encoding": "br"})
	send("POST echo", "POST", "/echo", `{"hello":"world"}`, map[string]string{"Content-Type": "application/json"})
	send("HEAD echo", "HEAD", "/echo", "", nil)
	send("GET backend", "GET", "/backend", "", map[string]string{"User-Agent": "handoff-test/1"})
	send("GET backend asking gzip", "GET", "/backend", "", map[string]string{"User-Agent": "handoff-test/1", "Accept-Encoding": "gzip"})
	send("GET unknown path", "GET", "/nope", "", nil)
	send("GET stage path", "GET", "/prod/echo", "", nil)

	if a := answers["GET echo"]; a.Status != 200 || !strings.Contains(a.Body, `"xff":"10.9.8.7, `+me+`"`) ||
		!strings.Contains(a.Body, `"sourceIp":"NODE"`) || !strings.Contains(a.Body, `"trace":"true"`) || !strings.Contains(a.Body, `"vpce":"vpce-`) {
		t.Errorf("GET /echo: got %d %s; want 200 with the client in X-Forwarded-For, a node of 127.105.0.0/16 as sourceIp, a trace id and the endpoint id", a.Status, a.Body)
	}
	// Accept-Encoding as the client sent it at the gateway: the balancer
	// adds none (ALB does not). (Without one from the client, what an
	// HTTP_PROXY backend sees is the gateway's doing, not checked here.)
	for _, tc := range []struct{ name, want string }{
		{"GET echo", `"ae":""`},
		{"GET echo asking br", `"ae":"br"`},
		{"GET backend asking gzip", "ae=gzip "},
	} {
		if a := answers[tc.name]; a.Status != 200 || !strings.Contains(a.Body, tc.want) {
			t.Errorf("%s: got %d %s; want 200 with %s", tc.name, a.Status, a.Body, tc.want)
		}
	}
	if a := answers["GET backend asking gzip"]; a.Headers["Content-Encoding"] != "gzip" || a.Headers["Content-Length"] != "the gzip body's" {
		t.Errorf("GET /backend asking gzip: got Content-Encoding %q, Content-Length %q; want the backend's gzip body with its length",
			a.Headers["Content-Encoding"], a.Headers["Content-Length"])
	}

	// The sockets of the chain while the client's connection is open.
	vpc := netip.MustParsePrefix("127.105.0.0/16")
	pools := netip.MustParsePrefix("127.106.0.0/16")
	toNode := func(l, r netip.AddrPort) bool {
		return pools.Contains(l.Addr()) && vpc.Contains(r.Addr()) && r.Port() == 443
	}
	toEndpoint := func(l, r netip.AddrPort) bool {
		return vpc.Contains(l.Addr()) && vpc.Contains(r.Addr()) && r.Port() == 443
	}
	if handoff {
		if n := establishedTCP(t, toNode); n != 0 {
			t.Errorf("hand-off on: got %d connections from a static IP to a load balancer node, want 0", n)
		}
		// Health checks open one short connection each: wait for a moment without one.
		testutil.EventuallyWithin(t, waitLimit, "no connection from a node to an endpoint", func() (bool, string) {
			n := establishedTCP(t, toEndpoint)
			return n == 0, strconv.Itoa(n)
		})
		if n := metricValue(t, r.cfg.MetricsAddr, "gatehouse_accelerator_handoffs_total"); n < 1 {
			t.Errorf("gatehouse_accelerator_handoffs_total: got %v, want at least 1", n)
		}
		if n := metricValue(t, r.cfg.MetricsAddr, "gatehouse_network_handoff_requests_total"); n < float64(len(answers)-1) {
			t.Errorf("gatehouse_network_handoff_requests_total: got %v, want at least %d", n, len(answers)-1)
		}
	} else {
		if n := establishedTCP(t, toNode); n < 1 {
			t.Errorf("hand-off off: got %d connections from a static IP to a load balancer node, want the client's flow", n)
		}
		if n := establishedTCP(t, toEndpoint); n < 1 {
			t.Errorf("hand-off off: got %d connections from a node to an endpoint, want the balancer's pooled one", n)
		}
		if n := metricValue(t, r.cfg.MetricsAddr, "gatehouse_accelerator_handoffs_total"); n != 0 {
			t.Errorf("gatehouse_accelerator_handoffs_total: got %v, want 0", n)
		}
	}
	c.CloseIdleConnections()

	if handoff {
		// A security group that no longer admits the nodes: the endpoint
		// refuses the balancer, which answers 502 as when the endpoint
		// closes its connection. (Over sockets the balancer's pooled
		// connection, admitted before the change, would still carry
		// requests until it idles out: security groups track connections,
		// and in process every request is a new one.)
		f.SecurityGroups[0].Ingress[0].CIDR = "10.0.0.0/8"
		r.apply(t, f)
		code, _, _ := get(t, client(t, r.cfg.DataDir, ips[1], me), "/echo")
		if code != http.StatusBadGateway {
			t.Errorf("GET /echo with the nodes outside the endpoint's security group: got %d, want 502", code)
		}
	}
	return answers
}

var (
	vpceID = regexp.MustCompile(`vpce-[0-9a-f]+`)
	nodeIP = regexp.MustCompile(`127\.105\.[123]\.5\b`) // the load balancer's nodes in the test's subnets
)

// establishedTCP counts the established IPv4 TCP connections of this host
// (/proc/net/tcp, as ss lists them) whose local and remote addresses match.
func establishedTCP(t *testing.T, match func(local, remote netip.AddrPort) bool) int {
	t.Helper()
	// thread-self, not /proc/net (self): that is the main thread's namespace,
	// and TestClusterThreeNodes may have left the main thread in one of its
	// namespaces (inNetns locks a thread it never gives back). Every other
	// thread, this one included, is in the root namespace with the daemon.
	f, err := os.Open("/proc/thread-self/net/tcp")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || fields[3] != "01" { // 01: ESTABLISHED
			continue
		}
		l, okL := procAddr(fields[1])
		r, okR := procAddr(fields[2])
		if okL && okR && match(l, r) {
			n++
		}
	}
	return n
}

// procAddr parses /proc/net/tcp's "0100007F:01BB" (address in host byte
// order, little-endian here; port big-endian).
func procAddr(s string) (netip.AddrPort, bool) {
	ip, port, ok := strings.Cut(s, ":")
	b, err := hex.DecodeString(ip)
	p, perr := strconv.ParseUint(port, 16, 16)
	if !ok || err != nil || perr != nil || len(b) != 4 {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{b[3], b[2], b[1], b[0]}), uint16(p)), true
}

// metricValue is the sum of a metric's samples on /metrics.
func metricValue(t *testing.T, addr, name string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sum := 0.0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+" ") && !strings.HasPrefix(line, name+"{") {
			continue
		}
		fields := strings.Fields(line)
		if v, err := strconv.ParseFloat(fields[len(fields)-1], 64); err == nil {
			sum += v
		}
	}
	return sum
}
