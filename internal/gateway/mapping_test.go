package gateway

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"gatehouse/internal/model"
	"gatehouse/internal/testutil"
)

// apiBuilder adds resources and methods to an API through the operations.
type apiBuilder struct {
	h   *harness
	api string
}

func (b apiBuilder) root() string {
	b.h.t.Helper()
	return testutil.Must[*model.RestAPI](b.h.t)(b.h.svc.GetRestAPI(b.h.ctx, b.api)).RootResourceID
}

func (b apiBuilder) resource(parent, part string) string {
	b.h.t.Helper()
	return testutil.Must[*model.Resource](b.h.t)(b.h.svc.CreateResource(b.h.ctx, b.api, parent, part)).ID
}

// irSpec is an integration response and its method response.
type irSpec struct {
	code, pattern string
	params        map[string]string
	templates     map[string]string
}

// method puts verb on resource with integ and the integration responses.
func (b apiBuilder) method(resource, verb string, integ model.Integration, irs ...irSpec) {
	t, s, ctx := b.h.t, b.h.svc, b.h.ctx
	t.Helper()
	testutil.Must[*model.Method](t)(s.PutMethod(ctx, b.api, resource, verb, PutMethodInput{}))
	testutil.Must[*model.Integration](t)(s.PutIntegration(ctx, b.api, resource, verb, integ))
	for _, ir := range irs {
		testutil.Must[*model.MethodResponse](t)(s.PutMethodResponse(ctx, b.api, resource, verb, ir.code, model.MethodResponse{}))
		testutil.Must[*model.IntegrationResponse](t)(s.PutIntegrationResponse(ctx, b.api, resource, verb, ir.code, model.IntegrationResponse{
			SelectionPattern: ir.pattern, ResponseParameters: ir.params, ResponseTemplates: ir.templates}))
	}
}

func (b apiBuilder) deploy(vars map[string]string) {
	b.h.t.Helper()
	testutil.Must[*model.Deployment](b.h.t)(b.h.svc.CreateDeployment(b.h.ctx, b.api, CreateDeploymentInput{StageName: "prod", Variables: vars}))
	b.h.sync()
}

func jsonTemplate(s string) map[string]string { return map[string]string{"application/json": s} }

// sameJSON reports whether a and b are the same JSON document.
func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

const bodyISE = `{"message": "Internal server error"}`

