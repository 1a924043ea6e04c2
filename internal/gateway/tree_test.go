package gateway

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/internal/live"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
	"gatehouse/internal/testutil"
)

// writeMeter is a store that counts the bytes of the values written to it.
type writeMeter struct {
	store.Store
	mu      sync.Mutex
	written int
	largest int
}

func (w *writeMeter) Put(ctx context.Context, key string, value []byte, expect int64) (int64, error) {
	w.count(value)
	return w.Store.Put(ctx, key, value, expect)
}

func (w *writeMeter) Txn(ctx context.Context, conds []store.Cond, ops []store.Op) (int64, error) {
	for _, op := range ops {
		w.count(op.Value)
	}
	return w.Store.Txn(ctx, conds, ops)
}

func (w *writeMeter) count(v []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.written += len(v)
	w.largest = max(w.largest, len(v))
}

// measure returns the bytes that f wrote and the largest value among them.
func (w *writeMeter) measure(f func()) (written, largest int) {
	w.mu.Lock()
	w.written, w.largest = 0, 0
	w.mu.Unlock()
	f()
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.written, w.largest
}

// mockResource adds a resource under parent with a MOCK GET answering 200,
// as the load builds them.
func mockResource(t *testing.T, ctx context.Context, s *Service, api, parent, part string) *model.Resource {
	t.Helper()
	r := testutil.Must[*model.Resource](t)(s.CreateResource(ctx, api, parent, part))
	testutil.Must[*model.Method](t)(s.PutMethod(ctx, api, r.ID, "GET", PutMethodInput{}))
	testutil.Must[*model.Integration](t)(s.PutIntegration(ctx, api, r.ID, "GET", model.Integration{
		Type: "MOCK", RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}}))
	testutil.Must[*model.MethodResponse](t)(s.PutMethodResponse(ctx, api, r.ID, "GET", "200", model.MethodResponse{}))
	testutil.Must[*model.IntegrationResponse](t)(s.PutIntegrationResponse(ctx, api, r.ID, "GET", "200", model.IntegrationResponse{}))
	return r
}

// TestEditWritesItsOwnSize builds an API of 290 MOCK resources and checks
// that each edit of it writes about as much as an edit of an empty API: a
// record of its own size, not the API's.
func TestEditWritesItsOwnSize(t *testing.T) {
	ctx := context.Background()
	mem := store.NewMem()
	t.Cleanup(func() { _ = mem.Close() })
	meter := &writeMeter{Store: mem}
	s := New(Deps{Store: meter})

	edits := []struct {
		name string
		do   func(api, root, part string)
	}{
		{"create-resource", func(api, root, part string) {
			testutil.Must[*model.Resource](t)(s.CreateResource(ctx, api, root, part))
		}},
		{"put-method", func(api, root, _ string) {
			testutil.Must[*model.Method](t)(s.PutMethod(ctx, api, root, "POST", PutMethodInput{}))
		}},
		{"put-integration", func(api, root, _ string) {
			testutil.Must[*model.Integration](t)(s.PutIntegration(ctx, api, root, "POST", model.Integration{
				Type: "MOCK", RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}}))
		}},
		{"put-method-response", func(api, root, _ string) {
			testutil.Must[*model.MethodResponse](t)(s.PutMethodResponse(ctx, api, root, "POST", "200", model.MethodResponse{}))
		}},
		{"put-integration-response", func(api, root, _ string) {
			testutil.Must[*model.IntegrationResponse](t)(s.PutIntegrationResponse(ctx, api, root, "POST", "200", model.IntegrationResponse{}))
		}},
	}
	// One API with nothing in it, one with 290 resources: the edits must
	// write the same bytes to both.
	var apis [2]*model.RestAPI
	for i, size := range []int{0, 290} {
		apis[i] = testutil.Must[*model.RestAPI](t)(s.CreateRestAPI(ctx, CreateRestAPIInput{Name: fmt.Sprintf("size%d", size)}))
		for n := range size {
			mockResource(t, ctx, s, apis[i].ID, apis[i].RootResourceID, fmt.Sprintf("r%03d", n))
		}
	}
	for _, e := range edits {
		t.Run(e.name, func(t *testing.T) {
			var got [2]int
			for i, api := range apis {
				got[i], _ = meter.measure(func() { e.do(api.ID, api.RootResourceID, "new") })
			}
			t.Logf("%s writes %d bytes (%d in the API of 290 resources)", e.name, got[0], got[1])
			if got[1] != got[0] {
				t.Errorf("bytes written in an API of 290 resources: got %d, want %d, as in an empty API", got[1], got[0])
			}
			if got[1] > 1024 {
				t.Errorf("bytes written: got %d, want at most 1024", got[1])
			}
		})
	}
}

