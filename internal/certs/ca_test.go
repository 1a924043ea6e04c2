package certs

import (
	"bytes"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadOrCreateCAPersists(t *testing.T) {
	dir := t.TempDir()
	first, err := LoadOrCreateCA(dir)
	if err != nil {
		t.Fatalf("first LoadOrCreateCA: %v", err)
	}
	second, err := LoadOrCreateCA(dir)
	if err != nil {
		t.Fatalf("second LoadOrCreateCA: %v", err)
	}
	if !bytes.Equal(first.Certificate().Raw, second.Certificate().Raw) {
		t.Errorf("got a different CA certificate on the second start, want the same")
	}
	if !bytes.Equal(first.PEM(), second.PEM()) {
		t.Errorf("got different CA PEM on the second start, want the same")
	}
	// A certificate issued before the restart verifies against the CA after it.
	certPEM, _, _, err := first.Issue([]string{"a.example.test"}, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	verify(t, second, certPEM, "a.example.test", true)

	ca := first.Certificate()
	if got, want := ca.Subject.CommonName, "gatehouse root CA"; got != want {
		t.Errorf("CA common name: got %q, want %q", got, want)
	}
	if !ca.IsCA || !ca.BasicConstraintsValid {
		t.Errorf("CA basic constraints: got IsCA=%v valid=%v, want both true", ca.IsCA, ca.BasicConstraintsValid)
	}
	if got, want := ca.KeyUsage, x509.KeyUsageCertSign|x509.KeyUsageCRLSign; got != want {
		t.Errorf("CA key usage: got %v, want %v", got, want)
	}
	if d := ca.NotAfter.Sub(ca.NotBefore); d < 9*365*24*time.Hour {
		t.Errorf("CA validity: got %v, want about 10 years", d)
	}
	for name, want := range map[string]os.FileMode{caCertFile: 0o644, caKeyFile: 0o600} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("stat %s: %v", name, err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s mode: got %v, want %v", name, got, want)
		}
	}
}

func TestLoadOrCreateCABroken(t *testing.T) {
	tests := []struct {
		name    string
		break_  func(t *testing.T, dir string)
		wantErr string
	}{
		{"corrupt certificate", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, caCertFile), "not a certificate")
		}, caCertFile},
		{"corrupt key", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, caKeyFile), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
		}, caKeyFile},
		{"missing key", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, caKeyFile)); err != nil {
				t.Fatal(err)
			}
		}, caKeyFile},
		{"missing certificate", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, caCertFile)); err != nil {
				t.Fatal(err)
			}
		}, caCertFile},
		{"key of another CA", func(t *testing.T, dir string) {
			other := t.TempDir()
			if _, err := LoadOrCreateCA(other); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join(other, caKeyFile))
			if err != nil {
				t.Fatal(err)
			}
			write(t, filepath.Join(dir, caKeyFile), string(b))
		}, "does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := LoadOrCreateCA(dir); err != nil {
				t.Fatal(err)
			}
			tt.break_(t, dir)
			before := snapshotDir(t, dir)
			_, err := LoadOrCreateCA(dir)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("LoadOrCreateCA: got error %v, want one naming %q", err, tt.wantErr)
			}
			if after := snapshotDir(t, dir); after != before {
				t.Errorf("data directory changed after a failed load: got %q, want %q", after, before)
			}
		})
	}
}

func TestIssueVerifies(t *testing.T) {
	ca, err := LoadOrCreateCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, leaf, err := ca.Issue([]string{"api.example.test", "*.apps.example.test"}, time.Now().Add(24*time.Hour))
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	if !strings.Contains(keyPEM, "PRIVATE KEY") {
		t.Errorf("key PEM: got %q, want a PEM private key", keyPEM)
	}
	if got := leaf.SerialNumber.BitLen(); got < 120 || got > 128 {
		t.Errorf("serial: got %d bits, want a 128-bit random serial", got)
	}
	if got := time.Until(leaf.NotBefore); got > -59*time.Minute {
		t.Errorf("NotBefore: got %v from now, want about an hour ago", got)
	}
	tests := []struct {
		name string
		host string
		want bool
	}{
		{"exact name", "api.example.test", true},
		{"wildcard match", "web.apps.example.test", true},
		{"other name", "other.example.test", false},
		{"wildcard is one label only", "a.b.apps.example.test", false},
		{"wildcard base itself", "apps.example.test", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { verify(t, ca, certPEM, tt.host, tt.want) })
	}
	// Another CA's pool does not trust it.
	other, err := LoadOrCreateCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	verify(t, other, certPEM, "api.example.test", false)
}

func TestIssueClampsToCA(t *testing.T) {
	ca, err := LoadOrCreateCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	_, _, leaf, err := ca.Issue([]string{"x.example.test"}, time.Now().Add(20*365*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := leaf.NotAfter, ca.Certificate().NotAfter; got.After(want) {
		t.Errorf("leaf NotAfter: got %v, want no later than the CA's %v", got, want)
	}
	if _, _, _, err := ca.Issue(nil, time.Now().Add(time.Hour)); err == nil {
		t.Errorf("Issue with no names: got nil error, want one")
	}
}

func TestFormatSerial(t *testing.T) {
	ca, err := LoadOrCreateCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	_, _, leaf, err := ca.Issue([]string{"x.example.test"}, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	s := formatSerial(leaf.SerialNumber)
	parts := strings.Split(s, ":")
	if len(parts) != 16 {
		t.Fatalf("serial %q: got %d octets, want 16", s, len(parts))
	}
	for _, p := range parts {
		if len(p) != 2 || strings.ToLower(p) != p {
			t.Errorf("serial %q: octet %q, want two lowercase hex digits", s, p)
		}
	}
}

// verify checks certPEM against a pool holding only ca's root, for host.
func verify(t *testing.T, ca *CA, certPEM, host string, want bool) {
	t.Helper()
	certs, ok := pemCertificates([]byte(certPEM))
	if !ok || len(certs) != 1 {
		t.Fatalf("parse issued certificate: got %d certificates", len(certs))
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Certificate())
	_, err := certs[0].Verify(x509.VerifyOptions{
		DNSName:   host,
		Roots:     pool,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if got := err == nil; got != want {
		t.Errorf("verify %s: got ok=%v (err %v), want ok=%v", host, got, err, want)
	}
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

// snapshotDir renders a directory's file names and contents, to show it unchanged.
func snapshotDir(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(e.Name() + "=" + string(data) + "\n")
	}
	return b.String()
}
