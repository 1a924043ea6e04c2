package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"gatehouse/internal/cluster"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
	"gatehouse/internal/store/etcdtest"
	"gatehouse/internal/testutil"
)

// ttl is short so that expiry tests end quickly; etcdtest's member takes it.
const ttl = time.Second

// running is a node whose Run goroutine the test owns.
type running struct {
	node *cluster.Node
	reg  *prometheus.Registry
	stop func() // ends Run and waits for it; safe to call twice
}

// join makes a node named name on st, joins it and runs it until the test ends.
func join(t *testing.T, st store.Store, name string) *running {
	t.Helper()
	reg := prometheus.NewRegistry()
	n, err := cluster.New(st, cluster.Config{Name: name, Address: "192.0.2.1", Version: "test", TTL: ttl, Metrics: reg})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Join(context.Background()); err != nil {
		t.Fatalf("join %s: %v", name, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	stopped := false
	r := &running{node: n, reg: reg, stop: func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run %s: %v", name, err)
		}
	}}
	t.Cleanup(r.stop)
	return r
}

// names lists the members' names, the leaders marked with a '*'.
func names(t *testing.T, st store.Store) string {
	t.Helper()
	ms, err := cluster.Members(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		if m.Leader {
			out = append(out, m.Name+"*")
		} else {
			out = append(out, m.Name)
		}
	}
	return strings.Join(out, " ")
}

// leaders names the nodes whose Leader is true.
func leaders(nodes ...*running) string {
	var out []string
	for _, r := range nodes {
		if r.node.Leader() {
			out = append(out, r.node.Name())
		}
	}
	return strings.Join(out, " ")
}

