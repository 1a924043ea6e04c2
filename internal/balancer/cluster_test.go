package balancer

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gatehouse/internal/live"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
	"gatehouse/internal/testutil"
)

// healthWrites records the keys of target health reports written through it:
// one node's view of a store that several nodes share.
type healthWrites struct {
	store.Store
	mu   sync.Mutex
	keys []string
}

func (w *healthWrites) note(key string) {
	if strings.HasPrefix(key, model.Prefix(model.KindTargetHealth)) {
		w.mu.Lock()
		w.keys = append(w.keys, key)
		w.mu.Unlock()
	}
}

func (w *healthWrites) written() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.keys...)
}

func (w *healthWrites) Put(ctx context.Context, key string, value []byte, expect int64) (int64, error) {
	w.note(key)
	return w.Store.Put(ctx, key, value, expect)
}

func (w *healthWrites) Delete(ctx context.Context, key string, expect int64) (int64, error) {
	w.note(key)
	return w.Store.Delete(ctx, key, expect)
}

func (w *healthWrites) Txn(ctx context.Context, conds []store.Cond, ops []store.Op) (int64, error) {
	for _, op := range ops {
		w.note(op.Key)
	}
	return w.Store.Txn(ctx, conds, ops)
}

// switchable is a plain HTTP target whose health check answer the test sets;
// other requests get its name.
type switchable struct {
	name string
	ip   string
	port int
	code atomic.Int32
}

func newSwitchable(t *testing.T, name, ip string) *switchable {
	t.Helper()
	s := &switchable{name: name, ip: ip}
	s.code.Store(http.StatusOK)
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	s.port = l.Addr().(*net.TCPAddr).Port
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("User-Agent") == "ELB-HealthChecker/2.0" {
			w.WriteHeader(int(s.code.Load()))
			return
		}
		_, _ = io.WriteString(w, s.name)
	}))
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return s
}

// clusterNode is one gatehouse node's balancer: its own feed following the
// shared store, its own probers and sockets.
type clusterNode struct {
	svc    *Service
	writes *healthWrites
	leader atomic.Bool
	stop   func()
}

func startNode(t *testing.T, st store.Store, leader bool) *clusterNode {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	snap, err := live.Load(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	feed := live.NewFeed(snap)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	n := &clusterNode{writes: &healthWrites{Store: st}}
	n.leader.Store(leader)
	n.svc = New(Deps{Store: n.writes, Feed: feed, Log: log, Env: model.DefaultEnv,
		HealthCheckSecond: testCheckSecond, RetryInterval: 20 * time.Millisecond, Leader: n.leader.Load})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = live.Watch(ctx, st, feed, log) }()
	go func() { defer wg.Done(); _ = n.svc.Run(ctx) }()
	var once sync.Once
	n.stop = func() { once.Do(func() { cancel(); wg.Wait() }) }
	t.Cleanup(n.stop)
	return n
}

// routable is what the node's table routes to in the group: the targets its
// own health view holds healthy, by address.
func (n *clusterNode) routable(tgARN string) []string {
	t := n.svc.table.Load()
	if t == nil || t.groups[tgARN] == nil {
		return nil
	}
	g := t.groups[tgARN]
	pool := g.healthy
	if local := g.local.Load(); local != nil {
		pool = *local
	}
	var out []string
	for _, tgt := range pool {
		out = append(out, tgt.addr)
	}
	return out
}