// randomTemplate is a mapping template that gzip cannot shrink much.
func randomTemplate(t *testing.T, n int) string {
	b := make([]byte, n*3/4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return `{"statusCode": 200, "pad": "` + base64.StdEncoding.EncodeToString(b)[:n-40] + `"}`
}

// TestDeploymentInParts deploys an API whose frozen copy is larger than one
// record and one Txn may be: it is stored in parts, served whole, frozen
// (a later edit does not change it) and deleted with its deployment.
func TestDeploymentInParts(t *testing.T) {
	h := newHarness(t)
	ep := h.endpoint("127.0.13.21:0", "vpce-test")
	s, ctx := h.svc, h.ctx
	api := testutil.Must[*model.RestAPI](t)(s.CreateRestAPI(ctx, CreateRestAPIInput{Name: "big",
		EndpointConfiguration: &model.EndpointConfiguration{Types: []string{"PRIVATE"}, VpcEndpointIDs: []string{"vpce-test"}},
		Policy:                openPolicy}))
	// Random templates of maxTemplateBytes compress to about 3/4: enough of
	// them to exceed what one Txn may write.
	n := store.MaxValueBytes/(maxTemplateBytes*3/4) + 2
	var first *model.Resource
	for i := range n {
		r := testutil.Must[*model.Resource](t)(s.CreateResource(ctx, api.ID, api.RootResourceID, fmt.Sprintf("r%d", i)))
		if first == nil {
			first = r
		}
		testutil.Must[*model.Method](t)(s.PutMethod(ctx, api.ID, r.ID, "GET", PutMethodInput{}))
		testutil.Must[*model.Integration](t)(s.PutIntegration(ctx, api.ID, r.ID, "GET", model.Integration{Type: "MOCK",
			RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`, "text/plain": randomTemplate(t, maxTemplateBytes)}}))
		testutil.Must[*model.MethodResponse](t)(s.PutMethodResponse(ctx, api.ID, r.ID, "GET", "200", model.MethodResponse{}))
		testutil.Must[*model.IntegrationResponse](t)(s.PutIntegrationResponse(ctx, api.ID, r.ID, "GET", "200",
			model.IntegrationResponse{ResponseTemplates: map[string]string{"application/json": `{"v": 1}`}}))
	}
	dep := testutil.Must[*model.Deployment](t)(s.CreateDeployment(ctx, api.ID, CreateDeploymentInput{StageName: "prod"}))
	if dep.Parts < 2 {
		t.Fatalf("parts: got %d, want at least 2", dep.Parts)
	}
	kvs, _, err := h.st.List(ctx, under(model.KindDeploymentPart, api.ID, dep.ID))
	if err != nil {
		t.Fatal(err)
	}
	if len(kvs) != dep.Parts {
		t.Errorf("stored parts: got %d, want %d", len(kvs), dep.Parts)
	}
	for _, kv := range kvs {
		if len(kv.Value) > partBytes {
			t.Errorf("%s: got %d bytes, want at most %d", kv.Key, len(kv.Value), partBytes)
		}
	}
	// A later edit changes the API, not the deployment.
	testutil.Must[*model.IntegrationResponse](t)(s.PutIntegrationResponse(ctx, api.ID, first.ID, "GET", "200",
		model.IntegrationResponse{ResponseTemplates: map[string]string{"application/json": `{"v": 2}`}}))
	h.sync()
	url := "https://" + api.ID + ".execute-api.us-west-2.amazonaws.com/prod/r0"
	checkResult(t, h.do(ep, "GET", url, "", nil, ""), 200, `{"v": 1}`, "")
	frozen := testutil.Must[*model.RestAPI](t)(DeployedAPI(ctx, h.st, api.ID, dep.ID))
	if got := len(frozen.Resources); got != n+1 {
		t.Errorf("frozen resources: got %d, want %d", got, n+1)
	}

	testutil.Must[*model.Deployment](t)(s.CreateDeployment(ctx, api.ID, CreateDeploymentInput{StageName: "prod"}))
	h.sync()
	checkResult(t, h.do(ep, "GET", url, "", nil, ""), 200, `{"v": 2}`, "")
	mustDo(t, "DeleteDeployment", s.DeleteDeployment(ctx, api.ID, dep.ID))
	if kvs, _, err := h.st.List(ctx, under(model.KindDeploymentPart, api.ID, dep.ID)); err != nil || len(kvs) != 0 {
		t.Errorf("parts after DeleteDeployment: got %d (%v), want none", len(kvs), err)
	}
}

// TestPartsWithoutHeader: parts whose header never came (a node stopped
// between them) serve nothing, and the running gateway's sweep takes them
// once they are old, not while an attempt may still be under way.
func TestPartsWithoutHeader(t *testing.T) {
	h := newHarness(t, func(d *Deps) { d.OrphanSweepInterval = 20 * time.Millisecond })
	s, ctx := h.svc, h.ctx
	api := h.walkthroughAPI()
	tree := testutil.Must[*model.RestAPI](t)(RestAPITree(ctx, h.st, api))
	orphans := []struct {
		name    string
		written time.Time
		kept    bool
	}{
		{"recent: an attempt may be under way", time.Now(), true},
		{"old: the attempt is over", time.Now().Add(-2 * orphanAge), false},
	}
	keys := make([]string, len(orphans))
	for i, o := range orphans {
		parts, _, err := packParts(tree, o.written)
		if err != nil {
			t.Fatal(err)
		}
		keys[i] = model.Key(model.KindDeploymentPart, model.DeploymentPartID(api, fmt.Sprintf("orphan%d", i), 0))
		if _, err := h.st.Put(ctx, keys[i], parts[0], store.Any); err != nil {
			t.Fatal(err)
		}
	}
	testutil.Must[*model.Deployment](t)(s.CreateDeployment(ctx, api, CreateDeploymentInput{}))
	// The sweep that takes the old orphan has looked at the recent one too.
	testutil.Eventually(t, "the old orphan swept", func() (bool, string) {
		_, err := h.st.Get(ctx, keys[1])
		return errors.Is(err, store.ErrNotFound), fmt.Sprintf("get: %v", err)
	})
	for i, o := range orphans {
		_, err := h.st.Get(ctx, keys[i])
		if got := err == nil; got != o.kept {
			t.Errorf("%s: orphan part kept: got %v, want %v", o.name, got, o.kept)
		}
	}
	h.sync() // compiles with the recent orphan in the snapshot
	if got := h.svc.table.Load().apis[api].stages["prod"]; got == nil {
		t.Errorf("stage prod: got not served, want served")
	}
}

// TestOldShapeRecords loads what gatehouse wrote before the tree was split (a
// RestAPI record with its tree inside, a Deployment with its frozen copy
// inside): the deployment serves, the API reads whole, and the first
// operation on the API migrates it into records of their own.
func TestOldShapeRecords(t *testing.T) {
	h := newHarness(t)
	ep := h.endpoint("127.0.13.22:0", "vpce-test")
	s, ctx := h.svc, h.ctx
	const apiID, rootID, petsID = "old0000api", "root000000", "pets00"
	getPets := &model.Method{HTTPMethod: "GET", AuthorizationType: "NONE",
		Integration: &model.Integration{Type: "MOCK", PassthroughBehavior: "WHEN_NO_MATCH", TimeoutInMillis: 29000,
			RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`},
			IntegrationResponses: map[string]*model.IntegrationResponse{"200": {StatusCode: "200",
				ResponseTemplates: map[string]string{"application/json": `{"pets": "old"}`}}}},
		MethodResponses: map[string]*model.MethodResponse{"200": {StatusCode: "200"}}}
	old := &model.RestAPI{ID: apiID, Name: "old", CreatedDate: time.Now().UTC().Truncate(time.Second),
		EndpointConfiguration: model.EndpointConfiguration{Types: []string{"PRIVATE"}, VpcEndpointIDs: []string{"vpce-test"}},
		Policy:                openPolicy, APIKeySource: "HEADER", RootResourceID: rootID,
		Resources: map[string]*model.Resource{
			rootID: {ID: rootID, Path: "/"},
			petsID: {ID: petsID, ParentID: rootID, PathPart: "pets", Path: "/pets", Methods: map[string]*model.Method{"GET": getPets}},
		},
		GatewayResponses: map[string]*model.GatewayResponse{"MISSING_AUTHENTICATION_TOKEN": {
			ResponseType: "MISSING_AUTHENTICATION_TOKEN", StatusCode: "404"}},
	}
	for key, v := range map[string]any{
		apiKey(apiID): old,
		model.Key(model.KindDeployment, apiID+"/olddep"): &model.Deployment{ID: "olddep", RestAPIID: apiID, API: *old},
		model.Key(model.KindStage, apiID+"/prod"):        &model.Stage{RestAPIID: apiID, StageName: "prod", DeploymentID: "olddep"},
	} {
		if _, err := store.Save(ctx, h.st, key, v, 0); err != nil {
			t.Fatal(err)
		}
	}
	h.sync()
	url := "https://" + apiID + ".execute-api.us-west-2.amazonaws.com/prod/pets"
	checkResult(t, h.do(ep, "GET", url, "", nil, ""), 200, `{"pets": "old"}`, "")
	checkResult(t, h.do(ep, "GET", url+"/none", "", nil, ""), 404, `{"message":"Missing Authentication Token"}`, "MissingAuthenticationTokenException")

	// The first operation migrates the API.
	resources := testutil.Must[[]*model.Resource](t)(s.GetResources(ctx, apiID))
	if len(resources) != 2 || resources[1].Path != "/pets" || resources[1].Methods["GET"].Integration.IntegrationResponses["200"] == nil {
		t.Fatalf("GetResources: got %+v, want / and /pets with its MOCK GET", resources)
	}
	stored, _, err := store.Load[model.RestAPI](ctx, h.st, apiKey(apiID))
	if err != nil {
		t.Fatal(err)
	}
	if stored.Resources != nil || stored.GatewayResponses != nil {
		t.Errorf("API record after migration: got the tree inside, want only the API's own fields")
	}
	for _, key := range []string{resourceKey(apiID, petsID), methodKey(apiID, petsID, "GET"), integKey(apiID, petsID, "GET"),
		integResponseKey(apiID, petsID, "GET", "200"), methodResponseKey(apiID, petsID, "GET", "200"),
		gatewayResponseKey(apiID, "MISSING_AUTHENTICATION_TOKEN"), pathPartKey(apiID, rootID, "pets")} {
		if _, err := h.st.Get(ctx, key); err != nil {
			t.Errorf("%s after migration: got %v, want it stored", key, err)
		}
	}
	// Edits and deployments work on the migrated API; the old deployment
	// still serves until the stage moves.
	testutil.Must[*model.IntegrationResponse](t)(s.PutIntegrationResponse(ctx, apiID, petsID, "GET", "200",
		model.IntegrationResponse{ResponseTemplates: map[string]string{"application/json": `{"pets": "new"}`}}))
	h.sync()
	checkResult(t, h.do(ep, "GET", url, "", nil, ""), 200, `{"pets": "old"}`, "")
	testutil.Must[*model.Deployment](t)(s.CreateDeployment(ctx, apiID, CreateDeploymentInput{StageName: "prod"}))
	h.sync()
	checkResult(t, h.do(ep, "GET", url, "", nil, ""), 200, `{"pets": "new"}`, "")
	if got := testutil.Must[*GatewayResponse](t)(s.GetGatewayResponse(ctx, apiID, "MISSING_AUTHENTICATION_TOKEN")); got.Default || got.StatusCode != "404" {
		t.Errorf("gateway response after migration: got %+v, want the API's own 404", got)
	}
	mustDo(t, "DeleteRestAPI", s.DeleteRestAPI(ctx, apiID))
	kvs, _, err := h.st.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range kvs {
		if strings.Contains(kv.Key, apiID) {
			t.Errorf("after DeleteRestAPI: got %s stored, want nothing of the API", kv.Key)
		}
	}
}

// FuzzUnpackParts feeds arbitrary parts to the decoder of a deployment's
// frozen copy: it may refuse them, never panic.
func FuzzUnpackParts(f *testing.F) {
	api := &model.RestAPI{ID: "a", RootResourceID: "r", Resources: map[string]*model.Resource{"r": {ID: "r", Path: "/"}}}
	parts, _, err := packParts(api, time.Unix(0, 0))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(parts[0], true)
	f.Add([]byte("\x1f\x8b\x08\x00garbage"), false)
	f.Fuzz(func(t *testing.T, part []byte, hashed bool) {
		dep := &model.Deployment{ID: "d", Parts: 1}
		if hashed {
			dep.Hash = hashOf(part)
		}
		_, _ = unpackParts(dep, map[string][]byte{"d/0": part})
		_, _ = partTime(part)
	})
}

// TestCompileKeepsUnchangedStages: a change to a record that no stage serves
// (an edit of an API's tree: deployments are frozen) keeps every compiled
// stage; a change to the stage recompiles it.
func TestCompileKeepsUnchangedStages(t *testing.T) {
	h := newHarness(t)
	api := h.walkthroughAPI()
	snap, err := live.Load(h.ctx, h.st)
	if err != nil {
		t.Fatal(err)
	}
	c := &compiler{env: model.DefaultEnv}
	first := testutil.Must[*table](t)(c.compile(snap))
	stage := first.apis[api].stages["prod"]
	if stage == nil {
		t.Fatal("stage prod: got not compiled, want compiled")
	}
	tests := []struct {
		name   string
		change model.Change
		kept   bool
	}{
		{"a resource of the API created", model.Change{Key: resourceKey(api, "new000"), Value: []byte(`{"ID":"new000","ParentID":"x","PathPart":"new","Path":"/new"}`)}, true},
		{"another API's method", model.Change{Key: methodKey("other00000", "r00000", "GET"), Value: []byte(`{"HTTPMethod":"GET"}`)}, true},
		{"the stage's variables", model.Change{Key: model.Key(model.KindStage, api+"/prod"),
			Value: []byte(`{"RestAPIID":"` + api + `","StageName":"prod","DeploymentID":"` + stage.deploymentID + `","Variables":{"v":"1"}}`)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next, err := snap.With(snap.Rev+1, []model.Change{tt.change})
			if err != nil {
				t.Fatal(err)
			}
			got := testutil.Must[*table](t)(c.compile(next)).apis[api].stages["prod"]
			if (got == stage) != tt.kept {
				t.Errorf("stage prod kept: got %v, want %v", got == stage, tt.kept)
			}
			c.compile(snap) // back to the first snapshot for the next case
		})
	}
}

// TestDeleteResourceBeyondOneTxn deletes a subtree of more resources than one
// Txn takes: it goes deepest first, in steps, and nothing of it is left.
func TestDeleteResourceBeyondOneTxn(t *testing.T) {
	ctx := context.Background()
	s, _, st := twoNodes(t)
	api := mockAPI(t, ctx, s)
	root := testutil.Must[*model.RestAPI](t)(s.GetRestAPI(ctx, api)).RootResourceID
	top := mockResource(t, ctx, s, api, root, "top")
	parent := top
	for i := range 2 * store.MaxTxnOps / resourceOps {
		child := mockResource(t, ctx, s, api, parent.ID, fmt.Sprintf("c%d", i))
		if i%2 == 0 {
			parent = child // a deep tree with siblings
		}
	}
	mustDo(t, "DeleteResource", s.DeleteResource(ctx, api, top.ID))
	got := testutil.Must[[]*model.Resource](t)(s.GetResources(ctx, api))
	if len(got) != 1 || got[0].ID != root {
		t.Errorf("resources after deleting /top: got %d, want only the root", len(got))
	}
	for _, k := range []model.Kind{model.KindMethod, model.KindIntegration, model.KindMethodResponse, model.KindIntegrationResponse, model.KindPathPart} {
		kvs, _, err := st.List(ctx, under(k, api))
		if err != nil {
			t.Fatal(err)
		}
		// The root's GET (mockAPI) stays: a method and an integration.
		want := map[model.Kind]int{model.KindMethod: 1, model.KindIntegration: 1}[k]
		if len(kvs) != want {
			t.Errorf("%s records after deleting /top: got %d, want %d", k, len(kvs), want)
		}
	}
}