// MOCK integrations with mapping templates: the API Gateway docs' examples,
// the statusCode rules (vtl-reference §5.4, cases 16–21), overrides, Accept
// selection, $context, and failures.
func TestMockMappingTemplates(t *testing.T) {
	h := newHarness(t)
	api := h.walkthroughAPI()
	ep := h.endpoint("127.92.50.1:0", "vpce-test")
	b := apiBuilder{h, api}
	root := b.root()

	item := b.resource(b.resource(root, "items"), "{id}")
	b.method(item, "GET", model.Integration{Type: "MOCK", RequestTemplates: jsonTemplate(`{"statusCode": 200}`)},
		irSpec{code: "200", templates: jsonTemplate(`{"statusCode": 200, "id": $input.params().path.id}`)})
	b.method(b.resource(root, "unquoted"), "GET", model.Integration{Type: "MOCK", RequestTemplates: jsonTemplate(`{statusCode: 200}`)},
		irSpec{code: "200"})
	b.method(b.resource(root, "stringstatus"), "GET", model.Integration{Type: "MOCK", RequestTemplates: jsonTemplate(`{"statusCode": "200"}`)},
		irSpec{code: "200"})
	b.method(b.resource(root, "scope"), "GET", model.Integration{Type: "MOCK", RequestTemplates: jsonTemplate(
		`{#if($input.params('scope') == "internal")"statusCode": 200#else"statusCode": 500#end}`)},
		irSpec{code: "200", templates: jsonTemplate(`{"ok": true}`)},
		irSpec{code: "500", pattern: `5\d{2}`, templates: jsonTemplate(`{"ok": false}`)})
	overrides := "#set($context.responseOverride.status = 444)\n" +
		"#set($context.responseOverride.header.foo = \"bar\")\n" +
		"#set($context.custom = \"is also passed around\")\n" +
		`{"statusCode": 200}`
	b.method(b.resource(root, "override"), "GET", model.Integration{Type: "MOCK", RequestTemplates: jsonTemplate(overrides)},
		irSpec{code: "200", templates: jsonTemplate(`{"statusOverride": "$context.responseOverride.status", ` +
			`"fooHeader": "$context.responseOverride.header.foo", "custom": "$context.custom"}`)})
	b.method(b.resource(root, "overridebare"), "GET", model.Integration{Type: "MOCK", RequestTemplates: jsonTemplate(overrides)},
		irSpec{code: "200"})
	b.method(b.resource(root, "responseoverride"), "GET", model.Integration{Type: "MOCK", RequestTemplates: jsonTemplate(`{"statusCode": 200}`)},
		irSpec{code: "200", templates: jsonTemplate(`#set($context.responseOverride.status = 444)`)})
	b.method(b.resource(root, "requestoverride"), "GET", model.Integration{Type: "MOCK", RequestTemplates: jsonTemplate(
		`#set($k = "foo")#set($context.requestOverride.querystring[$k] = "bar")` +
			`#set($context["requestOverride"].querystring["nestedfoo"] = "nestedFoo"){"statusCode": 200}`)},
		irSpec{code: "200", templates: jsonTemplate(`$context.requestOverride.querystring.foo,$context.requestOverride.querystring.nestedfoo`)})
	b.method(b.resource(root, "twice"), "GET", model.Integration{Type: "MOCK", RequestTemplates: jsonTemplate(
		`#set($context.responseOverride.status = 400)#set($context.responseOverride.status = 401){"statusCode": 200}`)},
		irSpec{code: "200"})
	b.method(b.resource(root, "renderfails"), "GET", model.Integration{Type: "MOCK", RequestTemplates: jsonTemplate(
		`#set($o = $util.parseJson("{"))` + `{"statusCode": 200}`)}, irSpec{code: "200"})
	b.method(b.resource(root, "badpayload"), "POST", model.Integration{Type: "MOCK", RequestTemplates: jsonTemplate(
		`{"statusCode": 200, "a": $input.json('$.a')}`)}, irSpec{code: "200"})
	b.method(b.resource(root, "nocompile"), "GET", model.Integration{Type: "MOCK", RequestTemplates: jsonTemplate(`#if($a {"statusCode": 200}`)},
		irSpec{code: "200"})
	b.method(b.resource(root, "accept"), "GET", model.Integration{Type: "MOCK", RequestTemplates: jsonTemplate(`{"statusCode": 200}`)},
		irSpec{code: "200", templates: map[string]string{"application/json": `{"t": "json"}`, "application/xml": `<t>xml</t>`}})
	b.method(b.resource(root, "context"), "GET", model.Integration{Type: "MOCK", RequestTemplates: jsonTemplate(`{"statusCode": 200}`)},
		irSpec{code: "200",
			params: map[string]string{
				"method.response.header.X-Request-Id": "context.requestId",
				"method.response.header.X-Who":        "stageVariables.who",
				"method.response.header.X-Fixed":      "'fixed'",
				"method.response.header.X-Nothing":    "stageVariables.missing",
			},
			templates: jsonTemplate(`{"requestId": "$context.requestId", "extendedRequestId": "$context.extendedRequestId", ` +
				`"resourcePath": "$context.resourcePath", "httpMethod": "$context.httpMethod", "stage": "$context.stage", ` +
				`"path": "$context.path", "protocol": "$context.protocol", "apiId": "$context.apiId", "accountId": "$context.accountId", ` +
				`"sourceIp": "$context.identity.sourceIp", "userAgent": "$context.identity.userAgent", "vpceId": "$context.identity.vpceId", ` +
				`"epochIsNumber": #if($context.requestTimeEpoch > 0)true#{else}false#end, "who": "$stageVariables.who", ` +
				`"identity": "$context.identity", "caller": "$context.identity.caller"}`)})
	b.method(b.resource(root, "notemplate"), "GET", model.Integration{Type: "MOCK"},
		irSpec{code: "200", templates: jsonTemplate(`{"default": true}`)},
		irSpec{code: "500", pattern: `.*`, templates: jsonTemplate(`{"default": false}`)})
	b.deploy(map[string]string{"who": "tester"})

	type want struct {
		status int
		body   string // exact, or a JSON document when json is set
		json   bool
		header map[string]string
	}
	tests := []struct {
		name, method, path string
		hdr                map[string]string
		body               string
		want               want
	}{
		{"case 16: the docs' first template", "GET", "/items/42", nil, "",
			want{status: 200, body: `{"statusCode": 200, "id": 42}`}},
		{"case 17: unquoted statusCode, no response template", "GET", "/unquoted", nil, "",
			want{status: 200, body: ""}},
		{"case 18: statusCode as a string", "GET", "/stringstatus", nil, "",
			want{status: 500, body: bodyISE}},
		{"case 19: scope internal", "GET", "/scope?scope=internal", nil, "",
			want{status: 200, body: `{"ok": true}`}},
		{"case 19: no scope", "GET", "/scope", nil, "",
			want{status: 500, body: `{"ok": false}`}},
		{"case 20: overrides with a response template", "GET", "/override", nil, "",
			want{status: 444, json: true, header: map[string]string{"foo": "bar"},
				body: `{"statusOverride":"444","fooHeader":"bar","custom":"is also passed around"}`}},
		{"case 20: overrides without a response template", "GET", "/overridebare", nil, "",
			want{status: 444, body: "", header: map[string]string{"foo": "bar"}}},
		{"status override in the response template", "GET", "/responseoverride", nil, "",
			want{status: 444, body: ""}},
		{"case 21: request overrides read in the response", "GET", "/requestoverride", nil, "",
			want{status: 200, body: "bar,nestedFoo"}},
		{"an override set twice", "GET", "/twice", nil, "",
			want{status: 500, body: bodyISE}},
		{"a template that fails", "GET", "/renderfails", nil, "",
			want{status: 500, body: bodyISE}},
		{"a template that does not compile", "GET", "/nocompile", nil, "",
			want{status: 500, body: bodyISE}},
		{"Accept picks the response template", "GET", "/accept", map[string]string{"Accept": "application/xml"}, "",
			want{status: 200, body: `<t>xml</t>`, header: map[string]string{"Content-Type": "application/xml"}}},
		{"unknown Accept: the application/json template", "GET", "/accept", map[string]string{"Accept": "text/html"}, "",
			want{status: 200, body: `{"t": "json"}`, header: map[string]string{"Content-Type": "application/json"}}},
		{"no request template: the default response", "GET", "/notemplate", nil, "",
			want{status: 200, body: `{"default": true}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.t = t
			got := h.do(ep, tt.method, "https://"+domain+tt.path, "", tt.hdr, tt.body)
			if got.status != tt.want.status {
				t.Errorf("status: got %d, want %d (body %s)", got.status, tt.want.status, got.body)
			}
			if tt.want.json && !sameJSON(got.body, tt.want.body) || !tt.want.json && got.body != tt.want.body {
				t.Errorf("body: got %q, want %q", got.body, tt.want.body)
			}
			for k, v := range tt.want.header {
				if g := got.header.Get(k); g != v {
					t.Errorf("header %s: got %q, want %q", k, g, v)
				}
			}
		})
	}

	t.Run("a body that starts like JSON but is not", func(t *testing.T) {
		h.t = t
		got := h.do(ep, "POST", "https://"+domain+"/badpayload", "", map[string]string{"Content-Type": "application/json"}, `{"a": `)
		if got.status != 400 || !strings.HasPrefix(got.body, `{"message":"Could not parse request body into json: `) {
			t.Errorf("got %d %s, want 400 Could not parse request body into json", got.status, got.body)
		}
		if g := got.header.Get("x-amzn-ErrorType"); g != "BadRequestException" {
			t.Errorf("x-amzn-ErrorType: got %q, want BadRequestException", g)
		}
	})

	t.Run("$context and parameter mapping from context and stage variables", func(t *testing.T) {
		h.t = t
		got := h.do(ep, "GET", "https://"+domain+"/context", "", map[string]string{"User-Agent": "mapping-test/1"}, "")
		if got.status != 200 {
			t.Fatalf("status: got %d, want 200 (body %s)", got.status, got.body)
		}
		var doc map[string]any
		if err := json.Unmarshal([]byte(got.body), &doc); err != nil {
			t.Fatalf("body %q: %v", got.body, err)
		}
		reqID := got.header.Get("x-amzn-RequestId")
		wantDoc := map[string]any{
			"requestId": reqID, "extendedRequestId": got.header.Get("x-amz-apigw-id"), "resourcePath": "/context",
			"httpMethod": "GET", "stage": "prod", "path": "/prod/context", "protocol": "HTTP/1.1", "apiId": api,
			"accountId": model.DefaultEnv.Account, "sourceIp": "127.0.0.1", "userAgent": "mapping-test/1",
			"vpceId": "vpce-test", "epochIsNumber": true, "who": "tester", "identity": "", "caller": "",
		}
		if !reflect.DeepEqual(doc, wantDoc) {
			t.Errorf("$context: got %v, want %v", doc, wantDoc)
		}
		for k, v := range map[string]string{"X-Request-Id": reqID, "X-Who": "tester", "X-Fixed": "fixed"} {
			if g := got.header.Get(k); g != v {
				t.Errorf("header %s: got %q, want %q", k, g, v)
			}
		}
		if _, ok := got.header["X-Nothing"]; ok {
			t.Errorf("header X-Nothing: got %q, want none (its source resolves to nothing)", got.header.Get("X-Nothing"))
		}
	})
}

// echoFields is what the HTTP test backend saw, as it answers it.
type echoFields struct {
	Method, Path, Query, ContentType, Body   string
	Who, Lit, Ctx, Stage, BodyName, Override string
	Multi                                    []string
	Pets                                     []map[string]string `json:"pets"`
}

// HTTP (non-proxy) integrations: parameter mapping into the integration
// request, request and response templates, selection by status, response
// header mapping, passthrough behaviours (case 31), a mapped Content-Length
// (case 32), 504 and 413.
func TestHTTPMapping(t *testing.T) {
	h := newHarness(t)
	api := h.walkthroughAPI()
	ep := h.endpoint("127.92.50.2:0", "vpce-test")
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	backend := echoBackend(t, "127.92.50.3:0", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		b, _ := io.ReadAll(r.Body)
		status := http.StatusOK
		if s := r.URL.Query().Get("status"); s != "" {
			status, _ = strconv.Atoi(s)
		}
		w.Header().Set("X-Backend", "b1")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(echoFields{
			Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, ContentType: r.Header.Get("Content-Type"), Body: string(b),
			Who: r.Header.Get("X-Who"), Lit: r.Header.Get("X-Lit"), Ctx: r.Header.Get("X-Ctx"), Stage: r.Header.Get("X-Stage"),
			BodyName: r.Header.Get("X-Body-Name"), Override: r.Header.Get("X-Override"), Multi: r.Header.Values("X-Multi"),
			Pets: []map[string]string{{"name": "rex"}, {"name": "tom"}},
		})
	})
	b := apiBuilder{h, api}
	root := b.root()
	thing := b.resource(b.resource(root, "things"), "{id}")
	b.method(thing, "POST", model.Integration{
		Type: "HTTP", HTTPMethod: "PUT", URI: "http://" + backend + "/backend/{thing}",
		RequestParameters: map[string]string{
			"integration.request.path.thing":               "method.request.path.id",
			"integration.request.querystring.q":            "method.request.querystring.search",
			"integration.request.querystring.status":       "method.request.querystring.status",
			"integration.request.header.X-Who":             "method.request.header.X-Caller",
			"integration.request.header.X-Lit":             "'fixed'",
			"integration.request.header.X-Ctx":             "context.httpMethod",
			"integration.request.header.X-Stage":           "stageVariables.who",
			"integration.request.header.X-Body-Name":       "method.request.body.pet.name",
			"integration.request.multivalueheader.X-Multi": "method.request.multivalueheader.X-Multi",
		},
		RequestTemplates: jsonTemplate("#set($context.requestOverride.header.X-Override = \"from-template\")\n" +
			`{"name": "$input.path('$.pet.name')", "id": "$input.params('id')"}`),
	},
		irSpec{code: "200",
			params: map[string]string{
				"method.response.header.X-Backend":   "integration.response.header.X-Backend",
				"method.response.header.X-First-Pet": "integration.response.body.pets[0].name",
				"method.response.header.X-Fixed":     "'yes'",
			},
			templates: jsonTemplate(`{"echo": $input.json('$'), "second": "$input.path('$.pets[1].name')", "caller": "$input.params('X-Caller')"}`)},
		irSpec{code: "404", pattern: `4\d{2}`, templates: jsonTemplate(`{"error": "not found", "backendPath": "$input.path('$.Path')"}`)},
	)
	passthrough := func(part, behaviour string, templates map[string]string) {
		b.method(b.resource(root, part), "POST", model.Integration{Type: "HTTP", HTTPMethod: "POST", URI: "http://" + backend + "/" + part,
			PassthroughBehavior: behaviour, RequestTemplates: templates}, irSpec{code: "200"})
	}
	passthrough("nomatch", "WHEN_NO_MATCH", jsonTemplate(`{"templated": true}`))
	passthrough("notemplates", "WHEN_NO_TEMPLATES", jsonTemplate(`{"templated": true}`))
	passthrough("never", "NEVER", jsonTemplate(`{"templated": true}`))
	passthrough("notemplates-none", "WHEN_NO_TEMPLATES", nil)
	passthrough("never-none", "NEVER", nil)
	b.method(b.resource(root, "contentlength"), "GET", model.Integration{Type: "HTTP", HTTPMethod: "GET", URI: "http://" + backend + "/",
		RequestParameters: map[string]string{"integration.request.header.Content-Length": "'5'"}}, irSpec{code: "200"})
	b.method(b.resource(root, "slow"), "GET", model.Integration{Type: "HTTP", HTTPMethod: "GET", URI: "http://" + backend + "/slow",
		TimeoutInMillis: 100}, irSpec{code: "200"})
	b.deploy(map[string]string{"who": "stage-tester"})

	t.Run("mapped request, templates both ways, default response", func(t *testing.T) {
		h.t = t
		req, err := http.NewRequest("POST", "https://"+domain+"/things/a%20b?search=cats&dropped=1", strings.NewReader(`{"pet": {"name": "rex"}}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Caller", "alice")
		req.Header.Add("X-Multi", "one")
		req.Header.Add("X-Multi", "two")
		resp, err := h.client(ep).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("status: got %d, want 200 (body %s)", resp.StatusCode, body)
		}
		var got struct {
			Echo   echoFields
			Second string
			Caller string
		}
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("body %s: %v", body, err)
		}
		want := echoFields{
			Method: "PUT", Path: "/backend/a b", Query: "q=cats", ContentType: "application/json",
			Body: `{"name": "rex", "id": "a b"}`, Who: "alice", Lit: "fixed", Ctx: "POST", Stage: "stage-tester",
			BodyName: "rex", Override: "from-template", Multi: []string{"one", "two"},
			Pets: []map[string]string{{"name": "rex"}, {"name": "tom"}},
		}
		if !reflect.DeepEqual(got.Echo, want) {
			t.Errorf("integration request:\ngot  %+v\nwant %+v", got.Echo, want)
		}
		if got.Second != "tom" || got.Caller != "alice" {
			t.Errorf("response template: got second %q caller %q, want tom, alice", got.Second, got.Caller)
		}
		for k, v := range map[string]string{"X-Backend": "b1", "X-First-Pet": "rex", "X-Fixed": "yes", "Content-Type": "application/json"} {
			if g := resp.Header.Get(k); g != v {
				t.Errorf("header %s: got %q, want %q", k, g, v)
			}
		}
	})

	tests := []struct {
		name, path, ctype, body string
		wantStatus              int
		check                   func(t *testing.T, body string)
	}{
		{"backend 404 selects the 4\\d{2} response", "/things/x?status=404", "", `{}`, 404, func(t *testing.T, body string) {
			if !sameJSON(body, `{"error": "not found", "backendPath": "/backend/x"}`) {
				t.Errorf("body: got %s, want the 404 template's", body)
			}
		}},
		{"backend 201 falls to the default response", "/things/x?status=201", "", `{}`, 200, nil},
		{"case 31: WHEN_NO_MATCH passes an unmatched type through", "/nomatch", "application/xml", `<a/>`, 200, func(t *testing.T, body string) {
			var e echoFields
			if err := json.Unmarshal([]byte(body), &e); err != nil || e.Body != `<a/>` || e.ContentType != "application/xml" {
				t.Errorf("backend got body %q content type %q (%v), want <a/> application/xml", e.Body, e.ContentType, err)
			}
		}},
		{"case 31: WHEN_NO_MATCH uses a matching template", "/nomatch", "application/json", `{}`, 200, func(t *testing.T, body string) {
			var e echoFields
			if err := json.Unmarshal([]byte(body), &e); err != nil || e.Body != `{"templated": true}` {
				t.Errorf("backend got body %q (%v), want the template's", e.Body, err)
			}
		}},
		{"case 31: WHEN_NO_TEMPLATES with templates", "/notemplates", "application/xml", `<a/>`, 415, wantBody(`{"message":"Unsupported Media Type"}`)},
		{"case 31: NEVER with templates", "/never", "application/xml", `<a/>`, 415, wantBody(`{"message":"Unsupported Media Type"}`)},
		{"WHEN_NO_TEMPLATES without templates", "/notemplates-none", "application/xml", `<a/>`, 200, nil},
		{"NEVER without templates", "/never-none", "application/xml", `<a/>`, 415, wantBody(`{"message":"Unsupported Media Type"}`)},
		{"case 32: a mapped Content-Length", "/contentlength", "", "", 500, wantBody(bodyISE)},
		{"backend past the integration timeout", "/slow", "", "", 504, wantBody(`{"message": "Endpoint request timed out"}`)},
		{"payload over 10 MB", "/things/x", "application/json", strings.Repeat("x", maxBodyBytes+1), 413, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.t = t
			method := "POST"
			if tt.path == "/contentlength" || tt.path == "/slow" {
				method = "GET"
			}
			hdr := map[string]string{}
			if tt.ctype != "" {
				hdr["Content-Type"] = tt.ctype
			}
			got := h.do(ep, method, "https://"+domain+tt.path, "", hdr, tt.body)
			if got.status != tt.wantStatus {
				t.Errorf("status: got %d, want %d (body %s)", got.status, tt.wantStatus, got.body)
			}
			if tt.check != nil {
				tt.check(t, got.body)
			}
		})
	}
}

func wantBody(want string) func(t *testing.T, body string) {
	return func(t *testing.T, body string) {
		t.Helper()
		if body != want {
			t.Errorf("body: got %q, want %q", body, want)
		}
	}
}

// Cases 29 and 30 of vtl-reference §7: request validation answers before any
// mapping template runs (the MOCK's template here would fail if it ran).
func TestValidationBeforeTemplates(t *testing.T) {
	h := newHarness(t)
	api := h.walkthroughAPI()
	ep := h.endpoint("127.92.50.4:0", "vpce-test")
	s, ctx := h.svc, h.ctx
	b := apiBuilder{h, api}
	v := testutil.Must[*model.RequestValidator](t)(s.CreateRequestValidator(ctx, api, ValidatorInput{
		Name: "all", ValidateRequestBody: true, ValidateRequestParameters: true}))
	testutil.Must[*model.Model](t)(s.CreateModel(ctx, api, ModelInput{Name: "AB", ContentType: "application/json",
		Schema: `{"$schema": "http://json-schema.org/draft-04/schema#", "type": "object", "required": ["a", "b"],
			"properties": {"a": {"type": "number"}, "b": {"type": "number"}}}`}))
	issuer := b.resource(b.resource(b.root(), "v"), "{issuer}")
	testutil.Must[*model.Method](t)(s.PutMethod(ctx, api, issuer, "POST", PutMethodInput{
		RequestValidatorID: v.ID, RequestModels: map[string]string{"application/json": "AB"},
		RequestParameters: map[string]bool{"method.request.header.x-header-param": true, "method.request.path.issuer": true,
			"method.request.querystring.qs1": true}}))
	testutil.Must[*model.Integration](t)(s.PutIntegration(ctx, api, issuer, "POST", model.Integration{Type: "MOCK",
		RequestTemplates: jsonTemplate(`#set($o = $util.parseJson("{")){"statusCode": 200}`)}))
	testutil.Must[*model.MethodResponse](t)(s.PutMethodResponse(ctx, api, issuer, "POST", "200", model.MethodResponse{}))
	testutil.Must[*model.IntegrationResponse](t)(s.PutIntegrationResponse(ctx, api, issuer, "POST", "200", model.IntegrationResponse{}))
	b.deploy(nil)

	tests := []struct {
		name, path string
		hdr        map[string]string
		body       string
		wantStatus int
		wantMsg    string
	}{
		{"case 29: header and query string missing", "/v/x", nil, `{"a": 1, "b": 2}`, 400,
			"Missing required request parameters: [x-header-param, qs1]"},
		{"case 30: body breaks the model", "/v/x?qs1=1", map[string]string{"x-header-param": "h"}, `{"a": 1}`, 400,
			"Invalid request body"},
		{"valid: the template runs (and fails)", "/v/x?qs1=1", map[string]string{"x-header-param": "h"}, `{"a": 1, "b": 2}`, 500,
			"Internal server error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.t = t
			hdr := map[string]string{"Content-Type": "application/json"}
			for k, v := range tt.hdr {
				hdr[k] = v
			}
			got := h.do(ep, "POST", "https://"+domain+tt.path, "", hdr, tt.body)
			var doc struct{ Message string }
			_ = json.Unmarshal([]byte(got.body), &doc)
			if got.status != tt.wantStatus || doc.Message != tt.wantMsg {
				t.Errorf("got %d %s, want %d with message %q", got.status, got.body, tt.wantStatus, tt.wantMsg)
			}
		})
	}
}
