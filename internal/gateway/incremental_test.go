package gateway

import (
	"fmt"
	"reflect"
	"testing"

	"gatehouse/internal/model"
	"gatehouse/internal/testutil"
)

// TestOneChangeAmongMany changes one API's deployment, stage, policy,
// throttle or mapping at a time among several deployed APIs, through the
// operations and over real HTTPS: the changed API answers its new way at
// once, every other API as before. The compiler keeps what a change does not
// touch (compile.go), so this is what holds it to serving every change.
func TestOneChangeAmongMany(t *testing.T) {
	h := newHarness(t)
	ctx, s := h.ctx, h.svc
	ep := h.endpoint("127.111.9.1:0", "vpce-test")
	const apis = 4
	ids := make([]string, apis)
	roots := make([]string, apis)
	// answer is the body API i's GET / answers with at version v.
	answer := func(i, v int) string { return fmt.Sprintf(`{"api": %d, "v": %d}`, i, v) }
	for i := range ids {
		api := testutil.Must[*model.RestAPI](t)(s.CreateRestAPI(ctx, CreateRestAPIInput{
			Name:                  fmt.Sprintf("api-%d", i),
			EndpointConfiguration: &model.EndpointConfiguration{Types: []string{"PRIVATE"}, VpcEndpointIDs: []string{"vpce-test"}},
			Policy:                openPolicy,
		}))
		ids[i], roots[i] = api.ID, api.RootResourceID
		testutil.Must[*model.Method](t)(s.PutMethod(ctx, api.ID, api.RootResourceID, "GET", PutMethodInput{}))
		testutil.Must[*model.Integration](t)(s.PutIntegration(ctx, api.ID, api.RootResourceID, "GET", model.Integration{
			Type: "MOCK", RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}}))
		testutil.Must[*model.MethodResponse](t)(s.PutMethodResponse(ctx, api.ID, api.RootResourceID, "GET", "200", model.MethodResponse{
			ResponseParameters: map[string]bool{"method.response.header.X-Color": false}}))
		testutil.Must[*model.IntegrationResponse](t)(s.PutIntegrationResponse(ctx, api.ID, api.RootResourceID, "GET", "200", model.IntegrationResponse{
			ResponseParameters: map[string]string{"method.response.header.X-Color": "stageVariables.color"},
			ResponseTemplates:  map[string]string{"application/json": answer(i, 1)}}))
		testutil.Must[*model.Deployment](t)(s.CreateDeployment(ctx, api.ID, CreateDeploymentInput{StageName: "prod",
			Variables: map[string]string{"color": "blue"}}))
	}
	h.addCert(certARN, domain)
	testutil.Must[*model.DomainName](t)(s.CreateDomainName(ctx, CreateDomainNameInput{
		DomainName: domain, RegionalCertificateARN: certARN,
		EndpointConfiguration: &model.EndpointConfiguration{Types: []string{"REGIONAL"}}}))
	testutil.Must[*model.BasePathMapping](t)(s.CreateBasePathMapping(ctx, domain, "zero", ids[0], "prod"))
	testutil.Must[*model.BasePathMapping](t)(s.CreateBasePathMapping(ctx, domain, "one", ids[1], "prod"))
	h.sync()

	// want is what every API answers, by index: status, body and X-Color;
	// each step changes one entry.
	type answerWant struct {
		status int
		body   string
		color  string
	}
	want := make([]answerWant, apis)
	for i := range want {
		want[i] = answerWant{200, answer(i, 1), "blue"}
	}
	checkAll := func(t *testing.T) {
		t.Helper()
		for i, id := range ids {
			got := h.do(ep, "GET", "https://"+id+".execute-api.us-west-2.amazonaws.com/prod/", "", nil, "")
			if got.status != want[i].status || got.body != want[i].body || got.header.Get("X-Color") != want[i].color {
				t.Errorf("API %d: got %d %q X-Color %q, want %d %q X-Color %q", i, got.status, got.body, got.header.Get("X-Color"),
					want[i].status, want[i].body, want[i].color)
			}
		}
	}
	viaDomain := func(t *testing.T, basePath string, wantStatus int, wantBody string) {
		t.Helper()
		got := h.do(ep, "GET", "https://"+domain+"/"+basePath, "", nil, "")
		if got.status != wantStatus || got.body != wantBody {
			t.Errorf("GET https://%s/%s: got %d %q, want %d %q", domain, basePath, got.status, got.body, wantStatus, wantBody)
		}
	}
	checkAll(t)
	viaDomain(t, "zero", 200, answer(0, 1))

	steps := []struct {
		name   string
		change func(t *testing.T)
		check  func(t *testing.T)
	}{
		{"a new deployment of one API", func(t *testing.T) {
			testutil.Must[*model.IntegrationResponse](t)(s.PutIntegrationResponse(ctx, ids[2], roots[2], "GET", "200", model.IntegrationResponse{
				ResponseParameters: map[string]string{"method.response.header.X-Color": "stageVariables.color"},
				ResponseTemplates:  map[string]string{"application/json": answer(2, 2)}}))
			testutil.Must[*model.Deployment](t)(s.CreateDeployment(ctx, ids[2], CreateDeploymentInput{StageName: "prod"}))
			want[2].body = answer(2, 2)
		}, nil},
		{"a stage variable", func(t *testing.T) {
			testutil.Must[*model.Stage](t)(s.UpdateStage(ctx, ids[1], "prod", func(st *model.Stage) error {
				st.Variables["color"] = "green"
				return nil
			}))
			want[1].color = "green"
		}, func(t *testing.T) { viaDomain(t, "one", 200, answer(1, 1)) }},
		{"a policy, deployed", func(t *testing.T) {
			testutil.Must[*model.RestAPI](t)(s.UpdateRestAPI(ctx, ids[3], func(api *model.RestAPI) error {
				api.Policy = denyPolicy
				return nil
			}))
			testutil.Must[*model.Deployment](t)(s.CreateDeployment(ctx, ids[3], CreateDeploymentInput{StageName: "prod"}))
			want[3] = answerWant{403, `{"Message":"User: anonymous is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-west-2:000000000000:` +
				ids[3] + `/prod/GET/ with an explicit deny"}`, ""}
		}, nil},
		{"a stage throttle", func(t *testing.T) {
			testutil.Must[*model.Stage](t)(s.UpdateStage(ctx, ids[0], "prod", func(st *model.Stage) error {
				st.MethodSettings = map[string]model.MethodSetting{"*/*": {}} // 0 rps, 0 burst: every request 429
				return nil
			}))
			want[0] = answerWant{429, `{"message":"Too Many Requests"}`, ""}
		}, nil},
		{"a base path mapping moved", func(t *testing.T) {
			if err := s.DeleteBasePathMapping(ctx, domain, "one"); err != nil {
				t.Fatal(err)
			}
			testutil.Must[*model.BasePathMapping](t)(s.CreateBasePathMapping(ctx, domain, "two", ids[2], "prod"))
		}, func(t *testing.T) {
			viaDomain(t, "two", 200, answer(2, 2))
			// No mapping takes "one" now (what the 403 says is not this
			// test's business).
			if got := h.do(ep, "GET", "https://"+domain+"/one", "", nil, ""); got.status != 403 {
				t.Errorf("GET https://%s/one: got %d %q, want 403", domain, got.status, got.body)
			}
		}},
		{"a stage deleted", func(t *testing.T) {
			if err := s.DeleteStage(ctx, ids[1], "prod"); err != nil {
				t.Fatal(err)
			}
			want[1] = answerWant{403, bodyForbidden, ""}
		}, nil},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			step.change(t)
			h.sync()
			checkAll(t)
			if step.check != nil {
				step.check(t)
			}
		})
	}
}

