package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"

	"gatehouse/internal/cli"
	"gatehouse/internal/cluster"
	"gatehouse/internal/daemon"
	"gatehouse/internal/store/etcdtest"
	"gatehouse/internal/testutil"
)

// The two nodes' address plans: one each, so their sockets never meet.
var (
	leaderPlanA = addressPlan("127.89.0.0/16", "127.89.1.0/24", "127.89.2.0/24")
	leaderPlanB = addressPlan("127.90.0.0/16", "127.90.1.0/24", "127.90.2.0/24")
)

// leaderNodeTTL keeps the crash case short; etcdtest's member grants it.
const leaderNodeTTL = 2 * time.Second

// node is a daemon of a cluster test, stopped by the test (once) or when the test ends.
type node struct {
	name string
	r    *running
	stop func()
}

// startNode runs a daemon named name on the etcd store at storeURL.
func startNode(t *testing.T, name, storeURL string, plan func(*daemon.Config)) *node {
	t.Helper()
	cfg := daemon.Defaults()
	cfg.DataDir = t.TempDir()
	cfg.DNSListen, cfg.MetricsAddr, cfg.AWSListen = freeAddr(t), freeAddr(t), freeAddr(t)
	cfg.Log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg.StoreURL, cfg.NodeName, cfg.NodeAddress, cfg.NodeTTL = storeURL, name, "127.0.0.1", leaderNodeTTL
	plan(&cfg)
	ctx, cancel := context.WithCancel(context.Background())
	d, err := daemon.Open(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatalf("start %s: %v", name, err)
	}
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx, ready) }()
	select {
	case <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("%s stopped at start: %v", name, err)
	}
	var once sync.Once
	n := &node{name: name, r: &running{d: d, cfg: cfg}}
	n.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("%s: %v", name, err)
			}
		})
	}
	t.Cleanup(n.stop)
	return n
}

// scrape reads one sample from a daemon's /metrics, name{labels} as printed;
// 0 if the series is not there yet.
func scrape(t *testing.T, metricsAddr, series string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatalf("metrics at %s: %v", metricsAddr, err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatalf("metrics at %s: %q: %v", metricsAddr, sc.Text(), err)
			}
			return f
		}
	}
	return 0
}

// members lists the cluster's node records as "name" or "name*" (leading).
func members(t *testing.T, n *node) string {
	t.Helper()
	ms, err := cluster.Members(context.Background(), n.r.d.Store)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		s := m.Name
		if m.Leader {
			s += "*"
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

// leading names the nodes whose gatehouse_cluster_leader is 1.
func leading(t *testing.T, nodes ...*node) []*node {
	t.Helper()
	var out []*node
	for _, n := range nodes {
		if scrape(t, n.r.cfg.MetricsAddr, "gatehouse_cluster_leader") == 1 {
			out = append(out, n)
		}
	}
	return out
}

// requestIssued requests a certificate for domain through n's AWS API,
// creates its validation record through n's Route 53 in zoneID, and waits
// until n describes it ISSUED.
func requestIssued(t *testing.T, n *node, zoneID, domain string) {
	t.Helper()
	c := sdkClients(n.r.cfg.AWSListen)
	ctx := context.Background()
	arn := aws.ToString(testutil.Must[*acm.RequestCertificateOutput](t)(c.acm.RequestCertificate(ctx, &acm.RequestCertificateInput{
		DomainName: aws.String(domain), ValidationMethod: acmtypes.ValidationMethodDns})).CertificateArn)
	d := testutil.Must[*acm.DescribeCertificateOutput](t)(c.acm.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: &arn}))
	if len(d.Certificate.DomainValidationOptions) != 1 || d.Certificate.DomainValidationOptions[0].ResourceRecord == nil {
		t.Fatalf("%s: validation options %+v, want one with a record", domain, d.Certificate.DomainValidationOptions)
	}
	rr := d.Certificate.DomainValidationOptions[0].ResourceRecord
	change(t, c, zoneID, r53types.ChangeActionCreate, r53types.ResourceRecordSet{
		Name: rr.Name, Type: r53types.RRType(rr.Type), TTL: aws.Int64(300),
		ResourceRecords: []r53types.ResourceRecord{{Value: rr.Value}}})
	eventually(t, fmt.Sprintf("%s's certificate requested on %s is ISSUED", domain, n.name), func() (bool, string) {
		d := testutil.Must[*acm.DescribeCertificateOutput](t)(c.acm.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: &arn}))
		return d.Certificate.Status == acmtypes.CertificateStatusIssued, "status " + string(d.Certificate.Status)
	})
}

// issuedBy waits until n counts one ACM certificate issued.
func issuedBy(t *testing.T, n *node, role string) {
	t.Helper()
	eventually(t, fmt.Sprintf("%s %s counts one certificate issued", role, n.name), func() (bool, string) {
		got := scrape(t, n.r.cfg.MetricsAddr, `gatehouse_certs_issued_total{kind="acm"}`)
		return got == 1, fmt.Sprintf("gatehouse_certs_issued_total %v", got)
	})
}

