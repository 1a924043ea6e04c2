package network_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"

	"gatehouse/internal/live"
	"gatehouse/internal/model"
	"gatehouse/internal/network"
	"gatehouse/internal/store"
	"gatehouse/internal/testutil"
)

// TestOnlyTheLeaderWritesEndpointState: a node that does not lead opens the
// endpoint's sockets but leaves its state pending; once it leads, the next
// snapshot (the cluster's announcement of the new leader is one) has it
// write available.
func TestOnlyTheLeaderWritesEndpointState(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	st := store.NewMem()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	feed := live.NewFeed(testutil.Must[*model.Snapshot](t)(live.Load(ctx, st)))
	var leads atomic.Bool
	svc := network.New(network.Deps{Store: st, Feed: feed, Log: log, Env: model.DefaultEnv,
		VPCCIDR: "127.0.12.0/24", Subnets: testPlan, Port: 18446, Leader: leads.Load})
	var wg sync.WaitGroup
	wg.Go(func() { live.Watch(ctx, st, feed, log) })
	wg.Go(func() {
		if err := svc.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		st.Close()
	})

	vpc, subnets, err := svc.EnsureDefaultVPC(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ep := testutil.Must[*model.VpcEndpoint](t)(svc.CreateVpcEndpoint(ctx, network.CreateEndpointInput{
		VpcID: vpc.ID, ServiceName: "com.amazonaws.us-west-2.execute-api", VpcEndpointType: "Interface", SubnetIDs: []string{subnets[0].ID},
	}))
	_, rev, err := st.List(ctx, "none/")
	if err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, "the follower serves the endpoint", func() (bool, string) {
		return svc.Served() >= rev, "not yet"
	})
	if got := describe(t, svc, ep.ID); got.State != model.EndpointPending {
		t.Fatalf("state written by a follower: got %q, want %q", got.State, model.EndpointPending)
	}

	leads.Store(true)
	if _, err := store.Save(ctx, st, "node/this", map[string]any{"name": "this", "leader": true}, store.Any); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, "the new leader writes available", func() (bool, string) {
		got := describe(t, svc, ep.ID)
		return got.State == model.EndpointAvailable, got.State + " " + got.LastError
	})
}

func describe(t *testing.T, svc *network.Service, id string) *model.VpcEndpoint {
	t.Helper()
	eps, err := svc.DescribeVpcEndpoints(context.Background(), []string{id}, nil)
	if err != nil || len(eps) != 1 {
		t.Fatalf("describe %s: %v", id, err)
	}
	return eps[0]
}