// TestFreshDeploymentServesAsDecoded holds the hand-over of a deployment
// this node froze (fresh.go) to what every other node serves: the table
// compiled with the API handed over routes every request of the walkthrough
// API exactly as the table compiled by decoding its parts does.
func TestFreshDeploymentServesAsDecoded(t *testing.T) {
	api := deployAPI(0)
	api.EndpointConfiguration = model.EndpointConfiguration{Types: []string{"PRIVATE"}, VpcEndpointIDs: []string{"vpce-1"}}
	api.Policy = openPolicy
	dep, stage := deploymentChanges(t, api, "fresh0")
	rec := *api
	rec.Resources = nil
	changes := append([]model.Change{{Key: model.Key(model.KindRestAPI, api.ID), Value: mustJSON(t, rec)}}, dep...)
	snap, err := model.EmptySnapshot().With(1, append(changes, stage...))
	if err != nil {
		t.Fatal(err)
	}
	decoded := &compiler{env: model.DefaultEnv}
	handed := &compiler{env: model.DefaultEnv, fresh: &freshDeployments{}}
	_, hash, err := packParts(api, deployCreated)
	if err != nil {
		t.Fatal(err)
	}
	handed.fresh.put(hash, api)
	fromParts := testutil.Must[*table](t)(decoded.compile(snap))
	fromFresh := testutil.Must[*table](t)(handed.compile(snap))
	if handed.fresh.take(hash) != nil {
		t.Fatal("the handed-over API is still waiting: the compiler did not take it")
	}
	for _, tt := range []struct {
		path   string
		routed bool
	}{{"/prod/r000", true}, {"/prod/r289", true}, {"/prod/", false}, {"/prod/nope", false}, {"/other/r000", false}} {
		path := tt.path
		in := routeInput{host: api.ID + ".execute-api.us-west-2.amazonaws.com", path: path, method: "GET", vpce: "vpce-1"}
		a, b := fromParts.resolve(in), fromFresh.resolve(in)
		if (b.route != nil) != tt.routed {
			t.Errorf("GET %s: handed over got a route %v, want %v (failure %+v)", path, b.route != nil, tt.routed, b.fail)
		}
		if (a.fail == nil) != (b.fail == nil) || (a.fail != nil && a.fail.status != b.fail.status) {
			t.Errorf("GET %s: handed over got failure %+v, decoded %+v", path, b.fail, a.fail)
			continue
		}
		if a.route == nil || b.route == nil {
			continue
		}
		ra, rb := a.route, b.route
		if ra.resourcePath != rb.resourcePath || ra.uri != rb.uri || len(ra.responses) != len(rb.responses) || (ra.err == nil) != (rb.err == nil) {
			t.Errorf("GET %s: handed over got route %s (%d responses, err %v), decoded %s (%d responses, err %v)",
				path, rb.resourcePath, len(rb.responses), rb.err, ra.resourcePath, len(ra.responses), ra.err)
		}
	}
}

