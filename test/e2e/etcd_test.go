package e2e

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"gatehouse/internal/cli"
	"gatehouse/internal/daemon"
	"gatehouse/internal/store/etcdtest"
)

// TestEtcdStoreStack runs the daemon on an etcd store (a real etcd server
// started by the test) and applies the example stack through its services:
// the chain answers on the static IPs, and its records are in etcd under the
// URL's prefix, not in a bbolt file.
func TestEtcdStoreStack(t *testing.T) {
	needRoot(t)
	srv := etcdtest.Start(t)
	r := start(t, addressPlan("127.45.0.0/16", "127.86.1.0/24", "127.86.2.0/24"), func(c *daemon.Config) {
		c.StoreURL = "etcd://" + srv.Endpoint + "/e2e-etcd"
	})
	r.apply(t, loadExample(t))
	ips := acceleratorIPs(t, r.d.Store)

	t.Run("DNS answers the two static IPs", func(t *testing.T) {
		got := resolve(t, r.cfg.DNSListen, domain)
		if !slices.Equal(got, ips) {
			t.Fatalf("dig %s: got %v, want the accelerator's %v", domain, got, ips)
		}
		if !strings.HasPrefix(ips[0], "127.86.1.") || !strings.HasPrefix(ips[1], "127.86.2.") {
			t.Fatalf("static IPs %v: want one from each network zone pool (127.86.1.0/24, 127.86.2.0/24)", ips)
		}
	})

	t.Run("HTTPS through each static IP", func(t *testing.T) {
		for _, ip := range ips {
			code, _, body := get(t, client(t, r.cfg.DataDir, ip, ""), "/")
			if code != 200 || body != "" {
				t.Errorf("via %s GET /: got %d %q, want 200 with an empty body", ip, code, body)
			}
		}
	})

	t.Run("the records are in etcd", func(t *testing.T) {
		resp, err := srv.Client().Get(context.Background(), "/e2e-etcd/", clientv3.WithPrefix(), clientv3.WithKeysOnly())
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, kv := range resp.Kvs {
			keys = append(keys, string(kv.Key))
		}
		if !slices.ContainsFunc(keys, func(k string) bool { return strings.Contains(k, "accelerator") }) {
			t.Errorf("etcd keys under /e2e-etcd/: got %v, want the accelerator's among them", keys)
		}
		if _, err := os.Stat(filepath.Join(r.cfg.DataDir, "gatehouse.db")); !os.IsNotExist(err) {
			t.Errorf("gatehouse.db in the data directory: got %v, want none with an etcd store", err)
		}
	})
}

// TestServeStoreFlags: serve's store flags reach the daemon, which refuses a
// store it cannot use with a reason before anything listens.
func TestServeStoreFlags(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"an unknown scheme", []string{"--store", "zk://127.0.0.1:2181"}, `store "zk://127.0.0.1:2181": want bolt or etcd://`},
		{"an endpoint without a port", []string{"--store", "etcd://127.0.0.1"}, `endpoint "127.0.0.1" is not host:port`},
		{"etcd TLS without an etcd store", []string{"--etcd-cacert", "ca.pem"}, "without an etcd store"},
		{"etcd credentials without an etcd store", []string{"--etcd-username", "u", "--etcd-password", "p"}, "without an etcd store"},
		{"a client certificate without its key", []string{"--store", "etcd://127.0.0.1:1", "--etcd-cert", "client.pem"}, "both the certificate and its key"},
		{"a CA file that does not exist", []string{"--store", "etcd://127.0.0.1:1", "--etcd-cacert", filepath.Join(dir, "none.pem")}, "etcd ca"},
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
