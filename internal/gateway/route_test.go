package gateway

import (
	"maps"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/model"
)

// treeAPI builds a deployment tree directly: path → methods.
func treeAPI(paths map[string][]string) *model.RestAPI {
	api := &model.RestAPI{ID: "a1b2c3d4e5", RootResourceID: "root", Resources: map[string]*model.Resource{}}
	byPath := map[string]string{"/": "root"}
	api.Resources["root"] = &model.Resource{ID: "root", Path: "/", Methods: map[string]*model.Method{}}
	// Create parents before children: sort by depth via repeated passes.
	want := len(paths)
	if _, ok := paths["/"]; !ok {
		want++
	}
	for len(byPath) < want {
		for p := range paths {
			if _, done := byPath[p]; done || p == "/" {
				continue
			}
			parentPath, part := "/", p[1:]
			if i := lastSlash(p); i > 0 {
				parentPath, part = p[:i], p[i+1:]
			}
			pid, ok := byPath[parentPath]
			if !ok {
				continue
			}
			id := "r" + p
			api.Resources[id] = &model.Resource{ID: id, ParentID: pid, PathPart: part, Path: p, Methods: map[string]*model.Method{}}
			byPath[p] = id
		}
	}
	for p, ms := range paths {
		r := api.Resources[byPath[p]]
		for _, m := range ms {
			r.Methods[m] = &model.Method{HTTPMethod: m, Integration: &model.Integration{Type: "MOCK"}}
		}
	}
	return api
}

func lastSlash(p string) int {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return i
		}
	}
	return -1
}

func TestMatchPrecedence(t *testing.T) {
	api := treeAPI(map[string][]string{
		"/":                 {"GET"},
		"/pets":             {"GET", "ANY"},
		"/pets/mine":        {"GET"},
		"/pets/{id}":        {"GET", "DELETE"},
		"/pets/{id}/toys":   {"ANY"},
		"/{proxy+}":         {"ANY"},
		"/files":            nil, // no methods: only a path to its children
		"/files/{path+}":    {"GET"},
		"/orders":           {"POST"},
		"/orders/{orderId}": nil,
	})
	root := buildTree(api, nil)
	tests := []struct {
		name, method, path string
		wantPath           string // "" = no match
		wantParams         map[string]string
	}{
		{"root", "GET", "/", "/", nil},
		{"root other method falls to nothing", "POST", "/", "", nil},
		{"literal", "GET", "/pets", "/pets", nil},
		{"trailing slash ignored", "GET", "/pets/", "/pets", nil},
		{"explicit method beats ANY", "GET", "/pets", "/pets", nil},
		{"ANY catches others", "PATCH", "/pets", "/pets", nil},
		{"literal beats param", "GET", "/pets/mine", "/pets/mine", nil},
		{"param", "GET", "/pets/7", "/pets/{id}", map[string]string{"id": "7"}},
		{"param then literal", "PUT", "/pets/7/toys", "/pets/{id}/toys", map[string]string{"id": "7"}},
		{"literal resource without method: no fallback", "POST", "/pets/mine", "", nil},
		{"deeper than tree falls back to greedy", "GET", "/pets/7/toys/3", "/{proxy+}", map[string]string{"proxy": "pets/7/toys/3"}},
		{"greedy one segment", "GET", "/anything", "/{proxy+}", map[string]string{"proxy": "anything"}},
		{"greedy many segments", "DELETE", "/a/b/c", "/{proxy+}", map[string]string{"proxy": "a/b/c"}},
		{"resource without methods yields to greedy", "GET", "/files", "/{proxy+}", map[string]string{"proxy": "files"}},
		{"nested greedy beats root greedy", "GET", "/files/x/y", "/files/{path+}", map[string]string{"path": "x/y"}},
		{"nested greedy wrong method", "POST", "/files/x/y", "", nil},
		{"param node without methods yields to greedy", "GET", "/orders/9", "/{proxy+}", map[string]string{"proxy": "orders/9"}},
		{"literal beats greedy", "POST", "/orders", "/orders", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, found := root.match(tt.path, nil)
			params := map[string]string{}
			for _, p := range found {
				params[p.name] = p.value
			}
			var rt *route
			if n != nil {
				rt = n.method(tt.method)
			}
			got := ""
			if rt != nil {
				got = rt.resourcePath
			}
			if got != tt.wantPath {
				t.Fatalf("match %s %s: got %q, want %q", tt.method, tt.path, got, tt.wantPath)
			}
			if tt.wantPath != "" && tt.wantParams != nil && !maps.Equal(params, tt.wantParams) {
				t.Errorf("params: got %v, want %v", params, tt.wantParams)
			}
		})
	}
}

