package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/internal/testutil"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
)

// TestMappingTemplates sets up a private REST API with the AWS SDK and calls
// it over real HTTPS through an interface endpoint: MOCK with the API Gateway
// docs' first template and a status override, an HTTP integration to a local
// backend with request/response templates, parameter mapping and selection by
// status, 504 past the integration timeout, 413 past 10 MB, and 415 for a
// content type no template takes under NEVER.
func TestMappingTemplates(t *testing.T) {
	needRoot(t)
	r := start(t, addressPlan("127.92.0.0/16", "127.92.1.0/24", "127.92.2.0/24"))
	c := sdkClients(r.cfg.AWSListen)
	ctx := context.Background()

	// The backend the HTTP integration calls: it echoes what reached it, and
	// answers the status the query string asks for.
	release := make(chan struct{})
	backend := startBackend(t, "127.92.250.1:0", release, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		status := http.StatusOK
		if r.URL.Query().Get("status") == "404" {
			status = http.StatusNotFound
		}
		w.Header().Set("X-Backend", "b1")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{"path": r.URL.Path, "query": r.URL.RawQuery, "body": string(b),
			"who": r.Header.Get("X-Who"), "items": []map[string]string{{"name": "rex"}}})
	})

	// The API, behind an interface endpoint.
	ep := privateAPIClient(t, r, c)
	api := ep.createAPI(t, c, "templates")
	apiID := aws.ToString(api.Id)
	res := testutil.Must[*apigateway.GetResourcesOutput](t)(c.apigw.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: &apiID}))
	root := aws.ToString(res.Items[0].Id)
	resource := func(parent, part string) string {
		t.Helper()
		return aws.ToString(testutil.Must[*apigateway.CreateResourceOutput](t)(c.apigw.CreateResource(ctx, &apigateway.CreateResourceInput{
			RestApiId: &apiID, ParentId: &parent, PathPart: &part})).Id)
	}
	type response struct {
		code, pattern string
		params        map[string]string
		template      string
	}
	method := func(res, verb string, integ apigateway.PutIntegrationInput, responses ...response) {
		t.Helper()
		testutil.Must[*apigateway.PutMethodOutput](t)(c.apigw.PutMethod(ctx, &apigateway.PutMethodInput{
			RestApiId: &apiID, ResourceId: &res, HttpMethod: &verb, AuthorizationType: aws.String("NONE")}))
		integ.RestApiId, integ.ResourceId, integ.HttpMethod = &apiID, &res, &verb
		testutil.Must[*apigateway.PutIntegrationOutput](t)(c.apigw.PutIntegration(ctx, &integ))
		for _, rsp := range responses {
			testutil.Must[*apigateway.PutMethodResponseOutput](t)(c.apigw.PutMethodResponse(ctx, &apigateway.PutMethodResponseInput{
				RestApiId: &apiID, ResourceId: &res, HttpMethod: &verb, StatusCode: &rsp.code}))
			in := &apigateway.PutIntegrationResponseInput{RestApiId: &apiID, ResourceId: &res, HttpMethod: &verb, StatusCode: aws.String(rsp.code),
				ResponseParameters: rsp.params}
			if rsp.pattern != "" {
				in.SelectionPattern = aws.String(rsp.pattern)
			}
			if rsp.template != "" {
				in.ResponseTemplates = map[string]string{"application/json": rsp.template}
			}
			testutil.Must[*apigateway.PutIntegrationResponseOutput](t)(c.apigw.PutIntegrationResponse(ctx, in))
		}
	}
	mock := func(tmpl string) apigateway.PutIntegrationInput {
		return apigateway.PutIntegrationInput{Type: agtypes.IntegrationTypeMock, RequestTemplates: map[string]string{"application/json": tmpl}}
	}
	method(resource(resource(root, "items"), "{id}"), "GET", mock(`{"statusCode": 200}`),
		response{code: "200", template: `{"statusCode": 200, "id": $input.params().path.id}`})
	method(resource(root, "override"), "GET", mock("#set($context.responseOverride.status = 444)\n"+
		"#set($context.responseOverride.header.X-Why = \"override\")\n{\"statusCode\": 200}"),
		response{code: "200", template: `{"status": "$context.responseOverride.status", "stage": "$context.stage", "who": "$stageVariables.who"}`})
	method(resource(root, "never"), "POST", apigateway.PutIntegrationInput{Type: agtypes.IntegrationTypeMock,
		PassthroughBehavior: aws.String("NEVER"), RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}},
		response{code: "200"})
	method(resource(resource(root, "things"), "{id}"), "POST", apigateway.PutIntegrationInput{
		Type: agtypes.IntegrationTypeHttp, IntegrationHttpMethod: aws.String("POST"), Uri: aws.String("http://" + backend + "/backend/{thing}"),
		RequestParameters: map[string]string{
			"integration.request.path.thing":         "method.request.path.id",
			"integration.request.querystring.status": "method.request.querystring.status",
			"integration.request.header.X-Who":       "method.request.header.X-Caller",
		},
		RequestTemplates: map[string]string{"application/json": `{"name": "$input.path('$.name')", "stage": "$context.stage"}`},
	},
		response{code: "200", params: map[string]string{
			"method.response.header.X-Backend": "integration.response.header.X-Backend",
			"method.response.header.X-First":   "integration.response.body.items[0].name",
		}, template: `{"backend": $input.json('$'), "first": "$input.path('$.items[0].name')"}`},
		response{code: "404", pattern: `4\d{2}`, template: `{"message": "no such thing", "path": "$input.path('$.path')"}`})
	method(resource(root, "slow"), "GET", apigateway.PutIntegrationInput{Type: agtypes.IntegrationTypeHttp,
		IntegrationHttpMethod: aws.String("GET"), Uri: aws.String("http://" + backend + "/slow"), TimeoutInMillis: aws.Int32(100)},
		response{code: "200"})
	testutil.Must[*apigateway.CreateDeploymentOutput](t)(c.apigw.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{
		RestApiId: &apiID, StageName: aws.String("prod"), Variables: map[string]string{"who": "e2e"}}))

	// Calls through the endpoint, by the API's private DNS name (as SNI and Host).
	host := apiID + ".execute-api.us-west-2.amazonaws.com"
	hc := ep.client
	call := func(method, path string, hdr map[string]string, body string) (int, http.Header, string) {
		t.Helper()
		req, err := http.NewRequest(method, "https://"+host+"/prod"+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("%s %s: read: %v", method, path, err)
		}
		return resp.StatusCode, resp.Header, string(b)
	}
	eventually(t, "the deployment serves", func() (bool, string) {
		status, _, body := call("GET", "/items/42", nil, "")
		return status == 200, fmt.Sprintf("%d %s", status, body)
	})

	tests := []struct {
		name, method, path string
		hdr                map[string]string
		body               string
		wantStatus         int
		wantBody           string // exact; "{…}" documents compared as JSON
		wantHeader         map[string]string
	}{
		{"MOCK: the docs' first template", "GET", "/items/42", nil, "", 200, `{"statusCode": 200, "id": 42}`, nil},
		{"MOCK: responseOverride.status 444", "GET", "/override", nil, "", 444,
			`{"status": "444", "stage": "prod", "who": "e2e"}`, map[string]string{"X-Why": "override"}},
		{"HTTP: parameters and templates both ways", "POST", "/things/t1", map[string]string{"X-Caller": "bob"}, `{"name": "rex"}`, 200,
			`{"backend": {"path": "/backend/t1", "query": "", "body": "{\"name\": \"rex\", \"stage\": \"prod\"}", "who": "bob",
			  "items": [{"name": "rex"}]}, "first": "rex"}`, map[string]string{"X-Backend": "b1", "X-First": "rex"}},
		{"HTTP: backend 404 selected by 4\\d{2}", "POST", "/things/t2?status=404", nil, `{}`, 404,
			`{"message": "no such thing", "path": "/backend/t2"}`, nil},
		{"HTTP: past the integration timeout", "GET", "/slow", nil, "", 504, `{"message": "Endpoint request timed out"}`, nil},
		// With Expect: 100-continue, as curl sends a large body: the 413 comes
		// before the body is sent (otherwise the answer can race the client's
		// write, which the server's close resets).
		{"payload over 10 MB", "POST", "/things/t3", map[string]string{"Expect": "100-continue"}, strings.Repeat("x", 10<<20+1), 413, "", nil},
		{"passthrough NEVER", "POST", "/never", map[string]string{"Content-Type": "text/plain"}, "x", 415,
			`{"message":"Unsupported Media Type"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, hdr, body := call(tt.method, tt.path, tt.hdr, tt.body)
			if status != tt.wantStatus {
				t.Errorf("status: got %d, want %d (body %s)", status, tt.wantStatus, body)
			}
			switch {
			case tt.wantBody == "":
			case strings.HasPrefix(tt.wantBody, "{") && tt.wantBody != body:
				var got, want any
				if json.Unmarshal([]byte(body), &got) != nil || json.Unmarshal([]byte(tt.wantBody), &want) != nil ||
					fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("body: got %s, want %s", body, tt.wantBody)
				}
			case tt.wantBody != body:
				t.Errorf("body: got %q, want %q", body, tt.wantBody)
			}
			for k, v := range tt.wantHeader {
				if g := hdr.Get(k); g != v {
					t.Errorf("header %s: got %q, want %q", k, g, v)
				}
			}
		})
	}
	close(release)
}

// startBackend serves handler on addr until the test ends; a request to
// /slow waits for release (or its caller to leave).
func startBackend(t *testing.T, addr string, release chan struct{}, handler http.HandlerFunc) string {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		handler(w, r)
	})}
	var wg sync.WaitGroup
	wg.Go(func() { _ = srv.Serve(ln) })
	t.Cleanup(func() { srv.Close(); wg.Wait() })
	return ln.Addr().String()
}
