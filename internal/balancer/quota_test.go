package balancer

import (
	"fmt"
	"net/http"
	"testing"
)

// TestLoadBalancerQuota fills the regional load balancer quota: the next create
// answers TooManyLoadBalancers and claims no addresses, and a repeat of an
// existing create still returns its load balancer.
func TestLoadBalancerQuota(t *testing.T) {
	e := newEnv(t, func(d *Deps) { d.MaxLoadBalancers = 2 })
	first := e.createLB(t, "lb0")
	e.createLB(t, "lb1")
	_, err := e.svc.CreateLoadBalancer(e.ctx, CreateLBInput{Name: "lb2", SubnetIDs: []string{subnetA, subnetB}})
	me := asAWS(t, err)
	if me.Status != http.StatusBadRequest || me.Code != "TooManyLoadBalancers" || me.Message != "You've reached the limit on the number of load balancers for your AWS account." {
		t.Errorf("got %d %s %q, want 400 TooManyLoadBalancers", me.Status, me.Code, me.Message)
	}
	if _, err := e.st.Get(e.ctx, "ip/127.0.14.6"); err == nil {
		t.Error("the refused load balancer claimed a node address")
	}
	if again := e.createLB(t, "lb0"); again.ARN != first.ARN {
		t.Errorf("repeat at the quota: got %s, want the existing %s", again.ARN, first.ARN)
	}
	if err := e.svc.DeleteLoadBalancer(e.ctx, first.ARN); err != nil {
		t.Fatal(err)
	}
	e.createLB(t, "lb2")
}

// TestTargetGroupQuota fills the regional target group quota: the next create
// answers TooManyTargetGroups; a repeat of an existing create still returns it.
func TestTargetGroupQuota(t *testing.T) {
	e := newEnv(t, func(d *Deps) { d.MaxTargetGroups = 3 })
	in := func(i int) CreateTGInput {
		return CreateTGInput{Name: fmt.Sprintf("tg%d", i), Protocol: "HTTP", TargetType: "ip", VpcID: testVPC, Port: 80}
	}
	for i := range 3 {
		if _, err := e.svc.CreateTargetGroup(e.ctx, in(i)); err != nil {
			t.Fatalf("target group %d: %v", i, err)
		}
	}
	_, err := e.svc.CreateTargetGroup(e.ctx, in(3))
	me := asAWS(t, err)
	if me.Status != http.StatusBadRequest || me.Code != "TooManyTargetGroups" || me.Message != "You've reached the limit on the number of target groups for your AWS account." {
		t.Errorf("got %d %s %q, want 400 TooManyTargetGroups", me.Status, me.Code, me.Message)
	}
	if _, err := e.svc.CreateTargetGroup(e.ctx, in(0)); err != nil {
		t.Errorf("repeat at the quota: %v", err)
	}
}