// TestRedeployKeepsUnchangedRoutes holds the route reuse (reuse.go) to what
// it may keep: a new deployment compiles the methods that changed and keeps
// the others' compiled routes (as copies, for the old table still serves
// them); new stage variables, which every URI holds, keep none; a kept
// route takes its request validation from the new deployment.
func TestRedeployKeepsUnchangedRoutes(t *testing.T) {
	st := &model.Stage{RestAPIID: "dep0000000", StageName: "prod", DeploymentID: "d1", Variables: map[string]string{"color": "blue"}}
	first := deployAPI(0)
	first.RequestValidators = map[string]*model.RequestValidator{"v1": {ID: "v1", ValidateRequestParameters: true}}
	first.Resources["res001"].Methods["GET"].RequestValidatorID = "v1"
	first.Resources["res001"].Methods["GET"].RequestParameters = map[string]bool{"method.request.querystring.q": true}
	prev := compileStage(model.DefaultEnv, st, &model.Deployment{ID: "d1", RestAPIID: st.RestAPIID}, first, nil)
	routeOf := func(sr *stageRoute, path string) *route {
		n, _ := sr.root.match(path, nil)
		if n == nil {
			t.Fatalf("no resource for %s", path)
		}
		return n.methods["GET"]
	}
	if routeOf(prev, "/r001").validation == nil {
		t.Fatal("the first deployment's /r001 has no validation, want its validator's")
	}

	tests := []struct {
		name       string
		vars       map[string]string
		change     func(api *model.RestAPI)
		kept       []string // paths whose route is kept
		recompiled []string // paths whose route is compiled again
	}{
		{"one method changed", st.Variables, func(api *model.RestAPI) {
			api.Resources["res002"].Methods["GET"].Integration.IntegrationResponses["200"].ResponseTemplates["application/json"] = `{"changed": true}`
		}, []string{"/r000", "/r001", "/r289"}, []string{"/r002"}},
		{"stage variables changed", map[string]string{"color": "green"}, func(*model.RestAPI) {}, nil, []string{"/r000", "/r002"}},
		{"validator removed", st.Variables, func(api *model.RestAPI) {
			api.RequestValidators = nil
		}, []string{"/r000", "/r001"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := deployAPI(0)
			api.RequestValidators = first.RequestValidators
			api.Resources["res001"].Methods["GET"].RequestValidatorID = "v1"
			api.Resources["res001"].Methods["GET"].RequestParameters = map[string]bool{"method.request.querystring.q": true}
			tt.change(api)
			next := *st
			next.Variables = tt.vars
			sr := compileStage(model.DefaultEnv, &next, &model.Deployment{ID: "d2", RestAPIID: st.RestAPIID}, api, prev)
			for _, p := range tt.kept {
				old, got := routeOf(prev, p), routeOf(sr, p)
				if got == old {
					t.Errorf("%s: got the old table's route itself, want a copy", p)
				}
				if got.templates != old.templates || got.responses[0].templates != old.responses[0].templates {
					t.Errorf("%s: compiled again, want the route kept", p)
				}
			}
			for _, p := range tt.recompiled {
				if routeOf(sr, p).responses[0].templates == routeOf(prev, p).responses[0].templates {
					t.Errorf("%s: kept, want it compiled again", p)
				}
			}
			wantValidation := api.RequestValidators != nil
			if got := routeOf(sr, "/r001").validation != nil; got != wantValidation {
				t.Errorf("/r001 validation: got %v, want %v", got, wantValidation)
			}
			if routeOf(prev, "/r001").validation == nil {
				t.Error("the old table's /r001 lost its validation: a kept route was written in place")
			}
		})
	}
}