func TestBasePathMapping(t *testing.T) {
	snap := model.EmptySnapshot()
	snap.DomainNames["api.example.test"] = &model.DomainName{Name: "api.example.test"}
	snap.DomainNames["nonone.example.test"] = &model.DomainName{Name: "nonone.example.test"}
	for _, m := range []*model.BasePathMapping{
		{DomainName: "api.example.test", BasePath: "", RestAPIID: "root", Stage: "prod"},
		{DomainName: "api.example.test", BasePath: "orders", RestAPIID: "orders", Stage: "test"},
		{DomainName: "api.example.test", BasePath: "orders/v1/items", RestAPIID: "items", Stage: "v1"},
		{DomainName: "api.example.test", BasePath: "pets", RestAPIID: "pets"}, // stage from the path
		{DomainName: "nonone.example.test", BasePath: "only", RestAPIID: "only", Stage: "s"},
	} {
		snap.BasePathMappings[model.MappingID(m.DomainName, m.BasePath)] = m
	}
	tbl, err := compile(model.DefaultEnv, snap)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, host, path   string
		wantAPI, wantStage string
		wantRest           string
		wantFail           *failure
	}{
		{"(none) mapping", "api.example.test", "/x/y", "root", "prod", "x/y", nil},
		{"(none) root", "api.example.test", "/", "root", "prod", "", nil},
		{"base path", "api.example.test", "/orders/5", "orders", "test", "5", nil},
		{"base path alone", "api.example.test", "/orders", "orders", "test", "", nil},
		{"whole segments only", "api.example.test", "/ordersx/5", "root", "prod", "ordersx/5", nil},
		{"longest wins", "api.example.test", "/orders/v1/items/123", "items", "v1", "123", nil},
		{"partial multi-level falls back", "api.example.test", "/orders/v1/other", "orders", "test", "v1/other", nil},
		{"stage from path", "api.example.test", "/pets/dev/a", "pets", "dev", "a", nil},
		{"stage missing", "api.example.test", "/pets", "", "", "", failForbidden},
		{"host case and port", "API.example.test:8443", "/orders", "orders", "test", "", nil},
		{"no mapping matches", "nonone.example.test", "/x", "", "", "", failMissingToken},
		{"ip host", "127.0.13.1:443", "/orders", "", "", "", failForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var res resolution
			api, stage, restPath, fail := tbl.findStage(routeInput{host: tt.host, path: tt.path}, &res)
			segs := splitPath(restPath)
			if fail != tt.wantFail {
				t.Fatalf("failure: got %+v, want %+v", fail, tt.wantFail)
			}
			rest := ""
			for i, s := range segs {
				if i > 0 {
					rest += "/"
				}
				rest += s
			}
			if api != tt.wantAPI || stage != tt.wantStage || rest != tt.wantRest {
				t.Errorf("got api %q stage %q rest %q, want %q %q %q", api, stage, rest, tt.wantAPI, tt.wantStage, tt.wantRest)
			}
		})
	}
}

