package stack

import (
	"context"
	"testing"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// TestIngressRuleAsStored: a rule of the file compares equal to the rule the
// network operations stored for it, whatever its spelling, so that re-applying
// a file neither revokes nor authorizes anything.
func TestIngressRuleAsStored(t *testing.T) {
	ctx := context.Background()
	svcs := newPlanEnv(t).svcs
	svc := svcs.Network
	vpc, _, err := svc.EnsureDefaultVPC(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sg, err := svc.CreateSecurityGroup(ctx, "g", "g", vpc.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	rules := []IngressRule{
		{Port: 443, CIDR: "10.0.0.0/8"},                                   // tcp by default
		{Protocol: "6", FromPort: 8000, ToPort: 8080, CIDR: "10.0.0.0/8"}, // tcp by number
		{Protocol: "UDP", Port: 53, CIDR: "10.0.0.0/8"},
		{Protocol: "1", FromPort: 8, ToPort: 0, CIDR: "10.0.0.0/8"}, // icmp by number
		{Protocol: "all", Port: 443, CIDR: "10.0.0.0/8"},            // all traffic has no ports
		{Protocol: "47", Port: 5, CIDR: "10.0.0.0/8"},               // gre has no ports
		{Port: 443, SourceSecurityGroup: "g"},                       // a group source: stored with its owner
	}
	var want []model.IPPermission
	for _, r := range rules {
		p, err := r.permission(map[string]string{"g": sg.ID})
		if err != nil {
			t.Fatalf("%+v: %v", r, err)
		}
		want = append(want, p)
	}
	if _, err := svc.AuthorizeIngress(ctx, sg.ID, want); err != nil {
		t.Fatal(err)
	}
	stored, _, err := store.Load[model.SecurityGroup](ctx, svcs.Store, model.Key(model.KindSecurityGroup, sg.ID))
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range want {
		if !hasPermission(stored.Ingress, p) {
			t.Errorf("rules[%d] %+v: got %+v, not among the stored %+v", i, rules[i], p, stored.Ingress)
		}
	}
	if extra := extraPermissions(stored.Ingress, want); len(extra) != 0 {
		t.Errorf("re-applying would revoke %+v", extra)
	}
}
