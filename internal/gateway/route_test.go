package gateway

import (
	"maps"
	"testing"

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
	root := buildTree(api)
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
			params := map[string]string{}
			n := root.match(splitPath(tt.path), params)
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
	tbl := &table{env: model.DefaultEnv, domains: map[string]*domainRoute{}, apis: map[string]*apiRoute{}}
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
	compiled, err := compile(model.DefaultEnv, snap)
	if err != nil {
		t.Fatal(err)
	}
	tbl.domains = compiled.domains
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
			api, stage, segs, fail := tbl.findStage(routeInput{host: tt.host, path: tt.path}, &res)
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
			got, err := render(tt.tmpl, vars)
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
	api.Policy = `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*"},
		{"Effect":"Deny","Principal":"*","Action":"*","Resource":"execute-api:/prod/DELETE/*"}]}`
	snap.RestAPIs[api.ID] = api
	snap.Deployments[api.ID+"/d1"] = &model.Deployment{ID: "d1", RestAPIID: api.ID, API: *api}
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
	tests := []struct {
		name     string
		in       routeInput
		wantFail *failure
		wantPath string
	}{
		{"allowed", routeInput{host: "api.example.test", path: "/prod/pets/1", method: "GET", vpce: "vpce-1"}, nil, "/pets/{id}"},
		{"multi-level mapping", routeInput{host: "api.example.test", path: "/v1/x/pets", method: "PUT", vpce: "vpce-1"}, nil, "/pets"},
		{"denied verb", routeInput{host: "api.example.test", path: "/prod/pets", method: "DELETE", vpce: "vpce-1"}, nil, ""},
		{"wrong endpoint", routeInput{host: "api.example.test", path: "/prod/", method: "GET", vpce: "vpce-2"}, failForbidden, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := tbl.resolve(tt.in)
			if tt.wantPath == "" && tt.wantFail == nil {
				if res.fail == nil || res.fail.errorType != "AccessDeniedException" {
					t.Fatalf("got %+v, want AccessDeniedException", res.fail)
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

func FuzzResolve(f *testing.F) {
	tbl := fuzzTable(f)
	f.Add("api.example.test", "/prod/pets/1", "GET", "", "vpce-1")
	f.Add("a1b2c3d4e5.execute-api.us-west-2.amazonaws.com:443", "/prod/a/b/c/", "POST", "", "vpce-1")
	f.Add("a1b2c3d4e5-vpce-1.execute-api.us-west-2.amazonaws.com", "//prod//", "DELETE", "", "vpce-1")
	f.Add("127.0.13.1:443", "/", "GET", "a1b2c3d4e5", "vpce-1")
	f.Add("[::1]:443", "/v1/x/pets", "PUT", "", "")
	f.Fuzz(func(t *testing.T, host, path, method, apiID, vpce string) {
		res := tbl.resolve(routeInput{host: host, path: path, method: method, apiID: apiID, vpce: vpce, sourceIP: "127.0.0.1"})
		if res.fail == nil && res.route == nil {
			t.Fatalf("neither a route nor a failure for %q %q %q", host, path, method)
		}
	})
}

func FuzzRender(f *testing.F) {
	f.Add(`{"statusCode": 200}`)
	f.Add(`$context.stage ${a.b} $!{c} #if($x) #end \$y $input.json('$')`)
	f.Fuzz(func(t *testing.T, tmpl string) {
		_, _ = render(tmpl, func(string) (string, bool) { return "v", true })
	})
}
