package gateway

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/internal/live"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
	"gatehouse/internal/testutil"
)

const (
	openPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*"}]}`
	denyPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*"},
		{"Effect":"Deny","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-elsewhere"}}}]}`
	onlyPetsPolicy = `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/prod/GET/pets"}]}`
	domain         = "api.example.test"
	certARN        = "arn:aws:acm:us-west-2:000000000000:certificate/11111111-2222-4333-8444-555555555555"
)

// harness is a running gateway on the mem store, with endpoints (test
// listeners) that hand their connections to ServeConn.
type harness struct {
	t       *testing.T
	st      store.Store
	svc     *Service
	roots   *x509.CertPool
	ctx     context.Context
	stopRun context.CancelFunc // ends the gateway's Run only
	runDone chan error         // Run's result
}

// newHarness starts a gateway with deps changed by each of change.
func newHarness(t *testing.T, change ...func(*Deps)) *harness {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	st := store.NewMem()
	snap, err := live.Load(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	feed := live.NewFeed(snap)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	defPEM, defKey, defLeaf := testutil.SelfSigned(t, "*.execute-api.us-west-2.amazonaws.com")
	defCert, err := tls.X509KeyPair(defPEM, defKey)
	if err != nil {
		t.Fatal(err)
	}
	d := Deps{Store: st, Feed: feed, Log: log, Env: model.DefaultEnv, DefaultCert: defCert}
	for _, c := range change {
		c(&d)
	}
	svc := New(d)
	var wg sync.WaitGroup
	wg.Go(func() { _ = live.Watch(ctx, st, feed, log) })
	runCtx, stopRun := context.WithCancel(ctx)
	runDone := make(chan error, 1)
	wg.Go(func() { runDone <- svc.Run(runCtx) })
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		select {
		case err := <-runDone:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		default: // a test took the result
		}
	})
	roots := x509.NewCertPool()
	roots.AddCert(defLeaf)
	return &harness{t: t, st: st, svc: svc, roots: roots, ctx: ctx, stopRun: stopRun, runDone: runDone}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// endpoint listens on addr and hands every connection to the gateway as vpce.
func (h *harness) endpoint(addr, vpce string) string {
	h.t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		h.t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			h.svc.ServeConn(c, vpce)
		}
	})
	h.t.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln.Addr().String()
}

// sync waits until the gateway's table reflects every write so far.
func (h *harness) sync() {
	h.t.Helper()
	_, rev, err := h.st.List(h.ctx, "")
	if err != nil {
		h.t.Fatal(err)
	}
	testutil.Eventually(h.t, "gateway table caught up with the store", func() (bool, string) {
		served := h.svc.table.Rev()
		return served >= rev && h.svc.table.Load() != nil, fmt.Sprintf("at revision %d of %d", served, rev)
	})
}

// client dials addr whatever the URL says, verifying TLS against the harness's roots.
func (h *harness) client(addr string) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", addr)
		},
		TLSClientConfig: &tls.Config{RootCAs: h.roots},
	}}
}

// h2Transport dials addr whatever the URL says and offers HTTP/2, verifying TLS
// against the harness's roots. Its idle connections close when the test ends:
// one left open would hold the gateway's shutdown for HTTP/2's graceful
// GOAWAY wait.
func (h *harness) h2Transport(addr string) *http.Transport {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		},
		TLSClientConfig:   &tls.Config{RootCAs: h.roots},
		ForceAttemptHTTP2: true,
	}
	h.t.Cleanup(tr.CloseIdleConnections)
	return tr
}

type result struct {
	status int
	header http.Header
	body   string
	tls    *tls.ConnectionState
}

// do sends method url (its host is the SNI and Host), with Host overridden if host != "".
func (h *harness) do(addr, method, url, host string, hdr map[string]string, body string) result {
	h.t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	c := h.client(addr)
	// Like curl -k (and the load balancer, which never validates targets), do not
	// verify names the test certificates do not cover.
	if n := req.URL.Hostname(); n != domain && !strings.HasSuffix(n, ".execute-api.us-west-2.amazonaws.com") {
		c.Transport.(*http.Transport).TLSClientConfig.InsecureSkipVerify = true
	}
	resp, err := c.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return result{status: resp.StatusCode, header: resp.Header, body: string(b), tls: resp.TLS}
}

