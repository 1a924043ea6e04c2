package gateway

import (
	"encoding/json"
	"fmt"
	"syscall"
	"testing"
	"time"

	"gatehouse/internal/model"
)

// Issue 11 asks that deploy → served stay flat as the store grows: with 35
// APIs of 290 MOCK resources deployed (10,000 resources), a new deployment of
// one API must cost that API, not every API. deployStore builds that store as
// the daemon's snapshots hold it: each API's deployment a header and its
// gzip parts, each API's prod stage naming it.
const (
	deployAPIs      = 35
	deployResources = 290
)

// deployAPI is an API of deployResources MOCK resources under the root, each
// with GET, a 200 method response and an integration response with a
// template, as test/e2e's memory test builds them.
func deployAPI(i int) *model.RestAPI {
	api := &model.RestAPI{ID: fmt.Sprintf("dep%07d", i), Name: fmt.Sprintf("memory-%02d", i), RootResourceID: "root",
		EndpointConfiguration: model.EndpointConfiguration{Types: []string{"REGIONAL"}},
		Resources:             map[string]*model.Resource{"root": {ID: "root", Path: "/", Methods: map[string]*model.Method{}}}}
	for n := range deployResources {
		id := fmt.Sprintf("res%03d", n)
		part := fmt.Sprintf("r%03d", n)
		api.Resources[id] = &model.Resource{ID: id, ParentID: "root", PathPart: part, Path: "/" + part, Methods: map[string]*model.Method{
			"GET": {HTTPMethod: "GET", AuthorizationType: "NONE",
				MethodResponses: map[string]*model.MethodResponse{"200": {StatusCode: "200"}},
				Integration: &model.Integration{Type: model.IntegrationMock, PassthroughBehavior: "WHEN_NO_MATCH", TimeoutInMillis: 29000,
					RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`},
					IntegrationResponses: map[string]*model.IntegrationResponse{"200": {StatusCode: "200",
						ResponseTemplates: map[string]string{"application/json": fmt.Sprintf(`{"resource": "%s"}`, part)}}}}},
		}}
	}
	return api
}

// deploymentChanges are the store changes of deploying api as depID: its
// parts and header (one Txn), then its stage pointing at it (another).
func deploymentChanges(tb testing.TB, api *model.RestAPI, depID string) (deployment, stage []model.Change) {
	created := deployCreated
	parts, hash, err := packParts(api, created)
	if err != nil {
		tb.Fatal(err)
	}
	for n, p := range parts {
		deployment = append(deployment, model.Change{Key: model.Key(model.KindDeploymentPart, model.DeploymentPartID(api.ID, depID, n)), Value: p})
	}
	dep := model.Deployment{ID: depID, RestAPIID: api.ID, CreatedDate: created, Parts: len(parts), Hash: hash}
	deployment = append(deployment, model.Change{Key: model.Key(model.KindDeployment, api.ID+"/"+depID), Value: mustJSON(tb, dep)})
	st := model.Stage{RestAPIID: api.ID, StageName: "prod", DeploymentID: depID, CreatedDate: created, LastUpdatedDate: created}
	stage = []model.Change{{Key: model.Key(model.KindStage, api.ID+"/prod"), Value: mustJSON(tb, st)}}
	return deployment, stage
}

// deployCreated dates every deployment the benchmarks make.
var deployCreated = time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)

func mustJSON(tb testing.TB, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// deployStore returns the snapshot of deployAPIs deployed APIs, with the
// APIs themselves (their records) and a compiler that has compiled it.
func deployStore(tb testing.TB) (*model.Snapshot, []*model.RestAPI, *compiler) {
	snap := model.EmptySnapshot()
	apis := make([]*model.RestAPI, deployAPIs)
	rev := int64(0)
	for i := range apis {
		apis[i] = deployAPI(i)
		rec := *apis[i]
		rec.Resources = nil
		rev++
		next, err := snap.With(rev, []model.Change{{Key: model.Key(model.KindRestAPI, rec.ID), Value: mustJSON(tb, rec)}})
		if err != nil {
			tb.Fatal(err)
		}
		dep, st := deploymentChanges(tb, apis[i], "first0")
		rev++
		if next, err = next.With(rev, append(dep, st...)); err != nil {
			tb.Fatal(err)
		}
		snap = next
	}
	c := &compiler{env: model.DefaultEnv}
	if _, err := c.compile(snap); err != nil {
		tb.Fatal(err)
	}
	return snap, apis, c
}

// BenchmarkDeployOneOfMany times what a create-deployment costs the gateway
// once the store has it: the snapshot takes the deployment's header and
// parts (one revision), the gateway compiles; the snapshot takes the stage
// now naming it (the next revision), the gateway compiles again. 35 APIs of
// 290 resources are deployed; one of them is deployed again and again.
// "other node" decodes the deployment from its parts; "this node" is the
// node whose CreateDeployment froze it (fresh.go).
func BenchmarkDeployOneOfMany(b *testing.B) {
	for _, bc := range []struct {
		name     string
		thisNode bool
	}{{"other node", false}, {"this node", true}} {
		b.Run(bc.name, func(b *testing.B) {
			snap, apis, c := deployStore(b)
			c.fresh = &freshDeployments{}
			ids := []string{"second", "third0"}
			changes := make([][2][]model.Change, len(ids))
			hashes := make([]string, len(ids))
			// Each deployment hands over an API of its own, as
			// CreateDeployment does: one decoded from its parts.
			handed := make([]*model.RestAPI, len(ids))
			for i, id := range ids {
				changes[i][0], changes[i][1] = deploymentChanges(b, apis[7], id)
				parts, hash, err := packParts(apis[7], deployCreated)
				if err != nil {
					b.Fatal(err)
				}
				hashes[i] = hash
				byID := map[string][]byte{}
				for n, p := range parts {
					byID[fmt.Sprintf("%s/%d", id, n)] = p
				}
				if handed[i], err = unpackParts(&model.Deployment{ID: id, Parts: len(parts), Hash: hash}, byID); err != nil {
					b.Fatal(err)
				}
			}
			rev := snap.Rev
			b.ReportAllocs()
			b.ResetTimer()
			// The process's CPU time per deployment as well: the machine
			// these run on is shared, and wall time counts the waits.
			cpu := processCPU()
			defer func() { b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op") }()
			for i := 0; b.Loop(); i++ {
				if bc.thisNode {
					c.fresh.put(hashes[i%len(ids)], handed[i%len(ids)])
				}
				for _, batch := range changes[i%len(changes)] {
					rev++
					next, err := snap.With(rev, batch)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := c.compile(next); err != nil {
						b.Fatal(err)
					}
					snap = next
				}
			}
		})
	}
}

// processCPU is the CPU time (user and system) this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