func TestRender(t *testing.T) {
	vars := func(n string) (string, bool) {
		v, ok := map[string]string{"context.stage": "prod", "stageVariables.x": "1"}[n]
		return v, ok
	}
	tests := []struct {
		name, tmpl, want string
		wantErr          bool
	}{
		{"plain JSON", `{"statusCode": 200}`, `{"statusCode": 200}`, false},
		{"reference", `{"s":"$context.stage"}`, `{"s":"prod"}`, false},
		{"braced and quiet", `${stageVariables.x}-$!{nothing}-$!nothing`, `1--`, false},
		{"dollar without name", `cost: $5 and $`, `cost: $5 and $`, false},
		{"escaped", `\$context.stage`, `$context.stage`, false},
		{"reference ends at dot", `at $context.stage.`, `at prod.`, false},
		{"hash literal", `{"color":"#fff"}`, `{"color":"#fff"}`, false},
		{"directive", `#set($a = 1)`, "", true},
		{"comment", `## hi`, "", true},
		{"method call", `$input.json('$')`, "", true},
		{"unknown reference", `$context.nope`, "", true},
		{"unclosed brace", `${context.stage`, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseTemplate(tt.tmpl).render(vars)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err: got %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// fuzzTable is a compiled table with a bit of everything.
func fuzzTable(tb testing.TB) *table {
	snap := model.EmptySnapshot()
	api := treeAPI(map[string][]string{
		"/": {"GET"}, "/pets": {"ANY"}, "/pets/{id}": {"GET"}, "/{proxy+}": {"ANY"}, "/a": nil, "/a/{b+}": {"POST"},
	})
	api.EndpointConfiguration = model.EndpointConfiguration{Types: []string{"PRIVATE"}, VpcEndpointIDs: []string{"vpce-1"}}
	// Everything but PATCH is allowed (PATCH is denied implicitly); DELETE and
	// GET /admin are denied explicitly.
	api.Policy = `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":[
			"execute-api:/*/GET/*","execute-api:/*/HEAD/*","execute-api:/*/OPTIONS/*","execute-api:/*/POST/*",
			"execute-api:/*/PUT/*","execute-api:/*/DELETE/*"]},
		{"Effect":"Deny","Principal":"*","Action":"*","Resource":"execute-api:/prod/DELETE/*"},
		{"Effect":"Deny","Principal":"*","Action":"*","Resource":"execute-api:/prod/GET/admin"}]}`
	snap.RestAPIs[api.ID] = api
	snap.Deployments[api.ID] = map[string]*model.Deployment{"d1": {ID: "d1", RestAPIID: api.ID, API: *api}}
	snap.Stages[api.ID+"/prod"] = &model.Stage{RestAPIID: api.ID, StageName: "prod", DeploymentID: "d1"}
	snap.DomainNames["api.example.test"] = &model.DomainName{Name: "api.example.test"}
	snap.BasePathMappings["api.example.test/(none)"] = &model.BasePathMapping{DomainName: "api.example.test", RestAPIID: api.ID}
	snap.BasePathMappings["api.example.test/v1/x"] = &model.BasePathMapping{DomainName: "api.example.test", BasePath: "v1/x", RestAPIID: api.ID, Stage: "prod"}
	t, err := compile(model.DefaultEnv, snap)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

func TestResolveFixture(t *testing.T) {
	tbl := fuzzTable(t)
	const arn = "arn:aws:execute-api:us-west-2:000000000000:a1b2c3d4e5/prod/"
	tests := []struct {
		name     string
		in       routeInput
		wantFail *failure
		wantPath string
		wantDeny string // "explicit" or "implicit": AccessDeniedException for wantARN
		wantARN  string
	}{
		{"allowed", routeInput{host: "api.example.test", path: "/prod/pets/1", method: "GET", vpce: "vpce-1"}, nil, "/pets/{id}", "", ""},
		{"multi-level mapping", routeInput{host: "api.example.test", path: "/v1/x/pets", method: "PUT", vpce: "vpce-1"}, nil, "/pets", "", ""},
		{"denied verb", routeInput{host: "api.example.test", path: "/prod/pets", method: "DELETE", vpce: "vpce-1"}, nil, "", "explicit", arn + "DELETE/pets"},
		{"verb nothing allows", routeInput{host: "api.example.test", path: "/prod/pets", method: "PATCH", vpce: "vpce-1"}, nil, "", "implicit", arn + "PATCH/pets"},
		{"denied path", routeInput{host: "api.example.test", path: "/prod/admin", method: "GET", vpce: "vpce-1"}, nil, "", "explicit", arn + "GET/admin"},
		{"wrong endpoint", routeInput{host: "api.example.test", path: "/prod/", method: "GET", vpce: "vpce-2"}, failForbidden, "", "", ""},
		// The policy and the backend must see the same request.
		{"dot-dot segment", routeInput{host: "api.example.test", path: "/prod/x/../admin", method: "GET", vpce: "vpce-1"}, failMissingToken, "", "", ""},
		{"dot segment", routeInput{host: "api.example.test", path: "/prod/./admin", method: "GET", vpce: "vpce-1"}, failMissingToken, "", "", ""},
		{"trailing dot-dot", routeInput{host: "api.example.test", path: "/prod/admin/x/..", method: "GET", vpce: "vpce-1"}, failMissingToken, "", "", ""},
		{"dots in a name are fine", routeInput{host: "api.example.test", path: "/prod/a..b/.c", method: "GET", vpce: "vpce-1"}, nil, "/{proxy+}", "", ""},
		{"lowercase method", routeInput{host: "api.example.test", path: "/prod/pets", method: "delete", vpce: "vpce-1"}, failMissingToken, "", "", ""},
		{"unknown method", routeInput{host: "api.example.test", path: "/prod/pets", method: "FOO", vpce: "vpce-1"}, failMissingToken, "", "", ""},
		{"ANY is no method", routeInput{host: "api.example.test", path: "/prod/pets", method: "ANY", vpce: "vpce-1"}, failMissingToken, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := tbl.resolve(tt.in)
			if tt.wantDeny != "" {
				want := "User: anonymous is not authorized to perform: execute-api:Invoke on resource: " + tt.wantARN
				if tt.wantDeny == "explicit" {
					want += " with an explicit deny"
				}
				if res.fail == nil || res.fail.errorType != "AccessDeniedException" || res.fail.message != want {
					t.Fatalf("got %+v, want AccessDeniedException %q", res.fail, want)
				}
				return
			}
			if res.fail != tt.wantFail {
				t.Fatalf("failure: got %+v, want %+v (%s)", res.fail, tt.wantFail, res.logNote)
			}
			if res.route != nil && res.route.resourcePath != tt.wantPath {
				t.Errorf("resource: got %q, want %q", res.route.resourcePath, tt.wantPath)
			}
		})
	}
}

// The standard private-API policies (aws-behaviors §A7), written for one
// endpoint or one VPC: allowed through it, explicitly denied otherwise.
func TestResolveStandardPolicies(t *testing.T) {
	const (
		vpcePolicy = `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*"},
			{"Effect":"Deny","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*",
			 "Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}}]}`
		vpcPolicy = `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*"},
			{"Effect":"Deny","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*",
			 "Condition":{"StringNotEquals":{"aws:SourceVpc":"vpc-111"}}}]}`
		timePolicy = `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*",
			 "Condition":{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"},"NumericLessThan":{"aws:EpochTime":"1893456000"}}}]}`
	)
	tests := []struct {
		name, policy, vpce string
		now                time.Time
		want               string // "allow", "explicit" or "implicit"
	}{
		{"vpce: its endpoint", vpcePolicy, "vpce-1", time.Time{}, "allow"},
		{"vpce: same VPC, other endpoint", vpcePolicy, "vpce-2", time.Time{}, "explicit"},
		{"vpc: its endpoint", vpcPolicy, "vpce-1", time.Time{}, "allow"},
		{"vpc: other endpoint in the VPC", vpcPolicy, "vpce-2", time.Time{}, "allow"},
		{"vpc: endpoint in another VPC", vpcPolicy, "vpce-3", time.Time{}, "explicit"},
		{"time: inside the window", timePolicy, "vpce-1", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), "allow"},
		{"time: before it", timePolicy, "vpce-1", time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC), "implicit"},
		{"time: after it (epoch)", timePolicy, "vpce-1", time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC), "implicit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := model.EmptySnapshot()
			api := treeAPI(map[string][]string{"/": {"GET"}})
			api.EndpointConfiguration = model.EndpointConfiguration{Types: []string{"PRIVATE"}, VpcEndpointIDs: []string{"vpce-1", "vpce-2", "vpce-3"}}
			api.Policy = tt.policy
			snap.RestAPIs[api.ID] = api
			snap.Deployments[api.ID] = map[string]*model.Deployment{"d1": {ID: "d1", RestAPIID: api.ID, API: *api}}
			snap.Stages[api.ID+"/prod"] = &model.Stage{RestAPIID: api.ID, StageName: "prod", DeploymentID: "d1"}
			for id, vpc := range map[string]string{"vpce-1": "vpc-111", "vpce-2": "vpc-111", "vpce-3": "vpc-222"} {
				snap.VpcEndpoints[id] = &model.VpcEndpoint{ID: id, VpcID: vpc, ServiceName: model.ExecuteAPIService("us-west-2"), Type: "Interface"}
			}
			tbl, err := compile(model.DefaultEnv, snap)
			if err != nil {
				t.Fatal(err)
			}
			res := tbl.resolve(routeInput{host: api.ID + ".execute-api.us-west-2.amazonaws.com", path: "/prod/", method: "GET",
				vpce: tt.vpce, sourceIP: "127.0.13.9", now: tt.now})
			got := "allow"
			if res.fail != nil {
				got = "implicit"
				if strings.HasSuffix(res.fail.message, " with an explicit deny") {
					got = "explicit"
				}
				if res.fail.errorType != "AccessDeniedException" {
					got = res.fail.message
				}
			}
			if got != tt.want {
				t.Errorf("got %s (%s), want %s", got, res.logNote, tt.want)
			}
		})
	}
}

