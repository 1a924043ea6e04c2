package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/live"
	"gatehouse/internal/model"
	"gatehouse/internal/testutil"
)

func TestWalkthrough(t *testing.T) {
	h := newHarness(t)
	api := h.walkthroughAPI()
	ep := h.endpoint("127.0.13.1:0", "vpce-test")
	other := h.endpoint("127.0.13.2:0", "vpce-other")
	execHost := api + ".execute-api.us-west-2.amazonaws.com"

	tests := []struct {
		name           string
		addr           string
		method, url    string
		host           string
		hdr            map[string]string
		wantStatus     int
		wantBody, want string
	}{
		{"custom domain GET /", ep, "GET", "https://api.example.test/", "", nil, 200, "", ""},
		{"custom domain trailing slash ignored", ep, "GET", "https://api.example.test//", "", nil, 200, "", ""},
		{"host case and port", ep, "GET", "https://api.example.test/", "API.Example.TEST:443", nil, 200, "", ""},
		{"unknown path", ep, "GET", "https://api.example.test/nope", "", nil, 403, bodyMissing, "MissingAuthenticationTokenException"},
		{"unknown method", ep, "POST", "https://api.example.test/", "", nil, 403, bodyMissing, "MissingAuthenticationTokenException"},
		{"stage repeated after (none) mapping", ep, "GET", "https://api.example.test/prod", "", nil, 403, bodyMissing, "MissingAuthenticationTokenException"},
		{"health check by IP", ep, "GET", "https://127.0.13.1/", "127.0.13.1:443", nil, 403, bodyForbidden, "ForbiddenException"},
		{"endpoint not listed", other, "GET", "https://api.example.test/", "", nil, 403, bodyForbidden, "ForbiddenException"},
		{"default host", ep, "GET", "https://" + execHost + "/prod/", "", nil, 200, "", ""},
		{"default host no stage", ep, "GET", "https://" + execHost + "/", "", nil, 403, bodyForbidden, "ForbiddenException"},
		{"default host unknown stage", ep, "GET", "https://" + execHost + "/dev/", "", nil, 403, bodyForbidden, "ForbiddenException"},
		{"default host unknown path", ep, "GET", "https://" + execHost + "/prod/x", "", nil, 403, bodyMissing, "MissingAuthenticationTokenException"},
		{"vpce alias host", ep, "GET", "https://" + api + "-vpce-test.execute-api.us-west-2.amazonaws.com/prod", "", nil, 200, "", ""},
		{"x-apigw-api-id", ep, "GET", "https://vpce-test-abc.execute-api.us-west-2.vpce.amazonaws.com/prod", "",
			map[string]string{"x-apigw-api-id": api}, 200, "", ""},
		{"unknown api", ep, "GET", "https://zzzzzzzzzz.execute-api.us-west-2.amazonaws.com/prod", "", nil, 403, bodyForbidden, "ForbiddenException"},
		{"unknown host", ep, "GET", "https://nobody.example.test/", "", nil, 403, bodyForbidden, "ForbiddenException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.t = t
			got := h.do(tt.addr, tt.method, tt.url, tt.host, tt.hdr, "")
			checkResult(t, got, tt.wantStatus, tt.wantBody, tt.want)
		})
	}
}

func TestCertificateBySNI(t *testing.T) {
	h := newHarness(t)
	h.walkthroughAPI()
	ep := h.endpoint("127.0.13.3:0", "vpce-test")
	tests := []struct {
		name, sni, wantName string
	}{
		{"custom domain", domain, domain},
		{"execute-api name", "abc.execute-api.us-west-2.amazonaws.com", "*.execute-api.us-west-2.amazonaws.com"},
		{"no SNI", "", "*.execute-api.us-west-2.amazonaws.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tls.Dial("tcp", ep, &tls.Config{ServerName: tt.sni, InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if got := c.ConnectionState().PeerCertificates[0].Subject.CommonName; got != tt.wantName {
				t.Errorf("certificate: got %q, want %q", got, tt.wantName)
			}
		})
	}
	// TLS 1.1 is refused: private APIs accept TLS 1.2 and up.
	c, err := tls.Dial("tcp", ep, &tls.Config{ServerName: domain, InsecureSkipVerify: true, MaxVersion: tls.VersionTLS11})
	if err == nil {
		c.Close()
		t.Errorf("TLS 1.1 handshake: got success, want failure")
	}
}

