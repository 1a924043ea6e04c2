package balancer

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
	"gatehouse/internal/testutil"
)

// TestLoadBalancerHealthy follows what one node's own checks say of a load
// balancer, as the accelerator asks before announcing a static IP: unknown
// before the balancer has it, unhealthy while it forwards to no target
// group, healthy once a target passed this node's checks, unhealthy when
// every target fails them, healthy again when one recovers.
func TestLoadBalancerHealthy(t *testing.T) {
	st := store.NewMem()
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	put := func(k model.Kind, id string, v any) {
		if _, err := store.Save(ctx, st, model.Key(k, id), v, 0); err != nil {
			t.Fatal(err)
		}
	}
	put(model.KindVPC, testVPC, &model.VPC{ID: testVPC, CIDR: "127.0.14.0/24", State: "available"})
	put(model.KindSubnet, subnetA, &model.Subnet{ID: subnetA, VpcID: testVPC, CIDR: "127.0.14.0/26", AvailabilityZone: "us-west-2a"})
	put(model.KindSubnet, subnetB, &model.Subnet{ID: subnetB, VpcID: testVPC, CIDR: "127.0.14.64/26", AvailabilityZone: "us-west-2b"})
	put(model.KindSubnet, subnetT, &model.Subnet{ID: subnetT, VpcID: testVPC, CIDR: "127.0.14.192/26", AvailabilityZone: "us-west-2c"})
	one := newSwitchable(t, "one", "127.0.14.206")
	two := newSwitchable(t, "two", "127.0.14.207")
	n := startNode(t, st, true)

	want := func(step, arn string, healthy, known bool) {
		t.Helper()
		testutil.Eventually(t, step, func() (bool, string) {
			h, k := n.svc.LoadBalancerHealthy(arn)
			return h == healthy && k == known, fmt.Sprintf("LoadBalancerHealthy = %v, %v; want %v, %v", h, k, healthy, known)
		})
	}
	want("a load balancer the balancer does not have", lbARNFor("nothing"), false, false)

	lb, err := n.svc.CreateLoadBalancer(ctx, CreateLBInput{Name: "own-view", SubnetIDs: []string{subnetA, subnetB}})
	if err != nil {
		t.Fatal(err)
	}
	want("no listener: forwards to no target group", lb.ARN, false, true)

	tg, err := n.svc.CreateTargetGroup(ctx, CreateTGInput{Name: "own-view", Protocol: "HTTP", TargetType: "ip", VpcID: testVPC, Port: one.port,
		HealthCheck: HealthCheckInput{IntervalSeconds: ptr(5), TimeoutSeconds: ptr(2), HealthyThreshold: ptr(2), UnhealthyThreshold: ptr(2)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.svc.RegisterTargets(ctx, tg.ARN, []model.Target{{ID: one.ip, Port: one.port}, {ID: two.ip, Port: two.port}}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.svc.CreateListener(ctx, CreateListenerInput{LoadBalancerARN: lb.ARN, Protocol: "HTTP", Port: 18098,
		DefaultActions: []model.Action{{Type: "forward", TargetGroupARN: tg.ARN}}}); err != nil {
		t.Fatal(err)
	}
	want("targets pass this node's checks", lb.ARN, true, true)

	one.code.Store(http.StatusInternalServerError)
	two.code.Store(http.StatusInternalServerError)
	want("every target fails", lb.ARN, false, true)

	two.code.Store(http.StatusOK)
	want("one target recovers", lb.ARN, true, true)
}

func lbARNFor(name string) string {
	return "arn:aws:elasticloadbalancing:us-west-2:000000000000:loadbalancer/app/" + name + "/0123456789abcdef"
}
