package model

import (
	"testing"

	"gatehouse/internal/testutil"
)

// selfSigned is an issued certificate record for name.
func selfSigned(t *testing.T, name string) *Certificate {
	certPEM, keyPEM, _ := testutil.SelfSigned(t, name)
	return &Certificate{DomainName: name, Status: CertIssued, CertificatePEM: string(certPEM), PrivateKeyPEM: string(keyPEM)}
}

// TestTLSCache: a certificate record that stays in the snapshots is parsed
// once; a changed record (a new pointer) is parsed anew, and one that a
// compile did not ask for is forgotten.
func TestTLSCache(t *testing.T) {
	a, b := selfSigned(t, "a.example.test"), selfSigned(t, "b.example.test")
	var k TLSCache
	first, err := k.TLS(a)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := k.TLS(a); again != first {
		t.Errorf("same compile: got a second parse of the same record")
	}
	if _, err := k.TLS(b); err != nil {
		t.Fatal(err)
	}
	k.Done()
	if next, _ := k.TLS(a); next != first {
		t.Errorf("next compile, record unchanged: got a new parse, want the kept one")
	}
	if got := first.Leaf.DNSNames; len(got) != 1 || got[0] != "a.example.test" {
		t.Errorf("parsed leaf names: got %v", got)
	}
	k.Done() // b was not asked for: forgotten
	if _, kept := k.last[b]; kept {
		t.Errorf("a record the compile did not use: still kept")
	}
	changed := *a
	if next, _ := k.TLS(&changed); next == first {
		t.Errorf("a changed record (new pointer): got the old parse")
	}
	if _, err := k.TLS(&Certificate{Status: CertPendingValidation}); err == nil {
		t.Errorf("a certificate with no key pair: got no error")
	}
}
