package gateway

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"gatehouse/internal/model"
)

// Issue 10 asks for routing at 10,000 resources without an allocation per
// match: 35 APIs of 292 resources each (literal, {param} and {proxy+} paths up
// to four levels deep), each with a stage and compiled the way the daemon
// compiles a snapshot.
const (
	benchAPIs   = 35
	benchGroups = 10 // top-level resources per API; each has 29 resources
)

// benchTable compiles the 35-API snapshot; api.example.test maps base path
// "v1" to the first API's prod stage.
func benchTable(tb testing.TB) *table {
	snap := model.EmptySnapshot()
	for a := range benchAPIs {
		paths := map[string][]string{"/": {"GET"}, "/{proxy+}": {"ANY"}}
		for g := range benchGroups {
			group := fmt.Sprintf("/g%d", g)
			paths[group] = []string{"ANY"}
			paths[group+"/{id}"] = []string{"GET", "DELETE"}
			for r := range 10 {
				paths[fmt.Sprintf("%s/{id}/r%d", group, r)] = []string{"GET"}
			}
			for r := range 5 {
				paths[fmt.Sprintf("%s/{id}/r%d/{sub}", group, r)] = []string{"GET", "PUT"}
			}
			paths[group+"/static"] = nil
			for l := range 9 {
				paths[fmt.Sprintf("%s/static/l%d", group, l)] = []string{"GET"}
			}
			paths[group+"/files"] = nil
			paths[group+"/files/{path+}"] = []string{"GET"}
		}
		api := treeAPI(paths)
		api.ID = benchAPIID(a)
		api.EndpointConfiguration = model.EndpointConfiguration{Types: []string{"PRIVATE"}, VpcEndpointIDs: []string{"vpce-1"}}
		// A private API serves nothing without a policy that allows it.
		api.Policy = `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*"}]}`
		snap.RestAPIs[api.ID] = api
		snap.Deployments[api.ID] = map[string]*model.Deployment{"d1": {ID: "d1", RestAPIID: api.ID, API: *api}}
		snap.Stages[api.ID+"/prod"] = &model.Stage{RestAPIID: api.ID, StageName: "prod", DeploymentID: "d1"}
	}
	snap.DomainNames["api.example.test"] = &model.DomainName{Name: "api.example.test"}
	snap.BasePathMappings["api.example.test/v1"] = &model.BasePathMapping{DomainName: "api.example.test", BasePath: "v1", RestAPIID: benchAPIID(0), Stage: "prod"}
	snap.BasePathMappings["api.example.test/(none)"] = &model.BasePathMapping{DomainName: "api.example.test", RestAPIID: benchAPIID(1)}
	t, err := compile(model.DefaultEnv, snap)
	if err != nil {
		tb.Fatal(err)
	}
	if got := benchResourceCount(t); got < 10_000 {
		tb.Fatalf("compiled %d resources, want at least 10,000", got)
	}
	return t
}

func benchAPIID(i int) string { return fmt.Sprintf("bench%05d", i) }

func benchResourceCount(t *table) int {
	var count func(n *node) int
	count = func(n *node) int {
		c := 1
		for _, l := range n.literal {
			c += count(l)
		}
		if n.param != nil {
			c += count(n.param)
		}
		if n.greedy != nil {
			c += count(n.greedy)
		}
		return c
	}
	total := 0
	for _, a := range t.apis {
		for _, s := range a.stages {
			total += count(s.root)
		}
	}
	return total
}

