// Package etcdtest runs a real single-member etcd server (etcd's embed package)
// inside a test, on loopback with free ports and a temporary data directory,
// so the etcd store backend is tested against etcd itself, not a fake.
package etcdtest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"

	"gatehouse/internal/store"
	"gatehouse/internal/testutil"
)

// Server is one etcd member. Endpoint stays the same across Restart.
type Server struct {
	Endpoint string // host:port of the client URL

	t          testing.TB
	dir        string // the member's data and its log
	clientPort int
	peerPort   int
	etcd       *embed.Etcd
	tls        *transport.TLSInfo // the member's TLS; nil: plain
	configure  []func(*embed.Config)
}

// Start starts a member and stops it when the test ends. configure, if
// given, changes the member's configuration after the defaults here.
func Start(t testing.TB, configure ...func(*embed.Config)) *Server {
	t.Helper()
	s := &Server{t: t, dir: t.TempDir(), clientPort: freePort(t), peerPort: freePort(t), configure: configure}
	s.run()
	return s
}

// run starts the member the first time: it stops when the test ends, and its
// log is shown if the test failed.
func (s *Server) run() {
	s.t.Helper()
	s.Endpoint = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.clientPort))
	s.start()
	s.t.Cleanup(func() {
		s.Stop()
		if s.t.Failed() {
			if b, err := os.ReadFile(s.logFile()); err == nil && len(b) > 0 {
				s.t.Logf("etcd log:\n%s", b)
			}
		}
	})
}

// TLSFiles are the PEM files a client of a TLS member needs: the CA that
// signed the member's certificate and the client's, and the client's
// certificate and key.
type TLSFiles struct{ CA, Cert, Key string }

// StartTLS starts a member that serves clients over TLS only and asks them for
// a certificate signed by its CA (etcd's --client-cert-auth).
func StartTLS(t testing.TB) (*Server, TLSFiles) {
	t.Helper()
	dir := t.TempDir()
	caKey, ca := newCA(t)
	write := func(name string, b []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	caFile := write("ca.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw}))
	serverCert, serverKey := issue(t, ca, caKey, "etcd", x509.ExtKeyUsageServerAuth)
	clientCert, clientKey := issue(t, ca, caKey, "gatehouse", x509.ExtKeyUsageClientAuth)
	files := TLSFiles{CA: caFile, Cert: write("client.pem", clientCert), Key: write("client-key.pem", clientKey)}
	s := &Server{t: t, dir: t.TempDir(), clientPort: freePort(t), peerPort: freePort(t), tls: &transport.TLSInfo{
		CertFile: write("server.pem", serverCert), KeyFile: write("server-key.pem", serverKey),
		TrustedCAFile: caFile, ClientCertAuth: true,
	}}
	s.run()
	return s, files
}

func newCA(t testing.TB) (*ecdsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "etcdtest CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return key, ca
}

// issue is a certificate for 127.0.0.1 signed by ca, in PEM, and its key.
func issue(t testing.TB, ca *x509.Certificate, caKey *ecdsa.PrivateKey, name string, usage x509.ExtKeyUsage) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: name},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}

func (s *Server) logFile() string { return filepath.Join(s.dir, "etcd.log") }

func (s *Server) config() *embed.Config {
	cfg := embed.NewConfig()
	cfg.Name = "gatehouse-test"
	cfg.Dir = filepath.Join(s.dir, "data")
	cfg.Logger = "zap"
	cfg.LogLevel = "error"
	// Errors go to a file, shown if the test fails: a member that stops
	// logs its closed listeners as errors.
	cfg.LogOutputs = []string{s.logFile()}
	client := url.URL{Scheme: "http", Host: s.Endpoint}
	if s.tls != nil {
		client.Scheme = "https"
		cfg.ClientTLSInfo = *s.tls
	}
	peer := url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(s.peerPort))}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{client}, []url.URL{client}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{peer}, []url.URL{peer}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	// bcrypt's cheapest cost: checking a password at the default cost
	// takes seconds under the race detector on a loaded machine.
	cfg.BcryptCost = 4
	// A short election: a single member elects itself at start and restart
	// in a fraction of a second instead of about one.
	cfg.TickMs, cfg.ElectionMs = 10, 100
	for _, c := range s.configure {
		c(cfg)
	}
	return cfg
}

func (s *Server) start() {
	s.t.Helper()
	e, err := embed.StartEtcd(s.config())
	if err != nil {
		s.t.Fatalf("start etcd: %v", err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		s.t.Fatalf("etcd failed to start: %v", err)
	case <-time.After(60 * time.Second):
		e.Close()
		s.t.Fatal("etcd not ready after 60s")
	}
	s.etcd = e
}

// Stop stops the member; its data stays for Restart.
func (s *Server) Stop() {
	if s.etcd != nil {
		s.etcd.Close()
		s.etcd = nil
	}
}

// Restart stops the member if it runs and starts it again on the same
// addresses and data.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.start()
}

// Client is a plain etcd client to the member, for what the store does not
// offer (compaction); it closes when the test ends.
func (s *Server) Client() *clientv3.Client {
	s.t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{"http://" + s.Endpoint}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { cli.Close() })
	return cli
}

// Open opens the store on the member under prefix and closes it when the test ends.
func (s *Server) Open(prefix string) *store.Etcd {
	s.t.Helper()
	return OpenAt(s.t, s.Endpoint, prefix)
}

// OpenAt opens the store on endpoint (host:port) under prefix and closes it
// when the test ends.
func OpenAt(t testing.TB, endpoint, prefix string) *store.Etcd {
	t.Helper()
	st, err := store.OpenEtcd(context.Background(), store.EtcdOptions{Endpoints: []string{endpoint}, Prefix: prefix, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// freePort is a port free on 127.0.0.1 for an etcd listener.
func freePort(t testing.TB) int { return testutil.FreePort(t, "127.0.0.1", false) }
