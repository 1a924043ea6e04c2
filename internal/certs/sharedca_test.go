package certs

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/internal/live"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// openBolt opens a bbolt store in a fresh directory, closed when the test ends.
func openBolt(t *testing.T) store.Store {
	t.Helper()
	st, err := store.OpenBolt(t.TempDir())
	if err != nil {
		t.Fatalf("open bolt: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func loadShared(t *testing.T, st store.Store, dataDir string) *CA {
	t.Helper()
	ca, err := LoadOrCreateSharedCA(context.Background(), st, dataDir)
	if err != nil {
		t.Fatalf("LoadOrCreateSharedCA(%s): %v", dataDir, err)
	}
	return ca
}

// wantCAPEM checks that dataDir holds ca.pem with ca's certificate, mode 0644,
// and whether it holds ca-key.pem.
func wantCAPEM(t *testing.T, dataDir string, ca *CA, wantKeyFile bool) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dataDir, caCertFile))
	if err != nil {
		t.Fatalf("read ca.pem: %v", err)
	}
	if !bytes.Equal(b, ca.PEM()) {
		t.Errorf("%s/ca.pem: got %q, want the CA's certificate %q", dataDir, b, ca.PEM())
	}
	if bytes.Contains(b, []byte("PRIVATE KEY")) {
		t.Errorf("%s/ca.pem holds a private key, want the certificate only", dataDir)
	}
	fi, err := os.Stat(filepath.Join(dataDir, caCertFile))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fi.Mode().Perm(), os.FileMode(0o644); got != want {
		t.Errorf("ca.pem mode: got %v, want %v", got, want)
	}
	_, err = os.Stat(filepath.Join(dataDir, caKeyFile))
	if got := err == nil; got != wantKeyFile {
		t.Errorf("%s/ca-key.pem exists: got %v, want %v", dataDir, got, wantKeyFile)
	}
}

func TestSharedCATwoNodesOneStore(t *testing.T) {
	stores := []struct {
		name string
		open func(t *testing.T) store.Store
	}{
		{"mem", func(t *testing.T) store.Store { st := store.NewMem(); t.Cleanup(func() { st.Close() }); return st }},
		{"bolt", openBolt},
	}
	for _, tt := range stores {
		t.Run(tt.name, func(t *testing.T) {
			st := tt.open(t)
			dirA, dirB := t.TempDir(), t.TempDir()
			a := loadShared(t, st, dirA)
			b := loadShared(t, st, dirB)
			if !bytes.Equal(a.Certificate().Raw, b.Certificate().Raw) {
				t.Fatalf("node B's CA: got serial %s, want node A's %s", formatSerial(b.Certificate().SerialNumber), formatSerial(a.Certificate().SerialNumber))
			}
			// The key is the store's alone: a new CA leaves none on disk.
			wantCAPEM(t, dirA, a, false)
			wantCAPEM(t, dirB, a, false)
			// What node A issues verifies under the root node B's clients trust.
			certPEM, _, _, err := a.Issue([]string{"api.example.test"}, time.Now().Add(time.Hour))
			if err != nil {
				t.Fatalf("Issue: %v", err)
			}
			verify(t, b, certPEM, "api.example.test", true)
			// A restart leaves ca.pem as it was, byte for byte.
			before := snapshotDir(t, dirA)
			again := loadShared(t, st, dirA)
			if !bytes.Equal(again.Certificate().Raw, a.Certificate().Raw) {
				t.Errorf("CA after restart: got a different certificate, want the same")
			}
			if after := snapshotDir(t, dirA); after != before {
				t.Errorf("data directory after restart: got %q, want %q", after, before)
			}
		})
	}
}

