package stack

import (
	"context"
	"slices"
	"testing"
)

// TestSecurityGroupSources applies rules whose source is a group of the file
// (named before it is defined) and a load balancer's groups, re-applies them
// without a change, then moves the load balancer to another group.
func TestSecurityGroupSources(t *testing.T) {
	ctx := context.Background()
	svcs := newPlanEnv(t).svcs
	netw := svcs.Network
	const first = `
securityGroups:
  - {name: endpoint-sg, ingress: [{protocol: tcp, port: 443, sourceSecurityGroup: lb-sg}]}
  - {name: lb-sg, ingress: [{protocol: tcp, port: 443, cidr: 0.0.0.0/0}]}
  - {name: other-sg}
loadBalancers:
  - {name: edge, subnets: [a, b], securityGroups: [lb-sg]}
`
	const second = `
securityGroups:
  - {name: endpoint-sg, ingress: [{protocol: tcp, port: 443, sourceSecurityGroup: other-sg}]}
  - {name: lb-sg, ingress: [{protocol: tcp, port: 443, cidr: 0.0.0.0/0}]}
  - {name: other-sg}
loadBalancers:
  - {name: edge, subnets: [a, b], securityGroups: [other-sg]}
`
	groupID := func(name string) string {
		t.Helper()
		id, err := netw.GroupID(ctx, "", name)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	check := func(t *testing.T, source, lbGroup string) {
		t.Helper()
		sgs, err := netw.DescribeSecurityGroups(ctx, []string{groupID("endpoint-sg")}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		in := sgs[0].Ingress
		if len(in) != 1 || len(in[0].CIDRs) != 0 || len(in[0].Groups) != 1 || in[0].Groups[0].GroupID != groupID(source) || in[0].FromPort != 443 {
			t.Errorf("endpoint-sg ingress: got %+v, want tcp 443 from %s (%s) only", in, source, groupID(source))
		}
		lbs, err := svcs.Balancer.DescribeLoadBalancers(ctx, nil, []string{"edge"})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := lbs[0].SecurityGroupIDs, []string{groupID(lbGroup)}; !slices.Equal(got, want) {
			t.Errorf("load balancer groups: got %v, want %v (%s)", got, want, lbGroup)
		}
	}
	steps := []struct {
		name, file, source, lbGroup string
	}{
		{"a rule names a group defined further down", first, "lb-sg", "lb-sg"},
		{"the load balancer and the rule move to another group", second, "other-sg", "other-sg"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			f := parseString(t, s.file)
			if err := Apply(ctx, svcs, f); err != nil {
				t.Fatal(err)
			}
			check(t, s.source, s.lbGroup)
			changes, err := Plan(ctx, svcs, f)
			if err != nil || len(changes) != 0 {
				t.Errorf("plan after apply: got %v, %v, want no change", changes, err)
			}
		})
	}
	// Nothing names lb-sg any more: EC2 lets it go.
	if err := netw.DeleteSecurityGroup(ctx, groupID("lb-sg")); err != nil {
		t.Errorf("delete lb-sg once unreferenced: got %v, want nil", err)
	}
}