func TestHTTP2(t *testing.T) {
	h := newHarness(t)
	h.walkthroughAPI()
	ep := h.endpoint("127.0.13.4:0", "vpce-test")
	tr := h.h2Transport(ep)
	resp, err := (&http.Client{Transport: tr}).Get("https://" + domain + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.ProtoMajor != 2 {
		t.Errorf("got %d over %s, want 200 over HTTP/2", resp.StatusCode, resp.Proto)
	}
}

func TestPolicyFrozenByDeployment(t *testing.T) {
	h := newHarness(t)
	api := h.walkthroughAPI()
	ep := h.endpoint("127.0.13.5:0", "vpce-test")
	setPolicy := func(p string) {
		t.Helper()
		testutil.Must[*model.RestAPI](t)(h.svc.UpdateRestAPI(h.ctx, api, func(a *model.RestAPI) error { a.Policy = p; return nil }))
	}
	arn := "arn:aws:execute-api:us-west-2:000000000000:" + api + "/prod/GET/"

	setPolicy(denyPolicy)
	h.sync()
	checkResult(t, h.do(ep, "GET", "https://"+domain+"/", "", nil, ""), 200, "", "")

	testutil.Must[*model.Deployment](t)(h.svc.CreateDeployment(h.ctx, api, CreateDeploymentInput{StageName: "prod", Description: "deny"}))
	h.sync()
	checkResult(t, h.do(ep, "GET", "https://"+domain+"/", "", nil, ""), 403,
		`{"Message":"User: anonymous is not authorized to perform: execute-api:Invoke on resource: `+arn+` with an explicit deny"}`,
		"AccessDeniedException")

	setPolicy(onlyPetsPolicy)
	testutil.Must[*model.Deployment](t)(h.svc.CreateDeployment(h.ctx, api, CreateDeploymentInput{StageName: "prod", Description: "pets only"}))
	h.sync()
	checkResult(t, h.do(ep, "GET", "https://"+domain+"/", "", nil, ""), 403,
		`{"Message":"User: anonymous is not authorized to perform: execute-api:Invoke on resource: `+arn+`"}`,
		"AccessDeniedException")

	// The endpoint list is frozen too: removing vpce-test takes effect on redeploy only.
	testutil.Must[*model.RestAPI](t)(h.svc.UpdateRestAPI(h.ctx, api, func(a *model.RestAPI) error {
		a.Policy = openPolicy
		a.EndpointConfiguration.VpcEndpointIDs = []string{"vpce-elsewhere"}
		return nil
	}))
	h.sync()
	if got := h.do(ep, "GET", "https://"+domain+"/", "", nil, ""); got.status != 403 || !strings.Contains(got.body, "anonymous") {
		t.Errorf("before redeploy: got %d %s, want the old deployment's AccessDenied", got.status, got.body)
	}
	testutil.Must[*model.Deployment](t)(h.svc.CreateDeployment(h.ctx, api, CreateDeploymentInput{StageName: "prod", Description: "moved"}))
	h.sync()
	checkResult(t, h.do(ep, "GET", "https://"+domain+"/", "", nil, ""), 403, bodyForbidden, "ForbiddenException")
}

func TestHTTPProxy(t *testing.T) {
	h := newHarness(t)
	api := h.walkthroughAPI()
	ep := h.endpoint("127.0.13.6:0", "vpce-test")
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	backend := echoBackend(t, "127.0.13.7:0", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		w.Header().Set("Server", "echo")
		w.Header().Set("X-Got-Method", r.Method)
		w.Header().Set("X-Got-Path", r.URL.Path)
		w.Header().Set("X-Got-Query", r.URL.RawQuery)
		w.Header().Set("X-Got-Host", r.Host)
		w.Header().Set("X-Got-XFF", r.Header.Get("X-Forwarded-For"))
		w.Header().Set("X-Got-Api", r.Header.Get("X-Amzn-Apigateway-Api-Id"))
		w.WriteHeader(201)
		_, _ = io.Copy(w, r.Body)
	})
	s, ctx := h.svc, h.ctx
	root := testutil.Must[*model.RestAPI](t)(s.GetRestAPI(ctx, api)).RootResourceID
	proxy := testutil.Must[*model.Resource](t)(s.CreateResource(ctx, api, root, "{proxy+}"))
	testutil.Must[*model.Method](t)(s.PutMethod(ctx, api, proxy.ID, "ANY", PutMethodInput{}))
	testutil.Must[*model.Integration](t)(s.PutIntegration(ctx, api, proxy.ID, "ANY", model.Integration{
		Type: "HTTP_PROXY", HTTPMethod: "ANY", URI: "http://" + backend + "/echo/{proxy}"}))
	slow := testutil.Must[*model.Resource](t)(s.CreateResource(ctx, api, root, "slow"))
	testutil.Must[*model.Method](t)(s.PutMethod(ctx, api, slow.ID, "GET", PutMethodInput{}))
	testutil.Must[*model.Integration](t)(s.PutIntegration(ctx, api, slow.ID, "GET", model.Integration{
		Type: "HTTP_PROXY", HTTPMethod: "GET", URI: "http://" + backend + "/slow", TimeoutInMillis: 50}))
	dead := testutil.Must[*model.Resource](t)(s.CreateResource(ctx, api, root, "dead"))
	testutil.Must[*model.Method](t)(s.PutMethod(ctx, api, dead.ID, "GET", PutMethodInput{}))
	testutil.Must[*model.Integration](t)(s.PutIntegration(ctx, api, dead.ID, "GET", model.Integration{
		Type: "HTTP_PROXY", HTTPMethod: "GET", URI: "http://127.0.13.7:1/"}))
	testutil.Must[*model.Deployment](t)(s.CreateDeployment(ctx, api, CreateDeploymentInput{StageName: "prod"}))
	h.sync()

	got := h.do(ep, "PUT", "https://"+domain+"/a/b%20c?x=1&y=2", "", map[string]string{"X-Forwarded-For": "203.0.113.9"}, "hello")
	want := map[string]string{
		"X-Got-Method":           "PUT",
		"X-Got-Path":             "/echo/a/b c",
		"X-Got-Query":            "x=1&y=2",
		"X-Got-Host":             backend,
		"X-Got-XFF":              "203.0.113.9, 127.0.0.1",
		"X-Got-Api":              api,
		"X-Amzn-Remapped-Server": "echo",
	}
	if got.status != 201 || got.body != "hello" {
		t.Errorf("proxy: got %d %q, want 201 %q", got.status, got.body, "hello")
	}
	for k, v := range want {
		if g := got.header.Get(k); g != v {
			t.Errorf("%s: got %q, want %q", k, g, v)
		}
	}
	if got.header.Get("x-amzn-RequestId") == "" {
		t.Errorf("x-amzn-RequestId: got none, want one")
	}

	got = h.do(ep, "GET", "https://"+domain+"/slow", "", nil, "")
	if got.status != 504 || got.body != `{"message": "Endpoint request timed out"}` {
		t.Errorf("timeout: got %d %s, want 504 Endpoint request timed out", got.status, got.body)
	}
	got = h.do(ep, "GET", "https://"+domain+"/dead", "", nil, "")
	checkResult(t, got, 500, `{"message": "Internal server error"}`, "InternalServerErrorException")

	// What the policy sees is what the backend gets: no dot segments, and only
	// the seven methods ANY stands for, case-sensitively.
	for _, tt := range []struct{ method, path string }{
		{"GET", "/x/../admin"},
		{"GET", "/x/%2e%2e/admin"},
		{"GET", "/./admin"},
		{"delete", "/a"},
		{"FOO", "/a"},
	} {
		got = h.do(ep, tt.method, "https://"+domain+tt.path, "", nil, "")
		checkResult(t, got, 403, bodyMissing, "MissingAuthenticationTokenException")
		if g := got.header.Get("X-Got-Path"); g != "" {
			t.Errorf("%s %s: the backend got %q, want no request", tt.method, tt.path, g)
		}
	}
}

