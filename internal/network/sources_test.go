package network_test

import (
	"context"
	"net"
	"strconv"
	"testing"

	"gatehouse/internal/model"
	"gatehouse/internal/network"
	"gatehouse/internal/store"
	"gatehouse/internal/testutil"
)

// tcpFrom is a rule admitting TCP port from the members of group.
func tcpFrom(group string, port int) []model.IPPermission {
	return []model.IPPermission{{Protocol: "tcp", FromPort: port, ToPort: port, Groups: []model.GroupPair{{GroupID: group}}}}
}

// https443 is a rule admitting HTTPS from the members of group.
func https443(group string) []model.IPPermission { return tcpFrom(group, 443) }

func TestGroupSourceOperations(t *testing.T) {
	ctx := context.Background()
	st := store.NewMem()
	defer st.Close()
	svc := network.New(network.Deps{Store: st, Env: model.DefaultEnv, VPCCIDR: "127.0.12.0/24", Subnets: testPlan})
	vpc, _, err := svc.EnsureDefaultVPC(ctx)
	if err != nil {
		t.Fatal(err)
	}
	endpointSG, err := svc.CreateSecurityGroup(ctx, "endpoint-sg", "endpoint", vpc.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	lbSG, err := svc.CreateSecurityGroup(ctx, "lb-sg", "load balancer", vpc.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	rule := https443(lbSG.ID)
	rule[0].Groups[0].Description = "HTTPS from the load balancer"
	got, err := svc.AuthorizeIngress(ctx, endpointSG.ID, rule)
	if err != nil {
		t.Fatal(err)
	}
	wantPair := model.GroupPair{GroupID: lbSG.ID, UserID: model.DefaultEnv.Account, Description: "HTTPS from the load balancer"}
	if len(got.Ingress) != 1 || len(got.Ingress[0].Groups) != 1 || got.Ingress[0].Groups[0] != wantPair || len(got.Ingress[0].CIDRs) != 0 {
		t.Fatalf("ingress after authorize: got %+v, want one tcp 443 rule from %+v", got.Ingress, wantPair)
	}

	t.Run("rules report the referenced group", func(t *testing.T) {
		all, err := svc.DescribeSecurityGroupRules(ctx, nil, network.Filters{"group-id": {endpointSG.ID}})
		if err != nil {
			t.Fatal(err)
		}
		var rules []*network.Rule // inbound; the group's outbound rule is EC2's default
		for _, r := range all {
			if !r.IsEgress {
				rules = append(rules, r)
			}
		}
		if len(all) != 2 {
			t.Errorf("rules of the group: got %d, want the inbound one and the default outbound one", len(all))
		}
		if len(rules) != 1 || rules[0].ReferencedGroup == nil || *rules[0].ReferencedGroup != wantPair || rules[0].CIDR != "" {
			t.Fatalf("rules: got %+v, want one referencing %+v", rules, wantPair)
		}
		byID, err := svc.DescribeSecurityGroupRules(ctx, []string{rules[0].ID}, nil)
		if err != nil || len(byID) != 1 || byID[0].ID != rules[0].ID {
			t.Errorf("rule by id: got %+v, %v, want %s", byID, err, rules[0].ID)
		}
		_, err = svc.DescribeSecurityGroupRules(ctx, []string{"sgr-0000000000000000a"}, nil)
		checkErr(t, err, "InvalidSecurityGroupRuleId.NotFound", "The security group rule ID 'sgr-0000000000000000a' does not exist")
		groups, err := svc.DescribeSecurityGroups(ctx, nil, nil, network.Filters{"ip-permission.group-id": {lbSG.ID}})
		if err != nil || len(groups) != 1 || groups[0].ID != endpointSG.ID {
			t.Errorf("groups filtered by ip-permission.group-id: got %d, %v, want %s", len(groups), err, endpointSG.ID)
		}
	})

	cases := []struct {
		name      string
		op        func() error
		code, msg string
	}{
		{"source group does not exist", func() error {
			_, err := svc.AuthorizeIngress(ctx, endpointSG.ID, https443("sg-0000000000000000a"))
			return err
		}, "InvalidGroup.NotFound", "The security group 'sg-0000000000000000a' does not exist"},
		{"source group of another account", func() error {
			p := https443(lbSG.ID)
			p[0].Groups[0].UserID = "111122223333"
			_, err := svc.AuthorizeIngress(ctx, endpointSG.ID, p)
			return err
		}, "InvalidGroup.NotFound", "The security group '" + lbSG.ID + "' does not exist"},
		{"malformed source group", func() error {
			_, err := svc.AuthorizeIngress(ctx, endpointSG.ID, https443("lb-sg"))
			return err
		}, "InvalidGroupId.Malformed", `Invalid id: "lb-sg" (expecting "sg-...")`},
		{"duplicate group rule, other description", func() error {
			p := https443(lbSG.ID)
			p[0].Groups[0].Description = "again"
			_, err := svc.AuthorizeIngress(ctx, endpointSG.ID, p)
			return err
		}, "InvalidPermission.Duplicate", `the specified rule "peer: ` + lbSG.ID + `, TCP, from port: 443, to port: 443, ALLOW" already exists`},
		{"same group twice in one request", func() error {
			p := https443(lbSG.ID)
			p[0].Groups = append(p[0].Groups, p[0].Groups[0])
			_, err := svc.AuthorizeIngress(ctx, lbSG.ID, p)
			return err
		}, "InvalidParameterValue", "The same permission must not appear multiple times"},
		{"description with a forbidden character", func() error {
			p := https443(lbSG.ID)
			p[0].Groups[0].Description = "from <lb>"
			_, err := svc.AuthorizeIngress(ctx, lbSG.ID, p)
			return err
		}, "InvalidParameterValue", "Invalid rule description. Valid descriptions are strings less than 256 characters from the following set:  a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*"},
		{"revoke a group rule that does not exist", func() error {
			_, err := svc.RevokeIngress(ctx, endpointSG.ID, []model.IPPermission{{Protocol: "tcp", FromPort: 80, ToPort: 80, Groups: []model.GroupPair{{GroupID: lbSG.ID}}}})
			return err
		}, "InvalidPermission.NotFound", "The specified rule does not exist in this security group."},
		{"delete a referenced group", func() error { return svc.DeleteSecurityGroup(ctx, lbSG.ID) },
			"DependencyViolation", "resource " + lbSG.ID + " has a dependent object"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkErr(t, c.op(), c.code, c.msg) })
	}

	t.Run("a group may admit its own members and still be deleted", func(t *testing.T) {
		self, err := svc.CreateSecurityGroup(ctx, "self-sg", "members talk to each other", vpc.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AuthorizeIngress(ctx, self.ID, []model.IPPermission{{Protocol: "-1", Groups: []model.GroupPair{{GroupID: self.ID}}}}); err != nil {
			t.Fatalf("self reference: got %v, want nil", err)
		}
		if err := svc.DeleteSecurityGroup(ctx, self.ID); err != nil {
			t.Errorf("delete a group that references only itself: got %v, want nil", err)
		}
	})
	t.Run("revoke by the same pair frees the group", func(t *testing.T) {
		after, err := svc.RevokeIngress(ctx, endpointSG.ID, https443(lbSG.ID))
		if err != nil {
			t.Fatal(err)
		}
		if len(after.Ingress) != 0 {
			t.Errorf("ingress after revoke: got %+v, want none", after.Ingress)
		}
		if err := svc.DeleteSecurityGroup(ctx, lbSG.ID); err != nil {
			t.Errorf("delete a group no rule names any more: got %v, want nil", err)
		}
	})
}

// TestAdmissionByGroupMembership runs the data plane: the endpoint's group
// admits 443 only from a load balancer's group, so only the load balancer's
// node addresses reach the endpoint, and admission follows the load balancer's
// groups and nodes with the next snapshot. The load balancer record is written
// as the balancer writes it.
func TestAdmissionByGroupMembership(t *testing.T) {
	ctx := context.Background()
	h := start(t, 18445)
	vpc, subnets, err := h.svc.EnsureDefaultVPC(ctx)
	if err != nil {
		t.Fatal(err)
	}
	endpointSG, err := h.svc.CreateSecurityGroup(ctx, "endpoint-sg", "endpoint", vpc.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	lbSG, err := h.svc.CreateSecurityGroup(ctx, "lb-sg", "load balancer", vpc.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.AuthorizeIngress(ctx, endpointSG.ID, tcpFrom(lbSG.ID, h.port)); err != nil {
		t.Fatal(err)
	}
	ep, err := h.svc.CreateVpcEndpoint(ctx, network.CreateEndpointInput{
		VpcID: vpc.ID, ServiceName: "com.amazonaws.us-west-2.execute-api", VpcEndpointType: "Interface",
		SubnetIDs: []string{subnets[0].ID}, SecurityGroupIDs: []string{endpointSG.ID},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := waitState(t, h, ep.ID); got.State != model.EndpointAvailable {
		t.Fatalf("endpoint state: got %q (%q), want available", got.State, got.LastError)
	}
	enis, err := h.svc.DescribeNetworkInterfaces(ctx, ep.NetworkInterfaceIDs, nil)
	if err != nil || len(enis) != 1 {
		t.Fatalf("endpoint interfaces: got %d, %v, want 1", len(enis), err)
	}
	target := net.JoinHostPort(enis[0].PrivateIP, strconv.Itoa(h.port))

	const node, other, laterNode = "127.0.12.40", "127.0.12.41", "127.0.12.100"
	lb := &model.LoadBalancer{
		ARN: "arn:aws:elasticloadbalancing:us-west-2:000000000000:loadbalancer/app/edge/0123456789abcdef", Name: "edge",
		VpcID: vpc.ID, SecurityGroupIDs: []string{lbSG.ID},
		Nodes: []model.LBNode{{SubnetID: subnets[0].ID, IP: node, NetworkInterfaceID: "eni-0000000000000000a"}},
	}
	putLB := func() {
		t.Helper()
		if _, err := store.Save(ctx, h.st, model.Key(model.KindLoadBalancer, lb.ARN), lb, store.Any); err != nil {
			t.Fatal(err)
		}
	}
	admitted := func(src string) (bool, string) {
		got, err := dial(src, target)
		return err == nil && got == ep.ID, strconv.Quote(got) + " " + errString(err)
	}
	denied := func(src string) (bool, string) {
		got, err := dial(src, target)
		return err == nil && got == "", strconv.Quote(got) + " " + errString(err)
	}
	steps := []struct {
		name   string
		change func()
		admit  []string
		deny   []string
	}{
		{"no member yet: nobody is admitted", func() {}, nil, []string{node, other}},
		{"the load balancer's node is admitted, another source is not", putLB, []string{node}, []string{other}},
		{"a new node is admitted with the next snapshot", func() {
			lb.Nodes = append(lb.Nodes, model.LBNode{SubnetID: subnets[1].ID, IP: laterNode, NetworkInterfaceID: "eni-0000000000000000b"})
			putLB()
		}, []string{node, laterNode}, []string{other}},
		{"the load balancer leaves the group: its nodes are refused", func() {
			lb.SecurityGroupIDs = []string{endpointSG.ID}
			putLB()
		}, nil, []string{node, laterNode}},
		{"an endpoint interface in the group is a member too", func() {
			// The endpoint's own group now admits its members: its interface is one.
			if _, err := h.svc.AuthorizeIngress(ctx, endpointSG.ID, tcpFrom(endpointSG.ID, h.port)); err != nil {
				t.Fatal(err)
			}
		}, []string{enis[0].PrivateIP, node, laterNode}, []string{other}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			s.change()
			for _, src := range s.admit {
				testutil.Eventually(t, src+" admitted", func() (bool, string) { return admitted(src) })
			}
			for _, src := range s.deny {
				testutil.Eventually(t, src+" denied", func() (bool, string) { return denied(src) })
			}
			// Once the last expected change is live, every expectation holds at once.
			for _, src := range s.admit {
				if ok, got := admitted(src); !ok {
					t.Errorf("dial from %s: got %s, want admitted", src, got)
				}
			}
			for _, src := range s.deny {
				if ok, got := denied(src); !ok {
					t.Errorf("dial from %s: got %s, want closed", src, got)
				}
			}
		})
	}
}
