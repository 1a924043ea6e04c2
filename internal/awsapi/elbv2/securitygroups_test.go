package elbv2_test

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// TestSecurityGroups: a load balancer's groups as create-load-balancer,
// set-security-groups and describe-load-balancers show them, and as its
// nodes' network interfaces carry them.
func TestSecurityGroups(t *testing.T) {
	e := newEnv(t)
	const sgDefault, sgLB = "sg-0000000000000default", "sg-00000000000000000lb"
	for _, g := range []*model.SecurityGroup{{ID: sgDefault, Name: "default", VpcID: testVPC}, {ID: sgLB, Name: "lb", VpcID: testVPC}} {
		if _, err := store.Save(e.ctx, e.st, model.Key(model.KindSecurityGroup, g.ID), g, 0); err != nil {
			t.Fatal(err)
		}
	}
	describe := func(arn string) *model.LoadBalancer {
		t.Helper()
		lb, _, err := store.Load[model.LoadBalancer](e.ctx, e.st, model.Key(model.KindLoadBalancer, arn))
		if err != nil {
			t.Fatal(err)
		}
		return lb
	}
	nodeGroups := func(lb *model.LoadBalancer) [][]string {
		t.Helper()
		var out [][]string
		for _, n := range lb.Nodes {
			eni, _, err := store.Load[model.NetworkInterface](e.ctx, e.st, model.Key(model.KindNetworkIface, n.NetworkInterfaceID))
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, eni.SecurityGroupIDs)
		}
		return out
	}

	created, err := e.elb.CreateLoadBalancer(e.ctx, &elb.CreateLoadBalancerInput{Name: aws.String("no-groups"), Subnets: []string{subnetA, subnetB}})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(created.LoadBalancers[0].LoadBalancerArn)
	if got := created.LoadBalancers[0].SecurityGroups; !slices.Equal(got, []string{sgDefault}) {
		t.Errorf("created without groups: got %v, want the VPC's default group %s", got, sgDefault)
	}

	set, err := e.elb.SetSecurityGroups(e.ctx, &elb.SetSecurityGroupsInput{LoadBalancerArn: &arn, SecurityGroups: []string{sgLB, sgWeb, sgLB}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{sgLB, sgWeb}
	if !slices.Equal(set.SecurityGroupIds, want) {
		t.Errorf("set-security-groups: got %v, want %v", set.SecurityGroupIds, want)
	}
	d, err := e.elb.DescribeLoadBalancers(e.ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{arn}})
	if err != nil {
		t.Fatal(err)
	}
	if got := d.LoadBalancers[0].SecurityGroups; !slices.Equal(got, want) {
		t.Errorf("describe-load-balancers after set: got %v, want %v", got, want)
	}
	for i, got := range nodeGroups(describe(arn)) {
		if !slices.Equal(got, want) {
			t.Errorf("node %d interface groups: got %v, want %v", i, got, want)
		}
	}

	cases := []struct {
		name      string
		in        *elb.SetSecurityGroupsInput
		code, msg string
	}{
		{"unknown group", &elb.SetSecurityGroupsInput{LoadBalancerArn: &arn, SecurityGroups: []string{"sg-0123456789abcdeff"}},
			"InvalidSecurityGroup", "One or more security groups are invalid"},
		{"unknown load balancer", &elb.SetSecurityGroupsInput{
			LoadBalancerArn: aws.String("arn:aws:elasticloadbalancing:us-west-2:000000000000:loadbalancer/app/nope/0123456789abcdef"), SecurityGroups: []string{sgLB}},
			"LoadBalancerNotFound", "One or more load balancers not found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.elb.SetSecurityGroups(e.ctx, c.in)
			wantAPIError(t, "set-security-groups", err, c.code, c.msg)
		})
	}
	t.Run("no group", func(t *testing.T) {
		// The SDK refuses this itself; other clients send it.
		status, body := post(t, e.url, form("SetSecurityGroups", "LoadBalancerArn", arn))
		got := parseError(t, body)
		wantMsg := "1 validation error detected: Value null at 'securityGroups' failed to satisfy constraint: Member must not be null"
		if status != 400 || got.Code != "ValidationError" || got.Message != wantMsg {
			t.Errorf("got %d %s %q, want 400 ValidationError %q", status, got.Code, got.Message, wantMsg)
		}
	})
	if got := describe(arn).SecurityGroupIDs; !slices.Equal(got, want) {
		t.Errorf("groups after refused changes: got %v, want %v", got, want)
	}
}