// A request in flight when Run's context ends is finished, not aborted.
func TestShutdownFinishesInFlight(t *testing.T) {
	h := newHarness(t)
	api := h.walkthroughAPI()
	ep := h.endpoint("127.0.13.13:0", "vpce-test")
	arrived, release := make(chan struct{}), make(chan struct{})
	backend := echoBackend(t, "127.0.13.14:0", func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		_, _ = io.WriteString(w, "done")
	})
	s, ctx := h.svc, h.ctx
	root := testutil.Must[*model.RestAPI](t)(s.GetRestAPI(ctx, api)).RootResourceID
	r := testutil.Must[*model.Resource](t)(s.CreateResource(ctx, api, root, "hold"))
	testutil.Must[*model.Method](t)(s.PutMethod(ctx, api, r.ID, "GET", PutMethodInput{}))
	testutil.Must[*model.Integration](t)(s.PutIntegration(ctx, api, r.ID, "GET", model.Integration{Type: "HTTP_PROXY", HTTPMethod: "GET", URI: "http://" + backend + "/"}))
	testutil.Must[*model.Deployment](t)(s.CreateDeployment(ctx, api, CreateDeploymentInput{StageName: "prod"}))
	h.sync()

	type answer struct {
		status int
		body   string
		err    error
	}
	answered := make(chan answer, 1)
	go func() {
		resp, err := h.client(ep).Get("https://" + domain + "/hold")
		if err != nil {
			answered <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		answered <- answer{resp.StatusCode, string(b), err}
	}()
	<-arrived
	h.stopRun()
	<-h.svc.stopped // Run has seen its context end
	close(release)
	if got := <-answered; got.err != nil || got.status != 200 || got.body != "done" {
		t.Errorf("request in flight at shutdown: got %d %q (err %v), want 200 \"done\"", got.status, got.body, got.err)
	}
	if err := <-h.runDone; err != nil {
		t.Errorf("Run: got %v, want nil", err)
	}
}

