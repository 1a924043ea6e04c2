package gateway

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"gatehouse/internal/model"
)

// BenchmarkServe is one request through the gateway's handler, handed over
// in process as the balancer hands it (ServeHTTPFrom), for the integrations
// the whole chain's common cases use: a MOCK with a static request template
// (the walkthrough's GET /), a MOCK whose templates read $context and
// $input, and an HTTP_PROXY to a loopback backend. Allocations per request
// are reported:
//
//	go test ./internal/gateway -run XXX -bench BenchmarkServe -benchmem
func BenchmarkServe(b *testing.B) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	defer backend.Close()
	s := benchService(b, backend.URL)
	source := netip.MustParseAddrPort("127.0.0.9:50000")
	for _, bc := range []struct {
		name, path string
		wantStatus int
		wantBody   string
	}{
		{"mock static template", "/", 200, ""},
		{"mock context and input templates", "/ctx?q=x", 201, `{"q":"x","stage":"prod","resource":"/ctx","ip":"127.0.0.9"}`},
		{"http proxy", "/proxy", 200, `{"ok":true}`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := httptest.NewRequest("GET", bc.path, nil)
			r.Host = "bench00001.execute-api.us-west-2.amazonaws.com"
			r.URL.Path = "/prod" + r.URL.Path
			r.RequestURI = "/prod" + bc.path
			r.Header.Set("User-Agent", "bench")
			r.Header.Set("Accept", "application/json")
			w := &discardWriter{header: http.Header{}}
			serve := func() {
				clear(w.header)
				w.status, w.body = 0, w.body[:0]
				if err := s.ServeHTTPFrom(w, r, "vpce-1", source); err != nil {
					b.Fatal(err)
				}
			}
			serve()
			if w.status != bc.wantStatus || string(w.body) != bc.wantBody {
				b.Fatalf("GET %s: got %d %q, want %d %q", bc.path, w.status, w.body, bc.wantStatus, bc.wantBody)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				serve()
				if w.status != bc.wantStatus {
					b.Fatalf("GET %s: got %d %q, want %d", bc.path, w.status, w.body, bc.wantStatus)
				}
			}
		})
	}
}

// benchService is a gateway serving one private API on vpce-1, stage prod:
// GET / (MOCK, static template), GET /ctx (MOCK, templates reading $context
// and $input) and GET /proxy (HTTP_PROXY to backendURL).
func benchService(b *testing.B, backendURL string) *Service {
	b.Helper()
	api := treeAPI(map[string][]string{"/": {"GET"}, "/ctx": {"GET"}, "/proxy": {"GET"}})
	api.ID = benchAPIID(1)
	api.EndpointConfiguration = model.EndpointConfiguration{Types: []string{"PRIVATE"}, VpcEndpointIDs: []string{"vpce-1"}}
	api.Policy = openPolicy
	ok200 := map[string]*model.IntegrationResponse{"200": {StatusCode: "200"}}
	for _, r := range api.Resources {
		m := r.Methods["GET"]
		m.AuthorizationType = "NONE"
		m.MethodResponses = map[string]*model.MethodResponse{"200": {StatusCode: "200"}, "201": {StatusCode: "201"}}
		switch r.Path {
		case "/":
			m.Integration = &model.Integration{Type: model.IntegrationMock,
				RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}, IntegrationResponses: ok200}
		case "/ctx":
			m.Integration = &model.Integration{Type: model.IntegrationMock,
				RequestTemplates: map[string]string{"application/json": `{"statusCode": 201}`},
				IntegrationResponses: map[string]*model.IntegrationResponse{"201": {StatusCode: "201", SelectionPattern: "201",
					ResponseTemplates: map[string]string{"application/json": `{"q":"$input.params('q')","stage":"$context.stage",` +
						`"resource":"$context.resourcePath","ip":"$context.identity.sourceIp"}`}}}}
		case "/proxy":
			m.Integration = &model.Integration{Type: model.IntegrationHTTPProxy, HTTPMethod: "GET", URI: backendURL + "/"}
		}
	}
	snap := model.EmptySnapshot()
	snap.RestAPIs[api.ID] = api
	snap.Deployments[api.ID] = map[string]*model.Deployment{"d1": {ID: "d1", RestAPIID: api.ID, API: *api}}
	snap.Stages[api.ID+"/prod"] = &model.Stage{RestAPIID: api.ID, StageName: "prod", DeploymentID: "d1"}
	// The account's throttle would answer 429 past 10,000 requests a second:
	// the benchmark measures serving, not refusing.
	s := New(Deps{Env: model.DefaultEnv, AccountThrottle: ThrottleSettings{Rate: 1e9, Burst: 1e9}})
	if err := s.table.Compile(snap, func(snap *model.Snapshot) (*table, error) { return compile(model.DefaultEnv, snap) }); err != nil {
		b.Fatal(err)
	}
	return s
}

// discardWriter is a ResponseWriter that keeps the status and body of the
// last answer and costs no allocation per request once warm.
type discardWriter struct {
	header http.Header
	status int
	body   []byte
}

func (w *discardWriter) Header() http.Header { return w.header }

// SetReadDeadline is there as on net/http's writer, which the gateway sets
// the body's deadline on (http.ResponseController).
func (w *discardWriter) SetReadDeadline(time.Time) error { return nil }

func (w *discardWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *discardWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.body = append(w.body, p...)
	return len(p), nil
}
