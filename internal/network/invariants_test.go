package network_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"gatehouse/internal/model"
	"gatehouse/internal/network"
	"gatehouse/internal/store"
)

// Two service instances over one store are two nodes: nothing but the store
// is shared, so a rule spanning several records holds only if the store keeps
// it. Each round races the creation of something that names a security group
// against the group's deletion, on different nodes, and then checks that the
// store holds no record naming a group that is gone.

// raceRounds is how many rounds each race runs: enough that, on a check
// followed by a separate write, the two interleave badly in some round.
const raceRounds = 150

// twoNodes returns two services over one mem store, and the default VPC's
// first subnet. Neither runs its data plane: the races are control operations.
func twoNodes(t *testing.T) (a, b *network.Service, st store.Store, vpcID, subnetID string) {
	t.Helper()
	st = store.NewMem()
	t.Cleanup(func() { st.Close() })
	node := func() *network.Service {
		return network.New(network.Deps{Store: st, Env: model.DefaultEnv, VPCCIDR: "127.0.12.0/24", Subnets: testPlan})
	}
	a, b = node(), node()
	vpc, subnets, err := a.EnsureDefaultVPC(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return a, b, st, vpc.ID, subnets[0].ID
}

// danglingGroups lists every record in st that names a security group that
// does not exist: an endpoint's or an interface's group, or a rule's source.
func danglingGroups(t *testing.T, st store.Store) []string {
	t.Helper()
	ctx := context.Background()
	groups, err := store.LoadAll[model.SecurityGroup](ctx, st, model.Prefix(model.KindSecurityGroup))
	if err != nil {
		t.Fatal(err)
	}
	exists := func(id string) bool {
		return slices.ContainsFunc(groups, func(g *model.SecurityGroup) bool { return g.ID == id })
	}
	var out []string
	eps, err := store.LoadAll[model.VpcEndpoint](ctx, st, model.Prefix(model.KindVpcEndpoint))
	if err != nil {
		t.Fatal(err)
	}
	for _, ep := range eps {
		for _, g := range ep.SecurityGroupIDs {
			if !exists(g) {
				out = append(out, fmt.Sprintf("endpoint %s names deleted group %s", ep.ID, g))
			}
		}
	}
	enis, err := store.LoadAll[model.NetworkInterface](ctx, st, model.Prefix(model.KindNetworkIface))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range enis {
		for _, g := range n.SecurityGroupIDs {
			if !exists(g) {
				out = append(out, fmt.Sprintf("interface %s names deleted group %s", n.ID, g))
			}
		}
	}
	for _, sg := range groups {
		for _, p := range slices.Concat(sg.Ingress, sg.Egress) {
			for _, pair := range p.Groups {
				if !exists(pair.GroupID) {
					out = append(out, fmt.Sprintf("a rule of group %s names deleted group %s", sg.ID, pair.GroupID))
				}
			}
		}
	}
	return out
}

// codeOf is the EC2 error code of err, "" for nil, and err's text for an
// error that is not EC2's.
func codeOf(err error) string {
	if err == nil {
		return ""
	}
	var me *model.Error
	if errors.As(err, &me) {
		return me.Code
	}
	return err.Error()
}

// race runs child and parent at once and returns their errors.
func race(child, parent func() error) (childErr, parentErr error) {
	var wg sync.WaitGroup
	wg.Add(2)
	start := make(chan struct{})
	go func() { defer wg.Done(); <-start; childErr = child() }()
	go func() { defer wg.Done(); <-start; parentErr = parent() }()
	close(start)
	wg.Wait()
	return childErr, parentErr
}

func TestGroupDeletionRacesItsDependentsAcrossNodes(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		// child creates, on node a, something that names group target;
		// source is a group it may put the thing in (its own group).
		child func(a *network.Service, vpcID, subnetID, target, source string) error
		// childCodes are the answers child may give besides success.
		childCodes []string
	}{
		{
			name: "endpoint created in the group",
			child: func(a *network.Service, vpcID, subnetID, target, _ string) error {
				off := false
				// Cleared at the end of the round (clearRound), so the quota never fills.
				_, err := a.CreateVpcEndpoint(ctx, network.CreateEndpointInput{
					VpcID: vpcID, ServiceName: model.ExecuteAPIService(model.DefaultEnv.Region), VpcEndpointType: "Interface",
					SubnetIDs: []string{subnetID}, SecurityGroupIDs: []string{target}, PrivateDNSEnabled: &off,
				})
				return err
			},
			childCodes: []string{"InvalidGroup.NotFound"},
		},
		{
			name: "rule of another group names the group as its source",
			child: func(a *network.Service, _, _, target, source string) error {
				_, err := a.AuthorizeIngress(ctx, source, []model.IPPermission{{
					Protocol: "tcp", FromPort: 443, ToPort: 443, Groups: []model.GroupPair{{GroupID: target}},
				}})
				return err
			},
			childCodes: []string{"InvalidGroup.NotFound"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b, st, vpcID, subnetID := twoNodes(t)
			childWon, parentWon := 0, 0
			for round := range raceRounds {
				target, err := a.CreateSecurityGroup(ctx, fmt.Sprintf("target-%d", round), "raced", vpcID, nil)
				if err != nil {
					t.Fatal(err)
				}
				source, err := a.CreateSecurityGroup(ctx, fmt.Sprintf("source-%d", round), "names the target", vpcID, nil)
				if err != nil {
					t.Fatal(err)
				}
				childErr, parentErr := race(
					func() error { return tt.child(a, vpcID, subnetID, target.ID, source.ID) },
					func() error { return b.DeleteSecurityGroup(ctx, target.ID) },
				)
				if got := codeOf(childErr); got != "" && !slices.Contains(tt.childCodes, got) {
					t.Fatalf("round %d: child got %q, want success or one of %q", round, got, tt.childCodes)
				}
				if got := codeOf(parentErr); got != "" && got != "DependencyViolation" {
					t.Fatalf("round %d: DeleteSecurityGroup got %q, want success or DependencyViolation", round, got)
				}
				if childErr == nil && parentErr == nil {
					t.Errorf("round %d: got both the dependent's creation and the group's deletion, want one of them refused", round)
				}
				if childErr == nil {
					childWon++
				} else {
					parentWon++
				}
				if d := danglingGroups(t, st); len(d) > 0 {
					t.Fatalf("round %d: got %q, want no record naming a deleted group", round, d)
				}
				clearRound(t, a, st, source.ID, target.ID)
			}
			t.Logf("%d rounds: the dependent won %d, the deletion %d", raceRounds, childWon, parentWon)
		})
	}
}