// A caller that sends its headers and then trickles the body is cut off once the
// integration's timeout has passed, over HTTP/1.1 and HTTP/2.
func TestSlowBody(t *testing.T) {
	h := newHarness(t, func(d *Deps) { d.BodyReadSlack = 10 * time.Millisecond })
	api := h.walkthroughAPI()
	ep := h.endpoint("127.0.13.15:0", "vpce-test")
	s, ctx := h.svc, h.ctx
	root := testutil.Must[*model.RestAPI](t)(s.GetRestAPI(ctx, api)).RootResourceID
	r := testutil.Must[*model.Resource](t)(s.CreateResource(ctx, api, root, "upload"))
	testutil.Must[*model.Method](t)(s.PutMethod(ctx, api, r.ID, "POST", PutMethodInput{}))
	testutil.Must[*model.Integration](t)(s.PutIntegration(ctx, api, r.ID, "POST", model.Integration{Type: "MOCK", TimeoutInMillis: 50}))
	testutil.Must[*model.MethodResponse](t)(s.PutMethodResponse(ctx, api, r.ID, "POST", "200", model.MethodResponse{}))
	testutil.Must[*model.IntegrationResponse](t)(s.PutIntegrationResponse(ctx, api, r.ID, "POST", "200", model.IntegrationResponse{}))
	testutil.Must[*model.Deployment](t)(s.CreateDeployment(ctx, api, CreateDeploymentInput{StageName: "prod"}))
	h.sync()
	// guard only turns a hang into a failure; it is no timing assertion.
	const guard = 20 * time.Second

	t.Run("HTTP/1.1", func(t *testing.T) {
		c, err := tls.Dial("tcp", ep, &tls.Config{ServerName: domain, RootCAs: h.roots, NextProtos: []string{"http/1.1"}})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, err = io.WriteString(c, "POST /upload HTTP/1.1\r\nHost: "+domain+"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(guard))
		_, err = io.ReadAll(c)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("trickled body: connection still open after %v, want the server to close it", guard)
		}
	})

	t.Run("HTTP/2", func(t *testing.T) {
		tr := h.h2Transport(ep)
		pr, pw := io.Pipe()
		defer pw.Close()
		req, err := http.NewRequest("POST", "https://"+domain+"/upload", pr)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		type answer struct {
			resp *http.Response
			err  error
		}
		answered := make(chan answer, 1)
		go func() {
			resp, err := (&http.Client{Transport: tr}).Do(req)
			answered <- answer{resp, err}
		}()
		if _, err := io.WriteString(pw, "{"); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-answered:
			if got.err == nil {
				got.resp.Body.Close()
				if got.resp.ProtoMajor != 2 {
					t.Errorf("got %s, want HTTP/2", got.resp.Proto)
				}
			}
		case <-time.After(guard):
			t.Fatalf("trickled body: stream still open after %v, want the server to end it", guard)
		}
	})
}

