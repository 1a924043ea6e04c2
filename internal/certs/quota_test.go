package certs

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// quota sets the service's certificate quota to n.
func quota(n int) func(*Deps) { return func(d *Deps) { d.MaxCertificates = n } }

// TestRequestCertificateQuota fills the issued-certificate quota: the next
// request answers LimitExceededException, an idempotent repeat still returns
// its certificate, and a delete makes room again.
func TestRequestCertificateQuota(t *testing.T) {
	s, _ := newOpsService(t, quota(3))
	ctx := context.Background()
	var arns []string
	for i := range 3 {
		c, err := s.RequestCertificate(ctx, RequestInput{DomainName: fmt.Sprintf("c%d.example.test", i), IdempotencyToken: fmt.Sprintf("tok%d", i)})
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		arns = append(arns, c.ARN)
	}
	_, err := s.RequestCertificate(ctx, RequestInput{DomainName: "over.example.test"})
	wantAWSError(t, err, "LimitExceededException", "Cannot request more certificates in this account. Contact Customer Service for details")

	if c, err := s.RequestCertificate(ctx, RequestInput{DomainName: "c0.example.test", IdempotencyToken: "tok0"}); err != nil || c.ARN != arns[0] {
		t.Errorf("idempotent repeat at the quota: got %v, %v, want %s", c, err, arns[0])
	}
	// Imported certificates have their own quota.
	certPEM, keyPEM, _, err := s.ca.Issue([]string{"imp.example.test"}, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ImportCertificate(ctx, []byte(certPEM), []byte(keyPEM), nil, "", nil); err != nil {
		t.Errorf("import with the issued quota full: %v", err)
	}
	if err := s.DeleteCertificate(ctx, arns[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RequestCertificate(ctx, RequestInput{DomainName: "over.example.test"}); err != nil {
		t.Errorf("request after a delete: %v", err)
	}
}

// TestImportCertificateQuota fills the imported-certificate quota: the next
// import answers LimitExceededException, while a reimport (which adds nothing)
// still works.
func TestImportCertificateQuota(t *testing.T) {
	s, _ := newOpsService(t, quota(2))
	ctx := context.Background()
	certPEM, keyPEM, _, err := s.ca.Issue([]string{"imp.example.test"}, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var arn string
	for i := range 2 {
		c, err := s.ImportCertificate(ctx, []byte(certPEM), []byte(keyPEM), nil, "", nil)
		if err != nil {
			t.Fatalf("import %d: %v", i, err)
		}
		arn = c.ARN
	}
	_, err = s.ImportCertificate(ctx, []byte(certPEM), []byte(keyPEM), nil, "", nil)
	wantAWSError(t, err, "LimitExceededException", "An ACM quota has been exceeded.")
	if _, err := s.ImportCertificate(ctx, []byte(certPEM), []byte(keyPEM), nil, arn, nil); err != nil {
		t.Errorf("reimport at the quota: %v", err)
	}
}