func TestSharedCAImportsDataDir(t *testing.T) {
	st := openBolt(t)
	legacyDir := t.TempDir()
	legacy, err := LoadOrCreateCA(legacyDir) // an install from before the shared CA
	if err != nil {
		t.Fatal(err)
	}
	before := snapshotDir(t, legacyDir)
	imported := loadShared(t, st, legacyDir)
	if !bytes.Equal(imported.Certificate().Raw, legacy.Certificate().Raw) {
		t.Errorf("imported CA: got serial %s, want the data directory's %s", formatSerial(imported.Certificate().SerialNumber), formatSerial(legacy.Certificate().SerialNumber))
	}
	if !imported.key.Equal(legacy.key) {
		t.Errorf("imported CA key: got another key, want the data directory's")
	}
	if after := snapshotDir(t, legacyDir); after != before {
		t.Errorf("data directory after import: got %q, want it unchanged %q", after, before)
	}
	rec, _, err := store.Load[keyPairRecord](context.Background(), st, caStoreKey)
	if err != nil {
		t.Fatalf("load stored CA: %v", err)
	}
	keyPEM, err := os.ReadFile(filepath.Join(legacyDir, caKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if rec.PrivateKeyPEM != string(keyPEM) {
		t.Errorf("stored CA key: got %q, want ca-key.pem as it was %q", rec.PrivateKeyPEM, keyPEM)
	}
	// A new node needs only the store.
	newDir := t.TempDir()
	joined := loadShared(t, st, newDir)
	if !bytes.Equal(joined.Certificate().Raw, legacy.Certificate().Raw) {
		t.Errorf("new node's CA: got another certificate, want the imported one")
	}
	wantCAPEM(t, newDir, legacy, false)
}

// conflictOnce is a store whose first Get of key reports it missing, as if
// another node created it between this node's read and its write.
type conflictOnce struct {
	store.Store
	key  string
	once sync.Once
}

func (c *conflictOnce) Get(ctx context.Context, key string) (store.KV, error) {
	missing := false
	if key == c.key {
		c.once.Do(func() { missing = true })
	}
	if missing {
		return store.KV{}, store.ErrNotFound
	}
	return c.Store.Get(ctx, key)
}

func TestSharedCARaceYieldsOneCA(t *testing.T) {
	t.Run("loser reloads the winner's", func(t *testing.T) {
		st := store.NewMem()
		defer st.Close()
		winner := loadShared(t, st, t.TempDir())
		loserDir := t.TempDir()
		loser := loadShared(t, &conflictOnce{Store: st, key: caStoreKey}, loserDir)
		if !bytes.Equal(loser.Certificate().Raw, winner.Certificate().Raw) {
			t.Errorf("loser's CA: got serial %s, want the winner's %s", formatSerial(loser.Certificate().SerialNumber), formatSerial(winner.Certificate().SerialNumber))
		}
		wantCAPEM(t, loserDir, winner, false)
	})
	t.Run("eight nodes at once", func(t *testing.T) {
		st := openBolt(t)
		const nodes = 8
		cas := make([]*CA, nodes)
		errs := make([]error, nodes)
		var start, done sync.WaitGroup
		start.Add(1)
		for i := range nodes {
			dir := t.TempDir()
			done.Go(func() {
				start.Wait()
				cas[i], errs[i] = LoadOrCreateSharedCA(context.Background(), st, dir)
			})
		}
		start.Done()
		done.Wait()
		for i := range nodes {
			if errs[i] != nil {
				t.Fatalf("node %d: %v", i, errs[i])
			}
			if !bytes.Equal(cas[i].Certificate().Raw, cas[0].Certificate().Raw) {
				t.Errorf("node %d's CA: got serial %s, want node 0's %s", i, formatSerial(cas[i].Certificate().SerialNumber), formatSerial(cas[0].Certificate().SerialNumber))
			}
		}
		kvs, _, err := st.List(context.Background(), model.Prefix(model.KindCertificateAuthority))
		if err != nil {
			t.Fatal(err)
		}
		if len(kvs) != 1 {
			t.Errorf("CA records in the store: got %d, want 1", len(kvs))
		}
	})
}

func TestSharedCARefusesAnotherRoot(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, dir string) // the data directory, before a load on a store that holds a CA
		empty   bool                           // the store holds no CA
		wantErr string
	}{
		{"another CA's files", func(t *testing.T, dir string) {
			if _, err := LoadOrCreateCA(dir); err != nil {
				t.Fatal(err)
			}
		}, false, "is not the store's CA"},
		{"another CA's certificate alone", func(t *testing.T, dir string) {
			other := t.TempDir()
			if _, err := LoadOrCreateCA(other); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join(other, caCertFile))
			if err != nil {
				t.Fatal(err)
			}
			write(t, filepath.Join(dir, caCertFile), string(b))
		}, false, "is not the store's CA"},
		{"corrupt certificate", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, caCertFile), "not a certificate")
		}, false, caCertFile},
		{"key without certificate", func(t *testing.T, dir string) {
			if _, err := LoadOrCreateCA(dir); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(filepath.Join(dir, caCertFile)); err != nil {
				t.Fatal(err)
			}
		}, false, "exists without its certificate"},
		{"certificate without key, store empty", func(t *testing.T, dir string) {
			if _, err := LoadOrCreateCA(dir); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(filepath.Join(dir, caKeyFile)); err != nil {
				t.Fatal(err)
			}
		}, true, "exists without its key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := store.NewMem()
			defer st.Close()
			if !tt.empty {
				loadShared(t, st, t.TempDir())
			}
			dir := t.TempDir()
			tt.prepare(t, dir)
			before := snapshotDir(t, dir)
			_, err := LoadOrCreateSharedCA(context.Background(), st, dir)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("LoadOrCreateSharedCA: got error %v, want one containing %q", err, tt.wantErr)
			}
			if after := snapshotDir(t, dir); after != before {
				t.Errorf("data directory after a refused load: got %q, want it unchanged %q", after, before)
			}
			if tt.empty {
				if _, err := st.Get(context.Background(), caStoreKey); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("store after a refused load: got %v, want no CA", err)
				}
			}
		})
	}
}