func TestServeConnAfterFailedRun(t *testing.T) {
	svc := New(Deps{}) // no feed: Run cannot start
	if err := svc.Run(context.Background()); err == nil {
		t.Fatal("Run without a feed: got nil, want an error")
	}
	a, b := net.Pipe()
	done := make(chan struct{})
	go func() { svc.ServeConn(a, "vpce-x"); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second): // a guard against a hang, no timing assertion
		t.Fatal("ServeConn after a failed Run: still blocked, want it to return")
	}
	if _, err := b.Write([]byte("x")); !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("write to a connection offered after a failed Run: got %v, want io.ErrClosedPipe", err)
	}
}

func TestXForwardedForWithoutHeader(t *testing.T) {
	h := newHarness(t)
	api := h.walkthroughAPI()
	ep := h.endpoint("127.0.13.8:0", "vpce-test")
	backend := echoBackend(t, "127.0.13.9:0", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Header.Get("X-Forwarded-For"))
	})
	s, ctx := h.svc, h.ctx
	root := testutil.Must[*model.RestAPI](t)(s.GetRestAPI(ctx, api)).RootResourceID
	r := testutil.Must[*model.Resource](t)(s.CreateResource(ctx, api, root, "xff"))
	testutil.Must[*model.Method](t)(s.PutMethod(ctx, api, r.ID, "GET", PutMethodInput{}))
	testutil.Must[*model.Integration](t)(s.PutIntegration(ctx, api, r.ID, "GET", model.Integration{Type: "HTTP_PROXY", HTTPMethod: "GET", URI: "http://" + backend + "/"}))
	testutil.Must[*model.Deployment](t)(s.CreateDeployment(ctx, api, CreateDeploymentInput{StageName: "prod"}))
	h.sync()
	if got := h.do(ep, "GET", "https://"+domain+"/xff", "", nil, ""); got.body != "127.0.0.1" {
		t.Errorf("X-Forwarded-For: got %q, want the peer 127.0.0.1", got.body)
	}
}