func FuzzResolve(f *testing.F) {
	tbl := fuzzTable(f)
	f.Add("api.example.test", "/prod/pets/1", "GET", "", "vpce-1")
	f.Add("a1b2c3d4e5.execute-api.us-west-2.amazonaws.com:443", "/prod/a/b/c/", "POST", "", "vpce-1")
	f.Add("a1b2c3d4e5-vpce-1.execute-api.us-west-2.amazonaws.com", "//prod//", "DELETE", "", "vpce-1")
	f.Add("127.0.13.1:443", "/", "GET", "a1b2c3d4e5", "vpce-1")
	f.Add("[::1]:443", "/v1/x/pets", "PUT", "", "")
	f.Add("api.example.test", "/prod/x/../admin", "GET", "", "vpce-1")
	f.Add("api.example.test", "/prod/pets", "delete", "", "vpce-1")
	f.Add("api.example.test", "/prod/pets", "FOO", "", "vpce-1")
	f.Fuzz(func(t *testing.T, host, path, method, apiID, vpce string) {
		res := tbl.resolve(routeInput{host: host, path: path, method: method, apiID: apiID, vpce: vpce, sourceIP: "127.0.0.1"})
		if res.fail == nil && res.route == nil {
			t.Fatalf("neither a route nor a failure for %q %q %q", host, path, method)
		}
		if res.fail != nil {
			return
		}
		// What the policy allowed is what the backend gets: a clean path and
		// one of the seven methods.
		rest, ok := strings.CutPrefix(res.arn, "arn:aws:execute-api:us-west-2:000000000000:a1b2c3d4e5/")
		if !ok {
			t.Fatalf("allowed %q %q %q: ARN %q names another API", host, path, method, res.arn)
		}
		parts := strings.Split(rest, "/")
		if len(parts) < 3 || !anyMethod(parts[1]) {
			t.Fatalf("allowed %q %q %q: ARN %q has no standard verb", host, path, method, res.arn)
		}
		for _, seg := range parts {
			if seg == "." || seg == ".." {
				t.Fatalf("allowed %q %q %q: ARN %q has a dot segment", host, path, method, res.arn)
			}
		}
	})
}

func FuzzRender(f *testing.F) {
	f.Add(`{"statusCode": 200}`)
	f.Add(`$context.stage ${a.b} $!{c} #if($x) #end \$y $input.json('$')`)
	f.Fuzz(func(t *testing.T, tmpl string) {
		_, _ = parseTemplate(tmpl).render(func(string) (string, bool) { return "v", true })
	})
}
