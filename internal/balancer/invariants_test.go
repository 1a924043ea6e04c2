package balancer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// Two nodes: two Services over one store, as two gatehouse processes sharing
// etcd. Each has its own process state (no lock in common), so only the
// store's Txn can keep a rule that spans records.
func twoNodes(t *testing.T) (store.Store, *Service, *Service) {
	t.Helper()
	ctx := context.Background()
	st := store.NewMem()
	t.Cleanup(func() { st.Close() })
	put := func(k model.Kind, id string, v any) {
		if _, err := store.Save(ctx, st, model.Key(k, id), v, 0); err != nil {
			t.Fatal(err)
		}
	}
	put(model.KindVPC, testVPC, &model.VPC{ID: testVPC, CIDR: "127.0.14.0/24", State: "available"})
	put(model.KindSubnet, subnetA, &model.Subnet{ID: subnetA, VpcID: testVPC, CIDR: "127.0.14.0/26", AvailabilityZone: "us-west-2a"})
	put(model.KindSubnet, subnetB, &model.Subnet{ID: subnetB, VpcID: testVPC, CIDR: "127.0.14.64/26", AvailabilityZone: "us-west-2b"})
	deps := Deps{Store: st, Env: model.DefaultEnv, MaxLoadBalancers: 1000, MaxTargetGroups: 1000}
	return st, New(deps), New(deps)
}

// awsCode is the AWS error code of err, or err's text when it is not an AWS
// error (a store conflict leaking out, say).
func awsCode(err error) string {
	var me *model.Error
	if errors.As(err, &me) {
		return me.Code
	}
	return err.Error()
}

// orphans lists the listeners whose load balancer is gone and those that
// forward to a target group that is gone.
func orphans(t *testing.T, st store.Store) []string {
	t.Helper()
	ctx := context.Background()
	listeners, err := store.LoadAll[model.Listener](ctx, st, model.Prefix(model.KindListener))
	if err != nil {
		t.Fatal(err)
	}
	exists := func(k model.Kind, arn string) bool {
		_, err := st.Get(ctx, model.Key(k, arn))
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil
	}
	var out []string
	for _, l := range listeners {
		if !exists(model.KindLoadBalancer, l.LoadBalancerARN) {
			out = append(out, fmt.Sprintf("listener %s of deleted load balancer %s", l.ARN, l.LoadBalancerARN))
		}
		for _, tg := range l.TargetGroupARNs() {
			if !exists(model.KindTargetGroup, tg) {
				out = append(out, fmt.Sprintf("listener %s forwards to deleted target group %s", l.ARN, tg))
			}
		}
	}
	return out
}

// race runs a and b at the same moment and returns their errors.
func race(a, b func() error) (errA, errB error) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	wg.Add(2)
	go func() { defer wg.Done(); <-start; errA = a() }()
	go func() { defer wg.Done(); <-start; errB = b() }()
	close(start)
	wg.Wait()
	return errA, errB
}

const invariantRounds = 60

func TestInvariantsAcrossNodes(t *testing.T) {
	fixed := []model.Action{{Type: "fixed-response", FixedResponse: &model.FixedResponse{StatusCode: "200"}}}
	cases := []struct {
		name string
		// round sets up the parent on node a and returns the two racing
		// calls: the child's creation on node b and the parent's deletion
		// on node a, with the error codes each may answer besides success.
		round func(t *testing.T, a, b *Service, i int) (create, remove func() error, createMay, removeMay []string)
	}{
		{
			name: "CreateListener against DeleteLoadBalancer",
			round: func(t *testing.T, a, b *Service, i int) (func() error, func() error, []string, []string) {
				ctx := context.Background()
				lb, err := a.CreateLoadBalancer(ctx, CreateLBInput{Name: fmt.Sprintf("race-%d", i), SubnetIDs: []string{subnetA, subnetB}})
				if err != nil {
					t.Fatalf("CreateLoadBalancer: %v", err)
				}
				create := func() error {
					_, err := b.CreateListener(ctx, CreateListenerInput{LoadBalancerARN: lb.ARN, Protocol: "HTTP", Port: 8080, DefaultActions: fixed})
					return err
				}
				remove := func() error { return a.DeleteLoadBalancer(ctx, lb.ARN) }
				return create, remove, []string{codeLBNotFound}, nil
			},
		},
		{
			name: "CreateListener forwarding to a group against DeleteTargetGroup",
			round: func(t *testing.T, a, b *Service, i int) (func() error, func() error, []string, []string) {
				ctx := context.Background()
				// One load balancer for every round (subnets hold few), a
				// port per round so that a listener that won does not
				// collide with the next round's.
				lb, err := a.CreateLoadBalancer(ctx, CreateLBInput{Name: "tgrace", SubnetIDs: []string{subnetA, subnetB}})
				if err != nil {
					t.Fatalf("CreateLoadBalancer: %v", err)
				}
				tg, err := a.CreateTargetGroup(ctx, CreateTGInput{Name: fmt.Sprintf("tg-%d", i), Protocol: "HTTP", TargetType: "ip", VpcID: testVPC, Port: 80})
				if err != nil {
					t.Fatalf("CreateTargetGroup: %v", err)
				}
				create := func() error {
					_, err := b.CreateListener(ctx, CreateListenerInput{LoadBalancerARN: lb.ARN, Protocol: "HTTP", Port: 1000 + i,
						DefaultActions: []model.Action{{Type: "forward", TargetGroupARN: tg.ARN}}})
					return err
				}
				remove := func() error { return a.DeleteTargetGroup(ctx, tg.ARN) }
				return create, remove, []string{codeTGNotFound}, []string{codeInUse}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, a, b := twoNodes(t)
			for i := range invariantRounds {
				create, remove, createMay, removeMay := tc.round(t, a, b, i)
				createErr, removeErr := race(create, remove)
				if createErr != nil && !slices.Contains(createMay, awsCode(createErr)) {
					t.Errorf("round %d: create: got %v, want success or one of %v", i, createErr, createMay)
				}
				if removeErr != nil && !slices.Contains(removeMay, awsCode(removeErr)) {
					t.Errorf("round %d: delete: got %v, want success or one of %v", i, removeErr, removeMay)
				}
				if got := orphans(t, st); len(got) > 0 {
					t.Fatalf("round %d: got %d orphans, want none: %v", i, len(got), got)
				}
			}
		})
	}
}