func TestMockResponses(t *testing.T) {
	h := newHarness(t)
	api := h.walkthroughAPI()
	ep := h.endpoint("127.0.13.10:0", "vpce-test")
	s, ctx := h.svc, h.ctx
	root := testutil.Must[*model.RestAPI](t)(s.GetRestAPI(ctx, api)).RootResourceID
	type irSpec struct {
		code, pattern string
		params        map[string]string
		templates     map[string]string
	}
	add := func(part, tmpl string, methodResponses []string, irs []irSpec, passthrough string) string {
		t.Helper()
		r := testutil.Must[*model.Resource](t)(s.CreateResource(ctx, api, root, part))
		testutil.Must[*model.Method](t)(s.PutMethod(ctx, api, r.ID, "POST", PutMethodInput{}))
		integ := model.Integration{Type: "MOCK", PassthroughBehavior: passthrough}
		if tmpl != "" {
			integ.RequestTemplates = map[string]string{"application/json": tmpl}
		}
		testutil.Must[*model.Integration](t)(s.PutIntegration(ctx, api, r.ID, "POST", integ))
		for _, c := range methodResponses {
			testutil.Must[*model.MethodResponse](t)(s.PutMethodResponse(ctx, api, r.ID, "POST", c, model.MethodResponse{}))
		}
		for _, ir := range irs {
			testutil.Must[*model.IntegrationResponse](t)(s.PutIntegrationResponse(ctx, api, r.ID, "POST", ir.code, model.IntegrationResponse{
				SelectionPattern: ir.pattern, ResponseParameters: ir.params, ResponseTemplates: ir.templates}))
		}
		return r.ID
	}
	add("selected", `{"statusCode": 503}`, []string{"200", "500"}, []irSpec{{code: "200"}, {code: "500", pattern: `5\d{2}`,
		params: map[string]string{"method.response.header.X-Why": "'down'"}, templates: map[string]string{"application/json": `{"down":true,"stage":"$context.stage"}`}}}, "")
	add("nodefault", `{"statusCode": 404}`, []string{"200"}, []irSpec{{code: "200", pattern: "2.."}}, "")
	// The method response goes after its integration response was mapped to it.
	nmr := add("nomethodresponse", `{"statusCode": 200}`, []string{"200"}, []irSpec{{code: "200"}}, "")
	if err := s.DeleteMethodResponse(ctx, api, nmr, "POST", "200"); err != nil {
		t.Fatal(err)
	}
	add("vtl", `#if($input.params('a') == "b") {"statusCode": 200} #end`, []string{"200"}, []irSpec{{code: "200"}}, "")
	add("badstatus", `{"statusCode": "abc"}`, []string{"200"}, []irSpec{{code: "200"}}, "")
	add("passthrough", `{"statusCode": 200}`, []string{"200", "202"}, []irSpec{{code: "200"}, {code: "202", pattern: "202"}}, "")
	add("never", `{"statusCode": 200}`, []string{"200"}, []irSpec{{code: "200"}}, "NEVER")
	testutil.Must[*model.Deployment](t)(s.CreateDeployment(ctx, api, CreateDeploymentInput{StageName: "prod"}))
	h.sync()

	ise := `{"message": "Internal server error"}`
	tests := []struct {
		name, path, ctype, body string
		wantStatus              int
		wantBody, wantType      string
		wantHeader              [2]string
	}{
		{"selection pattern and template", "/selected", "", "", 500, `{"down":true,"stage":"prod"}`, "", [2]string{"X-Why", "down"}},
		{"no match, no default", "/nodefault", "", "", 500, ise, "InternalServerErrorException", [2]string{}},
		{"no method response", "/nomethodresponse", "", "", 500, ise, "InternalServerErrorException", [2]string{}},
		{"VTL not evaluated", "/vtl", "", "", 500, ise, "InternalServerErrorException", [2]string{}},
		{"statusCode not an integer", "/badstatus", "", "", 500, ise, "InternalServerErrorException", [2]string{}},
		{"passthrough body is the template", "/passthrough", "text/plain", `{"statusCode": 202}`, 202, "", "", [2]string{}},
		{"passthrough NEVER", "/never", "text/plain", "x", 415, `{"message":"Unsupported Media Type"}`, "UnsupportedMediaTypeException", [2]string{}},
		{"content type parameters ignored", "/passthrough", "application/json; charset=utf-8", "", 200, "", "", [2]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.t = t
			hdr := map[string]string{}
			if tt.ctype != "" {
				hdr["Content-Type"] = tt.ctype
			}
			got := h.do(ep, "POST", "https://"+domain+tt.path, "", hdr, tt.body)
			checkResult(t, got, tt.wantStatus, tt.wantBody, tt.wantType)
			if tt.wantHeader[0] != "" && got.header.Get(tt.wantHeader[0]) != tt.wantHeader[1] {
				t.Errorf("%s: got %q, want %q", tt.wantHeader[0], got.header.Get(tt.wantHeader[0]), tt.wantHeader[1])
			}
		})
	}
}

func TestGatewayResponseOverride(t *testing.T) {
	h := newHarness(t)
	api := h.walkthroughAPI()
	ep := h.endpoint("127.0.13.11:0", "vpce-test")
	testutil.Must[*model.RestAPI](t)(h.svc.UpdateRestAPI(h.ctx, api, func(a *model.RestAPI) error {
		a.GatewayResponses = map[string]*model.GatewayResponse{
			"MISSING_AUTHENTICATION_TOKEN": {ResponseType: "MISSING_AUTHENTICATION_TOKEN", StatusCode: "404",
				ResponseParameters: map[string]string{"gatewayresponse.header.X-Custom": "'yes'"},
				ResponseTemplates:  map[string]string{"application/json": `{"error":$context.error.messageString,"id":"$context.requestId"}`}},
		}
		return nil
	}))
	testutil.Must[*model.Deployment](t)(h.svc.CreateDeployment(h.ctx, api, CreateDeploymentInput{StageName: "prod"}))
	h.sync()
	got := h.do(ep, "GET", "https://"+domain+"/nope", "", nil, "")
	wantBody := `{"error":"Missing Authentication Token","id":"` + got.header.Get("x-amzn-RequestId") + `"}`
	checkResult(t, got, 404, wantBody, "MissingAuthenticationTokenException")
	if got.header.Get("X-Custom") != "yes" {
		t.Errorf("X-Custom: got %q, want yes", got.header.Get("X-Custom"))
	}
}