// addCert writes an issued certificate for name to the store, as the certs service would.
func (h *harness) addCert(arn, name string) {
	h.t.Helper()
	certPEM, keyPEM, leaf := testutil.SelfSigned(h.t, name)
	h.roots.AddCert(leaf)
	c := &model.Certificate{ARN: arn, DomainName: name, SubjectAlternativeNames: []string{name}, Status: model.CertIssued,
		Type: "AMAZON_ISSUED", CertificatePEM: string(certPEM), PrivateKeyPEM: string(keyPEM)}
	if _, err := store.Save(h.ctx, h.st, model.Key(model.KindCertificate, arn), c, store.Any); err != nil {
		h.t.Fatal(err)
	}
}

// walkthroughAPI builds the walkthrough's API through the operations: PRIVATE on
// vpce-test, MOCK GET / answering 200, open policy, stage prod, custom domain
// with a (none) mapping. It returns the API id.
func (h *harness) walkthroughAPI() string {
	t, ctx, s := h.t, h.ctx, h.svc
	t.Helper()
	api := testutil.Must[*model.RestAPI](t)(s.CreateRestAPI(ctx, CreateRestAPIInput{
		Name:                  "demo",
		EndpointConfiguration: &model.EndpointConfiguration{Types: []string{"PRIVATE"}, VpcEndpointIDs: []string{"vpce-test"}},
		Policy:                openPolicy,
	}))
	root := api.RootResourceID
	testutil.Must[*model.Method](t)(s.PutMethod(ctx, api.ID, root, "GET", PutMethodInput{}))
	testutil.Must[*model.Integration](t)(s.PutIntegration(ctx, api.ID, root, "GET", model.Integration{
		Type: "MOCK", RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}}))
	testutil.Must[*model.MethodResponse](t)(s.PutMethodResponse(ctx, api.ID, root, "GET", "200", model.MethodResponse{}))
	testutil.Must[*model.IntegrationResponse](t)(s.PutIntegrationResponse(ctx, api.ID, root, "GET", "200", model.IntegrationResponse{}))
	testutil.Must[*model.Deployment](t)(s.CreateDeployment(ctx, api.ID, CreateDeploymentInput{StageName: "prod"}))
	h.addCert(certARN, domain)
	testutil.Must[*model.DomainName](t)(s.CreateDomainName(ctx, CreateDomainNameInput{
		DomainName: domain, RegionalCertificateARN: certARN,
		EndpointConfiguration: &model.EndpointConfiguration{Types: []string{"REGIONAL"}}}))
	testutil.Must[*model.BasePathMapping](t)(s.CreateBasePathMapping(ctx, domain, "(none)", api.ID, "prod"))
	h.sync()
	return api.ID
}

func checkResult(t *testing.T, got result, wantStatus int, wantBody, wantType string) {
	t.Helper()
	if got.status != wantStatus {
		t.Errorf("status: got %d, want %d (body %s)", got.status, wantStatus, got.body)
	}
	if got.body != wantBody {
		t.Errorf("body: got %q, want %q", got.body, wantBody)
	}
	if g := got.header.Get("x-amzn-ErrorType"); g != wantType {
		t.Errorf("x-amzn-ErrorType: got %q, want %q", g, wantType)
	}
	if got.header.Get("x-amzn-RequestId") == "" || got.header.Get("x-amz-apigw-id") == "" {
		t.Errorf("headers: got x-amzn-RequestId %q x-amz-apigw-id %q, want both set",
			got.header.Get("x-amzn-RequestId"), got.header.Get("x-amz-apigw-id"))
	}
	if ct := got.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type: got %q, want application/json", ct)
	}
}

const (
	bodyForbidden = `{"message":"Forbidden"}`
	bodyMissing   = `{"message":"Missing Authentication Token"}`
)

// echoBackend is an HTTP backend on the test range answering with what it got.
func echoBackend(t *testing.T, addr string, handler http.HandlerFunc) string {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	var wg sync.WaitGroup
	wg.Go(func() { _ = srv.Serve(ln) })
	t.Cleanup(func() { srv.Close(); wg.Wait() })
	return ln.Addr().String()
}