// benchRequests reach every kind of resource through every kind of host. The
// hosts are lowercase, as clients send them: a Host with capitals costs one
// allocation to lower (hostName).
var benchRequests = []struct {
	name     string
	in       routeInput
	wantPath string
	wantPrms map[string]string
}{
	{"literal", routeInput{host: benchAPIID(7) + ".execute-api.us-west-2.amazonaws.com", path: "/prod/g9/static/l5", method: "GET", vpce: "vpce-1"},
		"/g9/static/l5", nil},
	{"params four deep", routeInput{host: benchAPIID(20) + "-vpce-1.execute-api.us-west-2.amazonaws.com:443", path: "/prod/g3/42/r4/abc", method: "PUT", vpce: "vpce-1"},
		"/g3/{id}/r4/{sub}", map[string]string{"id": "42", "sub": "abc"}},
	{"nested greedy", routeInput{host: benchAPIID(34) + ".execute-api.us-west-2.amazonaws.com", path: "/prod/g1/files/a/b/c.txt", method: "GET", vpce: "vpce-1"},
		"/g1/files/{path+}", map[string]string{"path": "a/b/c.txt"}},
	{"root greedy after backtracking", routeInput{host: benchAPIID(0) + ".execute-api.us-west-2.amazonaws.com", path: "/prod/g2/7/r9/x/y", method: "POST", vpce: "vpce-1"},
		"/{proxy+}", map[string]string{"proxy": "g2/7/r9/x/y"}},
	{"x-apigw-api-id header", routeInput{host: "vpce-1-abc.execute-api.us-west-2.vpce.amazonaws.com", apiID: benchAPIID(12), path: "/prod/g5/1", method: "DELETE", vpce: "vpce-1"},
		"/g5/{id}", map[string]string{"id": "1"}},
	{"custom domain base path", routeInput{host: "api.example.test:443", path: "/v1/g0/8/r0", method: "GET", vpce: "vpce-1"},
		"/g0/{id}/r0", map[string]string{"id": "8"}},
	{"custom domain stage from path", routeInput{host: "api.example.test", path: "/prod/", method: "GET", vpce: "vpce-1"},
		"/", nil},
}

// benchMatch runs steps 1–3 of the request path, host → API → stage →
// resource → method, as resolve does, with the path parameters appended to
// paramBuf[:0] (resolve gives it a stack array; here the caller's buffer is
// reused so that returning the parameters costs nothing either).
func benchMatch(t *table, in routeInput, paramBuf []pathParam) (*route, []pathParam) {
	var res resolution
	params, ok := t.match(in, paramBuf[:0], &res)
	if !ok {
		return nil, nil
	}
	return res.route, params
}

func BenchmarkRouteMatch(b *testing.B) {
	tbl := benchTable(b)
	paramBuf := make([]pathParam, 0, 8)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		in := benchRequests[i%len(benchRequests)].in
		if rt, _ := benchMatch(tbl, in, paramBuf); rt == nil {
			b.Fatalf("%s %s: no match", in.method, in.path)
		}
	}
}

// TestRouteMatchAllocatesNothing holds issue 10's promise: with 10,000
// resources compiled, matching a request (every kind of host and resource)
// allocates nothing. An allocation count is not a timing, so it is asserted.
func TestRouteMatchAllocatesNothing(t *testing.T) {
	tbl := benchTable(t)
	for _, tt := range benchRequests {
		t.Run(tt.name, func(t *testing.T) {
			paramBuf := make([]pathParam, 0, 8)
			rt, params := benchMatch(tbl, tt.in, paramBuf)
			if rt == nil {
				t.Fatalf("%s %s: no match, want %s", tt.in.method, tt.in.path, tt.wantPath)
			}
			if rt.resourcePath != tt.wantPath {
				t.Errorf("resource: got %q, want %q", rt.resourcePath, tt.wantPath)
			}
			got := map[string]string{}
			for _, p := range params {
				got[p.name] = p.value
			}
			if !maps.Equal(got, tt.wantPrms) && len(got)+len(tt.wantPrms) > 0 {
				t.Errorf("params: got %v, want %v", got, tt.wantPrms)
			}
			// resolve must agree with the match it is built on.
			res := tbl.resolve(tt.in)
			if res.fail != nil || res.route != rt {
				t.Errorf("resolve: got route %v failure %+v (%s), want %s", res.route, res.fail, res.logNote, tt.wantPath)
			}
			if allocs := testing.AllocsPerRun(100, func() { benchMatch(tbl, tt.in, paramBuf) }); allocs != 0 {
				t.Errorf("allocations per match: got %v, want 0", allocs)
			}
		})
	}
}

// FuzzPathSegments holds the allocation-free path walk to splitPath's meaning:
// the segments nextSegment cuts and canonicalPath's "/"-joined form are those
// of splitPath, for any request path.
func FuzzPathSegments(f *testing.F) {
	for _, p := range []string{"", "/", "//", "/prod/pets/", "prod//a///b", "/a/b/c.txt", "/%2F/x/"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		want := splitPath(p)
		var got []string
		for rest := p; ; {
			var seg string
			if seg, rest = nextSegment(rest); seg == "" {
				if rest != "" {
					t.Fatalf("nextSegment(%q): got no segment but rest %q", p, rest)
				}
				break
			}
			got = append(got, seg)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("segments of %q: got %q, want %q", p, got, want)
		}
		if got, want := canonicalPath("/"+p), "/"+strings.Join(want, "/"); got != want {
			t.Fatalf("canonicalPath(%q): got %q, want %q", "/"+p, got, want)
		}
	})
}