// TestClusterLeaderHandover: two daemons on one etcd; exactly one leads, and
// it issues the certificates requested on the other. When the leader stops,
// its record goes at once and the other takes over and issues; a node whose
// client stops renewing its lease (as a kill -9 leaves it) vanishes once the
// TTL passes.
func TestClusterLeaderHandover(t *testing.T) {
	needRoot(t)
	srv := etcdtest.Start(t)
	url := "etcd://" + srv.Endpoint + "/e2e-cluster-leader"
	a := startNode(t, "node-a", url, leaderPlanA)
	b := startNode(t, "node-b", url, leaderPlanB)

	var leader, follower *node
	eventually(t, "exactly one node leads", func() (bool, string) {
		l := leading(t, a, b)
		if len(l) != 1 {
			return false, fmt.Sprintf("%d leaders", len(l))
		}
		leader, follower = l[0], a
		if leader == a {
			follower = b
		}
		return true, leader.name
	})
	want := strings.Replace("node-a node-b", leader.name, leader.name+"*", 1)
	eventually(t, "both records, the leader's marked", func() (bool, string) {
		got := members(t, a)
		return got == want, fmt.Sprintf("members %q, want %q", got, want)
	})

	c := sdkClients(follower.r.cfg.AWSListen)
	zone := testutil.Must[*route53.CreateHostedZoneOutput](t)(c.r53.CreateHostedZone(context.Background(), &route53.CreateHostedZoneInput{
		Name: aws.String("example.test"), CallerReference: aws.String("cluster-leader-1")}))
	zoneID := aws.ToString(zone.HostedZone.Id)

	t.Run("a certificate requested on the follower is issued by the leader", func(t *testing.T) {
		requestIssued(t, follower, zoneID, "one.example.test")
		// The leader counts an issue once its write returned: a client may
		// see the certificate ISSUED a moment before the count.
		issuedBy(t, leader, "leader")
		if got := scrape(t, follower.r.cfg.MetricsAddr, `gatehouse_certs_issued_total{kind="acm"}`); got != 0 {
			t.Errorf("follower %s issued: got %v, want 0", follower.name, got)
		}
	})

	t.Run("the leader stops: its record goes at once, the follower leads and issues", func(t *testing.T) {
		leader.stop()
		if got := members(t, follower); strings.TrimSuffix(got, "*") != follower.name {
			t.Fatalf("members right after %s stopped: got %q, want only %s", leader.name, got, follower.name)
		}
		eventually(t, follower.name+" leads", func() (bool, string) {
			got := scrape(t, follower.r.cfg.MetricsAddr, "gatehouse_cluster_leader")
			return got == 1, fmt.Sprintf("gatehouse_cluster_leader %v", got)
		})
		requestIssued(t, follower, zoneID, "two.example.test")
		issuedBy(t, follower, "new leader")
	})

	t.Run("a node that stops renewing its lease vanishes after the TTL", func(t *testing.T) {
		st := etcdtest.OpenAt(t, srv.Endpoint, "/e2e-cluster-leader/")
		crashing, err := cluster.New(st, cluster.Config{Name: "node-c", TTL: leaderNodeTTL})
		if err != nil {
			t.Fatal(err)
		}
		if err := crashing.Join(context.Background()); err != nil {
			t.Fatal(err)
		}
		want := follower.name + "* node-c"
		if got := members(t, follower); got != want {
			t.Fatalf("members with node-c: got %q, want %q", got, want)
		}
		st.Close() // the client stops renewing the lease; nothing is revoked
		if got := members(t, follower); got != want {
			t.Fatalf("members right after node-c's client closed: got %q, want %q (its lease runs on)", got, want)
		}
		eventually(t, "node-c's record expires", func() (bool, string) {
			got := members(t, follower)
			return got == follower.name+"*", "members " + got
		})
	})
}

// TestClusterLeaderSameNameRefused: a second daemon with a live node's name
// does not start, and says why.
func TestClusterLeaderSameNameRefused(t *testing.T) {
	needRoot(t)
	srv := etcdtest.Start(t)
	url := "etcd://" + srv.Endpoint + "/e2e-cluster-leader-name"
	startNode(t, "node-a", url, leaderPlanA)

	cfg := daemon.Defaults()
	cfg.DataDir = t.TempDir()
	cfg.DNSListen, cfg.AWSListen = freeAddr(t), freeAddr(t)
	cfg.Log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg.StoreURL, cfg.NodeName, cfg.NodeTTL = url, "node-a", leaderNodeTTL
	leaderPlanB(&cfg)
	d, err := daemon.Open(context.Background(), cfg)
	if err == nil {
		d.Store.Close()
		t.Fatal("a second node-a started; want it refused")
	}
	for _, want := range []string{"node name taken", `"node-a" is held by a live node (address "127.0.0.1"`, "--node-name"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("second node-a: got %q, want it to contain %q", err, want)
		}
	}
}

// TestClusterLeaderServeFlags: serve's node flags reach the daemon, which
// refuses a node identity it cannot use before anything listens.
func TestClusterLeaderServeFlags(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"a node name with a slash", []string{"--node-name", "rack1/node-a"}, `node name "rack1/node-a"`},
		{"a node address that is no IP", []string{"--node-name", "node-a", "--node-address", "node-a.example"}, `node address "node-a.example": want an IP address`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"serve", "--data-dir", dir, "--aws-listen", "", "--dns-listen", freeAddr(t)}, tc.args...)
			err := cli.Main(args, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("gatehouse %s: got %v, want an error containing %q", strings.Join(args, " "), err, tc.want)
			}
		})
	}
}