// TestSameMethodComparesEveryField changes each field of a method, its
// integration and their responses in turn, found by reflection so that a
// field added to the model is found too, and checks that sameMethod tells
// the change: a field it missed would keep a route compiled from the old
// value (reuse.go).
func TestSameMethodComparesEveryField(t *testing.T) {
	base := func() *model.Method {
		return deployAPI(0).Resources["res000"].Methods["GET"]
	}
	if !sameMethod(base(), base()) {
		t.Fatal("two copies of one method: got different, want the same")
	}
	// Each change is a path of fields from the method to a field to set.
	type target struct {
		name string
		get  func(m *model.Method) reflect.Value // the struct holding the fields
	}
	targets := []target{
		{"Method", func(m *model.Method) reflect.Value { return reflect.ValueOf(m).Elem() }},
		{"Integration", func(m *model.Method) reflect.Value { return reflect.ValueOf(m.Integration).Elem() }},
		{"MethodResponse", func(m *model.Method) reflect.Value { return reflect.ValueOf(m.MethodResponses["200"]).Elem() }},
		{"IntegrationResponse", func(m *model.Method) reflect.Value {
			return reflect.ValueOf(m.Integration.IntegrationResponses["200"]).Elem()
		}},
	}
	for _, tg := range targets {
		typ := tg.get(base()).Type()
		for i := range typ.NumField() {
			f := typ.Field(i)
			t.Run(tg.name+"."+f.Name, func(t *testing.T) {
				changed := base()
				if !setOther(tg.get(changed).Field(i)) {
					t.Fatalf("field of kind %s: the test cannot change it, teach setOther", f.Type)
				}
				if sameMethod(base(), changed) {
					t.Errorf("%s.%s changed: sameMethod got the same, want different", tg.name, f.Name)
				}
			})
		}
	}
}

// setOther gives v a value other than the one it has; false if it cannot.
func setOther(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String:
		v.SetString(v.String() + "-other")
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(v.Int() + 1)
	case reflect.Float64, reflect.Float32:
		v.SetFloat(v.Float() + 1)
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		} else {
			v.Set(reflect.Zero(v.Type()))
		}
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k := reflect.New(v.Type().Key()).Elem()
		if !setOther(k) {
			return false
		}
		e := reflect.New(v.Type().Elem()).Elem()
		if e.Kind() == reflect.Pointer {
			e.Set(reflect.New(e.Type().Elem()))
		} else if !setOther(e) {
			return false
		}
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), v.Len()+1, v.Len()+1)
		reflect.Copy(s, v)
		v.Set(s)
	default:
		return false
	}
	return true
}