func gauge(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "gatehouse_cluster_leader" {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatal("no gatehouse_cluster_leader metric")
	return 0
}

// TestElectionHandover: of two nodes exactly one leads; when it stops, its
// record goes at once and the other takes over.
func TestElectionHandover(t *testing.T) {
	srv := etcdtest.Start(t)
	a := join(t, srv.Open("/handover/"), "node-a")
	b := join(t, srv.Open("/handover/"), "node-b")
	st := srv.Open("/handover/")

	var first, second *running
	testutil.Eventually(t, "exactly one node leads", func() (bool, string) {
		got := leaders(a, b)
		return got == "node-a" || got == "node-b", "leaders: " + got
	})
	first, second = a, b
	if b.node.Leader() {
		first, second = b, a
	}
	testutil.Eventually(t, "the records show the leader", func() (bool, string) {
		got := names(t, st)
		want := "node-a node-b"
		want = strings.Replace(want, first.node.Name(), first.node.Name()+"*", 1)
		return got == want, fmt.Sprintf("members %q, want %q", got, want)
	})
	if got := gauge(t, first.reg); got != 1 {
		t.Errorf("leader's gatehouse_cluster_leader: got %v, want 1", got)
	}
	if got := gauge(t, second.reg); got != 0 {
		t.Errorf("follower's gatehouse_cluster_leader: got %v, want 0", got)
	}

	first.stop()
	if got, want := names(t, st), second.node.Name(); strings.TrimSuffix(got, "*") != want {
		t.Fatalf("members right after %s stopped: got %q, want only %s (a graceful stop leaves no record)", first.node.Name(), got, want)
	}
	testutil.Eventually(t, "the other node takes over", func() (bool, string) {
		got := leaders(a, b)
		return got == second.node.Name(), "leaders: " + got
	})
	testutil.Eventually(t, "its record says it leads", func() (bool, string) {
		got := names(t, st)
		return got == second.node.Name()+"*", "members " + got
	})
}

// TestLeaderFalseAfterSessionLoss: once the lease is gone (here revoked
// behind the node's back), Leader is false; the node then joins again with a
// new lease and, alone, leads again.
func TestLeaderFalseAfterSessionLoss(t *testing.T) {
	srv := etcdtest.Start(t)
	a := join(t, srv.Open("/loss/"), "node-a")
	st := srv.Open("/loss/")
	testutil.Eventually(t, "the only node leads", func() (bool, string) {
		return a.node.Leader(), "not leading"
	})
	cli := srv.Client()
	leases, err := cli.Leases(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(leases.Leases) != 1 {
		t.Fatalf("leases: got %d, want the node's one", len(leases.Leases))
	}
	lost := make(chan struct{})
	go func() {
		defer close(lost)
		for a.node.Leader() {
			time.Sleep(time.Millisecond)
		}
	}()
	if _, err := cli.Revoke(context.Background(), leases.Leases[0].ID); err != nil {
		t.Fatal(err)
	}
	select {
	case <-lost:
	case <-time.After(30 * time.Second):
		t.Fatal("Leader still true 30s after its lease was revoked")
	}
	testutil.Eventually(t, "the node joins again and leads", func() (bool, string) {
		got := names(t, st)
		return a.node.Leader() && got == "node-a*", fmt.Sprintf("leader %v, members %q", a.node.Leader(), got)
	})
	now, err := cli.Leases(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(now.Leases) != 1 || now.Leases[0].ID == leases.Leases[0].ID {
		t.Fatalf("leases after rejoining: got %v, want one new lease", now.Leases)
	}
}

// TestCrashedNodeExpires: a node whose etcd client stops keeping its lease
// alive (closed without revoking, as a kill -9 leaves it) keeps its record
// until the TTL passes, then is gone and another node leads.
func TestCrashedNodeExpires(t *testing.T) {
	srv := etcdtest.Start(t)
	crashing := srv.Open("/crash/")
	a := join(t, crashing, "node-a")
	testutil.Eventually(t, "node-a leads", func() (bool, string) { return a.node.Leader(), "not leading" })
	b := join(t, srv.Open("/crash/"), "node-b")
	st := srv.Open("/crash/")

	crashing.Close() // the keepalive stops; nothing is revoked
	if got := names(t, st); got != "node-a* node-b" {
		t.Fatalf("members right after node-a's client closed: got %q, want %q (its lease still runs)", got, "node-a* node-b")
	}
	testutil.Eventually(t, "node-a's record expires and node-b leads", func() (bool, string) {
		got := names(t, st)
		return got == "node-b*" && b.node.Leader(), fmt.Sprintf("members %q, node-b leading %v", got, b.node.Leader())
	})
}

// TestNameTaken: a second live node of the same name is refused, naming the
// holder, after waiting one TTL for the name to free.
func TestNameTaken(t *testing.T) {
	srv := etcdtest.Start(t)
	join(t, srv.Open("/taken/"), "node-a")
	n, err := cluster.New(srv.Open("/taken/"), cluster.Config{Name: "node-a", TTL: ttl})
	if err != nil {
		t.Fatal(err)
	}
	err = n.Join(context.Background())
	if !errors.Is(err, cluster.ErrNameTaken) || !strings.Contains(err.Error(), `"node-a" is held by a live node (address "192.0.2.1"`) {
		t.Fatalf("second join of node-a: got %v, want ErrNameTaken naming the holder", err)
	}
	if n.Leader() {
		t.Fatal("the refused node leads")
	}
}

// TestNameFreedByRestart: a node restarted at once after a crash finds its
// old record still held by its old lease; Join waits for it to expire.
func TestNameFreedByRestart(t *testing.T) {
	srv := etcdtest.Start(t)
	old := srv.Open("/restart/")
	n, err := cluster.New(old, cluster.Config{Name: "node-a", TTL: ttl})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Join(context.Background()); err != nil {
		t.Fatal(err)
	}
	old.Close() // crashed: the lease runs out on its own
	join(t, srv.Open("/restart/"), "node-a")
}

// TestEmbeddedNode: on a one-node store the node leads from Join on, clears
// what a crash left, and deletes its record when it stops.
func TestEmbeddedNode(t *testing.T) {
	st := store.NewMem()
	ctx := context.Background()
	if _, err := store.Save(ctx, st, "node/crashed", cluster.Member{Name: "crashed"}, 0); err != nil {
		t.Fatal(err)
	}
	r := join(t, st, "solo")
	if !r.node.Leader() {
		t.Fatal("the only node does not lead")
	}
	if got := names(t, st); got != "solo*" {
		t.Fatalf("members: got %q, want %q", got, "solo*")
	}
	r.stop()
	if got := names(t, st); got != "" {
		t.Fatalf("members after stop: got %q, want none", got)
	}
	if r.node.Leader() {
		t.Fatal("a stopped node leads")
	}
	// Node records are no snapshot resource: the services never see them.
	snap, err := model.EmptySnapshot().With(1, []model.Change{{Key: "node/solo", Value: []byte(`{"name":"solo"}`)}})
	if err != nil || snap.Rev != 1 {
		t.Fatalf("snapshot with a node record: %v", err)
	}
}

func TestNewRefusesBadNames(t *testing.T) {
	for _, tc := range []struct{ name, give string }{
		{"empty", ""},
		{"a slash", "a/b"},
		{"a space", "node a"},
		{"too long", strings.Repeat("n", 64)},
		{"a leading dash", "-node"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := cluster.New(store.NewMem(), cluster.Config{Name: tc.give}); err == nil || !strings.Contains(err.Error(), "node name") {
				t.Fatalf("New(%q): got %v, want a node name error", tc.give, err)
			}
		})
	}
}
