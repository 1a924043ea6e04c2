package certs

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"gatehouse/internal/model"
	"gatehouse/internal/paging"
	"gatehouse/internal/store"
)

// FuzzImportCertificate feeds arbitrary PEM bytes to ImportCertificate: it
// never panics, refuses with an AWS error, and stores nothing when it refuses.
func FuzzImportCertificate(f *testing.F) {
	ca, err := LoadOrCreateCA(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	certPEM, keyPEM, _, err := ca.Issue([]string{"fuzz.example.test"}, time.Now().Add(24*time.Hour))
	if err != nil {
		f.Fatal(err)
	}
	_, otherKey, _, err := ca.Issue([]string{"fuzz.example.test"}, time.Now().Add(24*time.Hour))
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(certPEM), []byte(keyPEM), ca.PEM())
	f.Add([]byte(certPEM), []byte(otherKey), []byte(nil))
	f.Add([]byte(certPEM+certPEM), []byte(keyPEM), []byte("junk"))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), []byte("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"), []byte(nil))
	f.Add([]byte(""), []byte(""), []byte(""))

	st := store.NewMem()
	f.Cleanup(func() { st.Close() })
	s := New(Deps{Store: st, Env: testEnv, CA: ca})
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, cert, key, chain []byte) {
		_, before, err := st.List(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		c, err := s.ImportCertificate(ctx, cert, key, chain, "", nil)
		_, after, _ := st.List(ctx, "")
		if err != nil {
			var e *model.Error
			if !errors.As(err, &e) {
				t.Fatalf("got a non-AWS error %v, want a *model.Error for bad input", err)
			}
			if after != before {
				t.Fatalf("store revision after a refused import: got %d, want %d", after, before)
			}
			return
		}
		if after == before || c.Status != model.CertIssued {
			t.Fatalf("accepted import: got rev %d→%d status %s, want a stored ISSUED certificate", before, after, c.Status)
		}
		if _, err := c.TLS(); err != nil {
			t.Fatalf("accepted import does not load as TLS: %v", err)
		}
	})
}

// FuzzListToken feeds arbitrary NextTokens to ListCertificates: it never
// panics, and a token is either refused with an AWS error or pages on.
func FuzzListToken(f *testing.F) {
	s, _ := newOpsService(f)
	for i := range 3 {
		if _, err := s.RequestCertificate(context.Background(), RequestInput{DomainName: fmt.Sprintf("c%d.example.test", i)}); err != nil {
			f.Fatal(err)
		}
	}
	f.Add("")
	f.Add("garbage")
	f.Add(paging.Token("2026-01-02T03:04:05.000000000Z arn:aws:acm:us-west-2:123456789012:certificate/x"))
	f.Fuzz(func(t *testing.T, token string) {
		one := 1
		_, err := s.ListCertificates(context.Background(), ListInput{NextToken: token, MaxItems: &one})
		var e *model.Error
		if err != nil && !errors.As(err, &e) {
			t.Fatalf("token %q: got a non-AWS error %v", token, err)
		}
	})
}