// TestHealthInACluster runs two balancers over one store, one the leader:
// both check the targets, only the leader writes the health report, and
// each routes by its own checks even where the report says otherwise; a
// node that becomes leader reports its own view.
func TestHealthInACluster(t *testing.T) {
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
	one := newSwitchable(t, "one", "127.0.14.204")
	two := newSwitchable(t, "two", "127.0.14.205")
	a := startNode(t, st, true)
	b := startNode(t, st, false)

	lb, err := a.svc.CreateLoadBalancer(ctx, CreateLBInput{Name: "cluster", SubnetIDs: []string{subnetA, subnetB}})
	if err != nil {
		t.Fatal(err)
	}
	tg, err := b.svc.CreateTargetGroup(ctx, CreateTGInput{Name: "cluster", Protocol: "HTTP", TargetType: "ip", VpcID: testVPC, Port: one.port,
		HealthCheck: HealthCheckInput{IntervalSeconds: ptr(5), TimeoutSeconds: ptr(2), HealthyThreshold: ptr(2), UnhealthyThreshold: ptr(2)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.svc.RegisterTargets(ctx, tg.ARN, []model.Target{{ID: one.ip, Port: one.port}, {ID: two.ip, Port: two.port}}); err != nil {
		t.Fatal(err)
	}
	const lport = 18097
	if _, err := b.svc.CreateListener(ctx, CreateListenerInput{LoadBalancerARN: lb.ARN, Protocol: "HTTP", Port: lport,
		DefaultActions: []model.Action{{Type: "forward", TargetGroupARN: tg.ARN}}}); err != nil {
		t.Fatal(err)
	}
	addrOne := net.JoinHostPort(one.ip, strconv.Itoa(one.port))
	addrTwo := net.JoinHostPort(two.ip, strconv.Itoa(two.port))
	report := func() map[string]string {
		h, _, err := store.Load[model.TargetHealth](ctx, st, model.Key(model.KindTargetHealth, tg.ARN))
		out := map[string]string{}
		if err != nil {
			return out
		}
		for _, s := range h.Targets {
			out[net.JoinHostPort(s.ID, strconv.Itoa(s.Port))] = s.State
		}
		return out
	}
	bothHealthy := func() (bool, string) {
		r := report()
		return r[addrOne] == model.TargetHealthy && r[addrTwo] == model.TargetHealthy, strings.TrimSpace(strings.Join([]string{r[addrOne], r[addrTwo]}, " "))
	}

	t.Run("the leader reports, both route by their own checks", func(t *testing.T) {
		testutil.Eventually(t, "both targets reported healthy", bothHealthy)
		for _, n := range []*clusterNode{a, b} {
			testutil.Eventually(t, "both targets routable", func() (bool, string) {
				got := n.routable(tg.ARN)
				return len(got) == 2, strings.Join(got, " ")
			})
		}
		if got := b.writes.written(); len(got) > 0 {
			t.Errorf("the follower wrote %d health reports, want none: %v", len(got), got)
		}
		if len(a.writes.written()) == 0 {
			t.Error("the leader wrote no health report")
		}
	})

	t.Run("a follower routes by what it sees, not by the report", func(t *testing.T) {
		// The leader goes (its sockets close and the follower's open);
		// then target two fails its checks: only the follower sees it.
		a.stop()
		node := lb.Nodes[0].IP
		testutil.Eventually(t, "the follower serving the listener", func() (bool, string) {
			addrs := b.svc.Addrs()
			return strings.Contains(strings.Join(addrs, " "), net.JoinHostPort(node, strconv.Itoa(lport))), strings.Join(addrs, " ")
		})
		two.code.Store(http.StatusInternalServerError)
		testutil.Eventually(t, "the follower routing to target one only", func() (bool, string) {
			got := b.routable(tg.ARN)
			return len(got) == 1 && got[0] == addrOne, strings.Join(got, " ")
		})
		if ok, states := bothHealthy(); !ok {
			t.Errorf("report: got %s, want both healthy still (nobody but the leader writes it)", states)
		}
		client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		for i := range 6 {
			res, err := client.Get("http://" + net.JoinHostPort(node, strconv.Itoa(lport)) + "/")
			if err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK || string(body) != "one" {
				t.Errorf("request %d: got %d %q, want 200 from target one", i, res.StatusCode, body)
			}
		}
		if got := b.writes.written(); len(got) > 0 {
			t.Errorf("the follower wrote %d health reports, want none: %v", len(got), got)
		}
	})

	t.Run("a new leader reports its own view", func(t *testing.T) {
		b.leader.Store(true)
		testutil.Eventually(t, "target two reported unhealthy", func() (bool, string) {
			r := report()
			return r[addrOne] == model.TargetHealthy && r[addrTwo] == model.TargetUnhealthy, r[addrOne] + " " + r[addrTwo]
		})
	})
}