// clearRound deletes every endpoint, then the round's groups (the source
// first: its rule may name the target).
func clearRound(t *testing.T, svc *network.Service, st store.Store, groups ...string) {
	t.Helper()
	ctx := context.Background()
	eps, err := store.LoadAll[model.VpcEndpoint](ctx, st, model.Prefix(model.KindVpcEndpoint))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, ep := range eps {
		ids = append(ids, ep.ID)
	}
	if len(ids) > 0 {
		if _, err := svc.DeleteVpcEndpoints(ctx, ids); err != nil {
			t.Fatal(err)
		}
	}
	for _, g := range groups {
		if err := svc.DeleteSecurityGroup(ctx, g); err != nil && codeOf(err) != "InvalidGroup.NotFound" {
			t.Fatalf("clear group %s: %v", g, err)
		}
	}
}

// Rules between siblings: one group name per VPC, one private-DNS execute-api
// endpoint per VPC. Each round, both nodes create at once what only one of
// them may have; exactly one must succeed and the other get EC2's error.
func TestOneOfTwoSiblingsAcrossNodes(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		create   func(svc *network.Service, vpcID, subnetID string, round int) error
		wantCode string
	}{
		{
			name: "security group name",
			create: func(svc *network.Service, vpcID, _ string, round int) error {
				_, err := svc.CreateSecurityGroup(ctx, fmt.Sprintf("same-name-%d", round), "raced", vpcID, nil)
				return err
			},
			wantCode: "InvalidGroup.Duplicate",
		},
		{
			name: "private DNS endpoint",
			create: func(svc *network.Service, vpcID, subnetID string, _ int) error {
				_, err := svc.CreateVpcEndpoint(ctx, network.CreateEndpointInput{
					VpcID: vpcID, ServiceName: model.ExecuteAPIService(model.DefaultEnv.Region), VpcEndpointType: "Interface",
					SubnetIDs: []string{subnetID},
				})
				return err
			},
			wantCode: "InvalidParameter",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b, st, vpcID, subnetID := twoNodes(t)
			for round := range raceRounds {
				errA, errB := race(
					func() error { return tt.create(a, vpcID, subnetID, round) },
					func() error { return tt.create(b, vpcID, subnetID, round) },
				)
				codes := []string{codeOf(errA), codeOf(errB)}
				slices.Sort(codes)
				if want := []string{"", tt.wantCode}; !slices.Equal(codes, want) {
					t.Fatalf("round %d: got answers %q, want one success and one %s", round, codes, tt.wantCode)
				}
				clearRound(t, a, st)
			}
		})
	}
}