// newNode returns a certs service as one node builds it: the store's CA.
func newNode(t *testing.T, st store.Store, now func() time.Time) *Service {
	t.Helper()
	return New(Deps{Store: st, Feed: live.NewFeed(model.EmptySnapshot()), Env: testEnv, CA: loadShared(t, st, t.TempDir()), Resolver: "127.0.11.254:53", Now: now})
}

// servedLeaf connects to a TLS server presenting c on loopback, verifying it
// against ca as a client would, and returns the leaf it was shown.
func servedLeaf(t *testing.T, c tls.Certificate, ca *CA, host string) *x509.Certificate {
	t.Helper()
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{c}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		_ = conn.(*tls.Conn).Handshake()
	}()
	pool := x509.NewCertPool()
	pool.AddCert(ca.Certificate())
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", l.Addr().String(), &tls.Config{RootCAs: pool, ServerName: host})
	if err != nil {
		t.Fatalf("TLS handshake as %s: %v", host, err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0]
}

func TestInternalCertificateShared(t *testing.T) {
	const name = "*.execute-api.us-west-2.amazonaws.com"
	const host = "abc123.execute-api.us-west-2.amazonaws.com"
	ctx := context.Background()
	st := openBolt(t)
	a, b := newNode(t, st, nil), newNode(t, st, nil)
	certA, err := a.InternalCertificate(ctx, name)
	if err != nil {
		t.Fatalf("node A InternalCertificate: %v", err)
	}
	certB, err := b.InternalCertificate(ctx, name)
	if err != nil {
		t.Fatalf("node B InternalCertificate: %v", err)
	}
	leafA, leafB := servedLeaf(t, certA, a.ca, host), servedLeaf(t, certB, b.ca, host)
	if !bytes.Equal(leafA.Raw, leafB.Raw) {
		t.Errorf("node B serves serial %s, want node A's %s", formatSerial(leafB.SerialNumber), formatSerial(leafA.SerialNumber))
	}
	if got, want := len(certB.Certificate), 2; got != want {
		t.Errorf("served chain: got %d certificates, want %d (leaf and CA)", got, want)
	}

	// Near its expiry, the next start replaces it, once for every node.
	late := func() time.Time { return leafA.NotAfter.Add(-internalRenewBefore / 2) }
	c, d := newNode(t, st, late), newNode(t, st, late)
	certC, err := c.InternalCertificate(ctx, name)
	if err != nil {
		t.Fatalf("node C InternalCertificate: %v", err)
	}
	certD, err := d.InternalCertificate(ctx, name)
	if err != nil {
		t.Fatalf("node D InternalCertificate: %v", err)
	}
	if bytes.Equal(certC.Leaf.Raw, leafA.Raw) {
		t.Errorf("certificate %v before its expiry: got the old one, want a new one", internalRenewBefore/2)
	}
	if !bytes.Equal(certC.Leaf.Raw, certD.Leaf.Raw) {
		t.Errorf("renewed certificate: node D got serial %s, want node C's %s", formatSerial(certD.Leaf.SerialNumber), formatSerial(certC.Leaf.SerialNumber))
	}
}

func TestInternalCertificateRaceYieldsOne(t *testing.T) {
	const name = "*.execute-api.us-west-2.amazonaws.com"
	st := store.NewMem()
	defer st.Close()
	const nodes = 8
	svcs := make([]*Service, nodes)
	for i := range svcs {
		svcs[i] = newNode(t, st, nil)
	}
	certs := make([]tls.Certificate, nodes)
	errs := make([]error, nodes)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range nodes {
		done.Go(func() {
			start.Wait()
			certs[i], errs[i] = svcs[i].InternalCertificate(context.Background(), name)
		})
	}
	start.Done()
	done.Wait()
	for i := range nodes {
		if errs[i] != nil {
			t.Fatalf("node %d: %v", i, errs[i])
		}
		if !bytes.Equal(certs[i].Leaf.Raw, certs[0].Leaf.Raw) {
			t.Errorf("node %d: got serial %s, want node 0's %s", i, formatSerial(certs[i].Leaf.SerialNumber), formatSerial(certs[0].Leaf.SerialNumber))
		}
	}
}

// FuzzParseCA feeds the CA parser what a store record or a data directory
// could hold: it must never panic, and what it accepts is a CA whose key
// matches its certificate.
func FuzzParseCA(f *testing.F) {
	ca, keyPEM, err := generateCA()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ca.pem, keyPEM)
	f.Add(ca.pem, []byte("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), keyPEM)
	f.Fuzz(func(t *testing.T, certPEM, keyPEM []byte) {
		got, err := parseCA("cert", certPEM, "key", keyPEM)
		if err != nil {
			return
		}
		if !got.cert.IsCA {
			t.Errorf("accepted a certificate that is not a CA")
		}
		if !got.key.PublicKey.Equal(got.cert.PublicKey) {
			t.Errorf("accepted a key that does not match the certificate")
		}
	})
}
