package network

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// quotaService is an operations-only service with the default VPC in place.
func quotaService(t *testing.T, quotas Quotas) (*Service, *model.VPC, []*model.Subnet) {
	t.Helper()
	st := store.NewMem()
	t.Cleanup(func() { st.Close() })
	svc := New(Deps{Store: st, Env: model.DefaultEnv, VPCCIDR: "127.0.12.0/24",
		Subnets: []SubnetPlan{{AZ: "a", CIDR: "127.0.12.0/26"}, {AZ: "b", CIDR: "127.0.12.64/26"}}, Quotas: quotas})
	vpc, subnets, err := svc.EnsureDefaultVPC(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return svc, vpc, subnets
}

func wantEC2Error(t *testing.T, err error, code, msg string) {
	t.Helper()
	var me *model.Error
	if !errors.As(err, &me) {
		t.Fatalf("got error %v, want %s", err, code)
	}
	if me.Status != http.StatusBadRequest || me.Code != code || me.Message != msg {
		t.Errorf("got %d %s %q, want 400 %s %q", me.Status, me.Code, me.Message, code, msg)
	}
}

// TestSecurityGroupQuota fills the VPC's security group quota (its default group
// counts); the next create answers SecurityGroupLimitExceeded and leaves the
// name free.
func TestSecurityGroupQuota(t *testing.T) {
	ctx := context.Background()
	svc, vpc, _ := quotaService(t, Quotas{SecurityGroups: 3})
	var last *model.SecurityGroup
	for i := range 2 {
		sg, err := svc.CreateSecurityGroup(ctx, fmt.Sprintf("g%d", i), "test", "", nil)
		if err != nil {
			t.Fatalf("group %d: %v", i, err)
		}
		last = sg
	}
	_, err := svc.CreateSecurityGroup(ctx, "over", "test", vpc.ID, nil)
	wantEC2Error(t, err, "SecurityGroupLimitExceeded", fmt.Sprintf("The maximum number of security groups for VPC '%s' has been reached.", vpc.ID))
	if err := svc.DeleteSecurityGroup(ctx, last.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateSecurityGroup(ctx, "over", "test", vpc.ID, nil); err != nil {
		t.Errorf("create after a delete: %v", err)
	}
}

// TestIngressRuleQuota fills a group with 60 inbound rules (one per CIDR, as
// EC2 counts them): a request that would pass 60 answers
// RulesPerSecurityGroupLimitExceeded and adds none of its rules.
func TestIngressRuleQuota(t *testing.T) {
	ctx := context.Background()
	svc, _, _ := quotaService(t, Quotas{}) // AWS's default: 60
	maxIngressRules := svc.quotas.RulesPerGroup
	if maxIngressRules != 60 {
		t.Fatalf("default rules per group: got %d, want 60", maxIngressRules)
	}
	sg, err := svc.CreateSecurityGroup(ctx, "web", "test", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	cidrs := func(from, n int) []string {
		var out []string
		for i := from; i < from+n; i++ {
			out = append(out, fmt.Sprintf("10.0.%d.0/24", i))
		}
		return out
	}
	perm := func(cidrs []string) []model.IPPermission {
		return []model.IPPermission{{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRs: cidrs}}
	}
	if _, err := svc.AuthorizeIngress(ctx, sg.ID, perm(cidrs(0, maxIngressRules-1))); err != nil {
		t.Fatal(err)
	}
	_, err = svc.AuthorizeIngress(ctx, sg.ID, perm(cidrs(maxIngressRules-1, 2)))
	wantEC2Error(t, err, "RulesPerSecurityGroupLimitExceeded", "The maximum number of rules per security group has been reached.")
	got, err := svc.DescribeSecurityGroups(ctx, []string{sg.ID}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(Rules(sg.ID, got[0].Ingress)); n != maxIngressRules-1 {
		t.Errorf("rules after the refused request: got %d, want %d", n, maxIngressRules-1)
	}
	if _, err := svc.AuthorizeIngress(ctx, sg.ID, perm(cidrs(maxIngressRules-1, 1))); err != nil {
		t.Errorf("the 60th rule: %v", err)
	}
}

// TestEndpointQuota fills the VPC's interface endpoint quota: the next create
// answers VpcEndpointLimitExceeded and claims no addresses.
func TestEndpointQuota(t *testing.T) {
	ctx := context.Background()
	svc, vpc, subnets := quotaService(t, Quotas{Endpoints: 2})
	noDNS := false
	in := CreateEndpointInput{VpcID: vpc.ID, ServiceName: model.ExecuteAPIService(model.DefaultEnv.Region), VpcEndpointType: "Interface",
		SubnetIDs: []string{subnets[0].ID}, PrivateDNSEnabled: &noDNS}
	for i := range 2 {
		if _, err := svc.CreateVpcEndpoint(ctx, in); err != nil {
			t.Fatalf("endpoint %d: %v", i, err)
		}
	}
	_, err := svc.CreateVpcEndpoint(ctx, in)
	wantEC2Error(t, err, "VpcEndpointLimitExceeded", "The maximum number of VPC endpoints has been reached.")
	enis, err := store.LoadAll[model.NetworkInterface](ctx, svc.st, model.Prefix(model.KindNetworkIface))
	if err != nil {
		t.Fatal(err)
	}
	if len(enis) != 2 {
		t.Errorf("network interfaces: got %d, want 2 (none for the refused endpoint)", len(enis))
	}
}
