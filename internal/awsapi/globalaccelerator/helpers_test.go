package globalaccelerator_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/globalaccelerator"

	"gatehouse/internal/accelerator"
	"gatehouse/internal/awsapi/awsapitest"
	ga "gatehouse/internal/awsapi/globalaccelerator"
	"gatehouse/internal/live"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// Static IP pools of this package's tests: loopback addresses no other
// package's tests use.
var testPools = []netip.Prefix{
	netip.MustParsePrefix("127.0.47.0/26"),
	netip.MustParsePrefix("127.0.47.64/26"),
}

type fixture struct {
	t      testing.TB
	ctx    context.Context
	st     store.Store
	url    string
	client *globalaccelerator.Client
}

// newFixture serves the Global Accelerator API on loopback over a mem store.
// With run, the accelerator's data plane runs too, so accelerators reach
// DEPLOYED and endpoints report the load balancers' health.
func newFixture(t testing.TB, run bool) *fixture {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	st := store.NewMem()
	log := slog.New(slog.DiscardHandler)
	d := accelerator.Deps{Store: st, Log: log, Pools: testPools}
	var wg sync.WaitGroup
	if run {
		snap, err := live.Load(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		d.Feed = live.NewFeed(snap)
		wg.Go(func() { live.Watch(ctx, st, d.Feed, log) })
	}
	svc := accelerator.New(d)
	if run {
		wg.Go(func() {
			if err := svc.Run(ctx); err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	url, cfg := awsapitest.Start(t, ga.New(svc))
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		st.Close()
	})
	return &fixture{t: t, ctx: ctx, st: st, url: url, client: globalaccelerator.NewFromConfig(cfg)}
}

func lbARN(name string) string {
	return "arn:aws:elasticloadbalancing:us-west-2:000000000000:loadbalancer/app/" + name + "/0123456789abcdef"
}

// putLB stores an application load balancer whose one listener forwards to a
// target group with one healthy target, as the balancer would, and returns
// its ARN.
func (f *fixture) putLB(name string) string {
	f.t.Helper()
	lb := &model.LoadBalancer{ARN: lbARN(name), Name: name, Type: "application", Scheme: "internet-facing", State: "active"}
	tg := "arn:aws:elasticloadbalancing:us-west-2:000000000000:targetgroup/" + name + "/0123456789abcdef"
	l := &model.Listener{
		ARN:             "arn:aws:elasticloadbalancing:us-west-2:000000000000:listener/app/" + name + "/0123456789abcdef/0123456789abcdef",
		LoadBalancerARN: lb.ARN, Protocol: "HTTPS", Port: 443,
		DefaultActions: []model.Action{{Type: "forward", TargetGroupARN: tg}},
	}
	health := &model.TargetHealth{TargetGroupARN: tg, Targets: []model.TargetState{{ID: "127.0.47.200", Port: 443, State: model.TargetHealthy}}}
	for key, v := range map[string]any{
		model.Key(model.KindLoadBalancer, lb.ARN): lb,
		model.Key(model.KindListener, l.ARN):      l,
		model.Key(model.KindTargetHealth, tg):     health,
	} {
		if _, err := store.Save(f.ctx, f.st, key, v, store.Any); err != nil {
			f.t.Fatal(err)
		}
	}
	return lb.ARN
}

// raw sends body as operation op, signed as the SDK signs, and returns the
// status and the decoded JSON answer; an answer that is no JSON object fails t.
func (f *fixture) raw(t testing.TB, op, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.url+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "GlobalAccelerator_V20180706."+op)
	status, header, b := awsapitest.Send(t, req, "globalaccelerator")
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s: answer %q is not a JSON object: %v", op, b, err)
	}
	if ct := header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		t.Errorf("%s: got Content-Type %q, want application/x-amz-json-1.1", op, ct)
	}
	return status, out
}