func TestRequestLimits(t *testing.T) {
	h := newHarness(t)
	h.walkthroughAPI()
	ep := h.endpoint("127.0.13.12:0", "vpce-test")
	got := h.do(ep, "GET", "https://"+domain+"/", "", nil, strings.Repeat("x", maxBodyBytes+1))
	if got.status != 413 {
		t.Errorf("11 MB body: got %d, want 413", got.status)
	}
	got = h.do(ep, "GET", "https://"+domain+"/", "", map[string]string{"X-Big": strings.Repeat("y", 20000)}, "")
	if got.status != 431 {
		t.Errorf("20 KB header: got %d, want 431", got.status)
	}
}

func TestServeConnAfterStop(t *testing.T) {
	h := newHarness(t)
	ctx, cancel := context.WithCancel(context.Background())
	snap := model.EmptySnapshot()
	snap.Rev = 1
	svc := New(Deps{Store: h.st, Feed: live.NewFeed(snap)})
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	// Run is up once it compiled the feed's snapshot.
	testutil.Eventually(t, "Run serving its first snapshot", func() (bool, string) {
		return svc.Served() >= 1, fmt.Sprintf("serving revision %d", svc.Served())
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: got %v, want nil", err)
	}
	a, b := net.Pipe()
	svc.ServeConn(a, "vpce-x") // must return and close a
	if _, err := b.Write([]byte("x")); !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("write to a connection offered after stop: got %v, want io.ErrClosedPipe", err)
	}
}

// An HTTP (non-proxy) integration: stage variables and path parameters in the
// URI, the request template as the body, the integration's own method, and the
// integration response's headers (literal and from the backend) and template.
func TestHTTPIntegration(t *testing.T) {
	h := newHarness(t)
	api := h.walkthroughAPI()
	ep := h.endpoint("127.0.13.16:0", "vpce-test")
	backend := echoBackend(t, "127.0.13.17:0", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Got", r.Method+" "+r.URL.Path+" "+string(b))
		w.WriteHeader(202)
	})
	s, ctx := h.svc, h.ctx
	root := testutil.Must[*model.RestAPI](t)(s.GetRestAPI(ctx, api)).RootResourceID
	items := testutil.Must[*model.Resource](t)(s.CreateResource(ctx, api, root, "items"))
	item := testutil.Must[*model.Resource](t)(s.CreateResource(ctx, api, items.ID, "{id}"))
	testutil.Must[*model.Method](t)(s.PutMethod(ctx, api, item.ID, "POST", PutMethodInput{}))
	testutil.Must[*model.Integration](t)(s.PutIntegration(ctx, api, item.ID, "POST", model.Integration{
		Type: "HTTP", HTTPMethod: "PUT", URI: "http://" + backend + "/${stageVariables.base}/things/{id}",
		RequestTemplates: map[string]string{"application/json": `{"stage":"$context.stage","method":"$context.httpMethod"}`}}))
	testutil.Must[*model.MethodResponse](t)(s.PutMethodResponse(ctx, api, item.ID, "POST", "201", model.MethodResponse{}))
	testutil.Must[*model.IntegrationResponse](t)(s.PutIntegrationResponse(ctx, api, item.ID, "POST", "201", model.IntegrationResponse{
		SelectionPattern: `2\d\d`,
		ResponseParameters: map[string]string{
			"method.response.header.X-From-Backend": "integration.response.header.X-Got",
			"method.response.header.X-Fixed":        "'yes'",
		},
		ResponseTemplates: map[string]string{"application/json": `{"resource":"$context.resourcePath"}`}}))
	testutil.Must[*model.Deployment](t)(s.CreateDeployment(ctx, api, CreateDeploymentInput{StageName: "prod", Variables: map[string]string{"base": "v2"}}))
	h.sync()

	got := h.do(ep, "POST", "https://"+domain+"/items/a%20b", "", nil, `{}`)
	checkResult(t, got, 201, `{"resource":"/items/{id}"}`, "")
	for k, v := range map[string]string{
		"X-Fixed":        "yes",
		"X-From-Backend": `PUT /v2/things/a b {"stage":"prod","method":"POST"}`,
	} {
		if g := got.header.Get(k); g != v {
			t.Errorf("%s: got %q, want %q", k, g, v)
		}
	}
}
