package etcdtest

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"

	"gatehouse/internal/testutil"
)

// Cluster is a real etcd cluster of several members, all embedded in the test
// process, for tests of what a member's failure does to its clients.
type Cluster struct {
	Members []*Member

	t  testing.TB
	ip netip.Addr
}

// Member is one member of a Cluster. Its addresses and data survive Stop and
// Restart.
type Member struct {
	Name       string
	Endpoint   string // host:port of the client URL
	peerURL    url.URL
	clientURL  url.URL
	dir        string
	mu         sync.Mutex
	etcd       *embed.Etcd
	initialCfg string // the initial-cluster string every member shares
}

// StartCluster starts n members listening on ip (an address other network
// namespaces can reach, or 127.0.0.1) on free ports and stops them when the
// test ends. It returns once the cluster has a leader.
func StartCluster(t testing.TB, n int, ip netip.Addr) *Cluster {
	t.Helper()
	c := &Cluster{t: t, ip: ip}
	var initial []string
	for i := range n {
		m := &Member{Name: fmt.Sprintf("m%d", i), dir: t.TempDir()}
		m.clientURL = url.URL{Scheme: "http", Host: net.JoinHostPort(ip.String(), strconv.Itoa(freePortOn(t, ip)))}
		m.peerURL = url.URL{Scheme: "http", Host: net.JoinHostPort(ip.String(), strconv.Itoa(freePortOn(t, ip)))}
		m.Endpoint = m.clientURL.Host
		initial = append(initial, m.Name+"="+m.peerURL.String())
		c.Members = append(c.Members, m)
	}
	for _, m := range c.Members {
		m.initialCfg = strings.Join(initial, ",")
	}
	// Every member waits for a quorum before it is ready, so they start
	// together and are awaited together.
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, m := range c.Members {
		wg.Go(func() { errs[i] = m.start() })
	}
	wg.Wait()
	t.Cleanup(func() {
		for _, m := range c.Members {
			m.Stop()
		}
		if t.Failed() {
			for _, m := range c.Members {
				if b, err := os.ReadFile(m.logFile()); err == nil && len(b) > 0 {
					t.Logf("etcd %s log:\n%s", m.Name, b)
				}
			}
		}
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("etcd member %d: %v", i, err)
		}
	}
	return c
}

// Endpoints are the members' client addresses, comma-separated, as
// `serve --store etcd://…` takes them.
func (c *Cluster) Endpoints() string {
	var eps []string
	for _, m := range c.Members {
		eps = append(eps, m.Endpoint)
	}
	return strings.Join(eps, ",")
}

// Leader is the index of the member that leads the cluster now, -1 if no
// running member knows one.
func (c *Cluster) Leader() int {
	for i, m := range c.Members {
		m.mu.Lock()
		e := m.etcd
		m.mu.Unlock()
		if e != nil && e.Server.Leader() == e.Server.MemberID() {
			return i
		}
	}
	return -1
}

// Stop stops member i (as a crash of its host would, minus the lost
// writes: its data stays for Restart).
func (c *Cluster) Stop(i int) { c.Members[i].Stop() }

// Restart starts member i again on its addresses and data; it fails the test
// if the member does not rejoin.
func (c *Cluster) Restart(i int) {
	c.t.Helper()
	m := c.Members[i]
	m.Stop()
	if err := m.start(); err != nil {
		c.t.Fatalf("restart etcd member %s: %v", m.Name, err)
	}
}

// Stop stops the member if it runs.
func (m *Member) Stop() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.etcd != nil {
		m.etcd.Close()
		m.etcd = nil
	}
}

func (m *Member) logFile() string { return filepath.Join(m.dir, "etcd.log") }

func (m *Member) start() error {
	cfg := embed.NewConfig()
	cfg.Name = m.Name
	cfg.Dir = filepath.Join(m.dir, "data")
	cfg.Logger = "zap"
	cfg.LogLevel = "error"
	cfg.LogOutputs = []string{m.logFile()}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{m.clientURL}, []url.URL{m.clientURL}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{m.peerURL}, []url.URL{m.peerURL}
	// On restart the data directory holds the membership; these are read
	// only the first time.
	cfg.InitialCluster = m.initialCfg
	cfg.InitialClusterToken = "gatehouse-test"
	// Faster than etcd's defaults (100 ms, 1 s), so that a lost leader is
	// replaced within a second, but not so short that three members in one
	// process on a loaded machine keep electing.
	cfg.TickMs, cfg.ElectionMs = 50, 500
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return fmt.Errorf("start etcd: %w", err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return fmt.Errorf("etcd failed to start: %w", err)
	case <-time.After(60 * time.Second):
		e.Close()
		return fmt.Errorf("etcd not ready after 60s")
	}
	m.mu.Lock()
	m.etcd = e
	m.mu.Unlock()
	return nil
}

// freePortOn is a port free on ip now.
func freePortOn(t testing.TB, ip netip.Addr) int { return testutil.FreePort(t, ip.String(), false) }
