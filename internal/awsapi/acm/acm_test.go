package acm_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkacm "github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/acm/types"
	"github.com/aws/smithy-go"
	"github.com/miekg/dns"

	"gatehouse/internal/awsapi/acm"
	"gatehouse/internal/awsapi/awsapitest"
	"gatehouse/internal/certs"
	"gatehouse/internal/live"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
	"gatehouse/internal/testutil"
)

var env = model.Env{Region: "us-west-2", Account: "123456789012"}

// zone is an authoritative DNS server on loopback standing in for the Route 53
// hosted zone in which the walkthrough creates the validation CNAME.
type zone struct {
	addr   string
	mu     sync.Mutex
	cnames map[string]string // lowercase FQDN → target
}

func startZone(t *testing.T) *zone {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	z := &zone{addr: pc.LocalAddr().String(), cnames: map[string]string{}}
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, Handler: z, NotifyStartedFunc: func() { close(started) }}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.ActivateAndServe()
	}()
	<-started
	t.Cleanup(func() {
		srv.Shutdown()
		<-done
	})
	return z
}

func (z *zone) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	m.Authoritative = true
	if len(r.Question) == 1 {
		q := r.Question[0]
		z.mu.Lock()
		target, ok := z.cnames[strings.ToLower(q.Name)]
		z.mu.Unlock()
		if !ok {
			m.Rcode = dns.RcodeNameError
		} else {
			m.Answer = append(m.Answer, &dns.CNAME{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: 300}, Target: target})
		}
	}
	w.WriteMsg(m)
}

func (z *zone) set(name, target string) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.cnames[strings.ToLower(name)] = target
}

// newCerts returns a certs service on st with a fresh CA, re-checking pending
// validations every 20ms so that tests see issuance at once; Run is the
// caller's.
func newCerts(t testing.TB, st store.Store, feed *live.Feed, resolver string) *certs.Service {
	t.Helper()
	ca := testutil.Must[*certs.CA](t)(certs.LoadOrCreateCA(t.TempDir()))
	return certs.New(certs.Deps{Store: st, Feed: feed, Env: env, CA: ca, Resolver: resolver, Interval: 20 * time.Millisecond})
}

// fixture is a running certs service (validation loop included) behind the
// AWS endpoint, with the SDK client a user would use.
type fixture struct {
	st     store.Store
	zone   *zone
	client *sdkacm.Client
}

func start(t *testing.T) *fixture {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	st := store.NewMem()
	snap, err := live.Load(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	feed := live.NewFeed(snap)
	z := startZone(t)
	log := slog.New(slog.DiscardHandler)
	svc := newCerts(t, st, feed, z.addr)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		live.Watch(ctx, st, feed, log)
	}()
	go func() {
		defer wg.Done()
		if err := svc.Run(ctx); err != nil {
			t.Errorf("certs Run: %v", err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		st.Close()
	})
	_, cfg := awsapitest.Start(t, acm.New(svc))
	return &fixture{st: st, zone: z, client: sdkacm.NewFromConfig(cfg)}
}

// wantAPIError fails unless err is the AWS error code with a message
// containing msg.
func wantAPIError(t *testing.T, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got error %v, want %s", err, code)
	}
	if ae.ErrorCode() != code || !strings.Contains(ae.ErrorMessage(), msg) {
		t.Fatalf("got %s %q, want %s containing %q", ae.ErrorCode(), ae.ErrorMessage(), code, msg)
	}
}

// TestWalkthrough drives step 1 of the walkthrough (request a certificate with
// DNS validation, create the validation CNAME, wait until ISSUED) and the last
// clean-up step (delete it), reading what a script reads.
func TestWalkthrough(t *testing.T) {
	f := start(t)
	ctx := context.Background()

	req, err := f.client.RequestCertificate(ctx, &sdkacm.RequestCertificateInput{
		DomainName:              aws.String("api.example.test"),
		ValidationMethod:        types.ValidationMethodDns,
		SubjectAlternativeNames: []string{"api.example.test", "www.example.test"},
		IdempotencyToken:        aws.String("walkthrough1"),
		Tags:                    []types.Tag{{Key: aws.String("Name"), Value: aws.String("api-cert")}},
	})
	if err != nil {
		t.Fatalf("RequestCertificate: %v", err)
	}
	arn := aws.ToString(req.CertificateArn)
	if !strings.HasPrefix(arn, "arn:aws:acm:us-west-2:123456789012:certificate/") {
		t.Fatalf("CertificateArn: got %q, want arn:aws:acm:us-west-2:123456789012:certificate/…", arn)
	}
	// A retry with the same token is the same request.
	again, err := f.client.RequestCertificate(ctx, &sdkacm.RequestCertificateInput{
		DomainName: aws.String("api.example.test"), IdempotencyToken: aws.String("walkthrough1"),
	})
	if err != nil || aws.ToString(again.CertificateArn) != arn {
		t.Fatalf("RequestCertificate again with the token: got %v, %v; want %s", again, err, arn)
	}

	desc, err := f.client.DescribeCertificate(ctx, &sdkacm.DescribeCertificateInput{CertificateArn: &arn})
	if err != nil {
		t.Fatalf("DescribeCertificate: %v", err)
	}
	c := desc.Certificate
	if c.Status != types.CertificateStatusPendingValidation || c.Type != types.CertificateTypeAmazonIssued || aws.ToString(c.DomainName) != "api.example.test" {
		t.Errorf("pending: got Status %s Type %s DomainName %s, want PENDING_VALIDATION AMAZON_ISSUED api.example.test", c.Status, c.Type, aws.ToString(c.DomainName))
	}
	if got, want := c.SubjectAlternativeNames, []string{"api.example.test", "www.example.test"}; !slices.Equal(got, want) {
		t.Errorf("SubjectAlternativeNames: got %q, want %q", got, want)
	}
	if c.CreatedAt == nil || time.Since(*c.CreatedAt) > time.Hour || c.IssuedAt != nil || c.NotAfter != nil {
		t.Errorf("pending times: got CreatedAt %v IssuedAt %v NotAfter %v, want CreatedAt now and no others", c.CreatedAt, c.IssuedAt, c.NotAfter)
	}
	if len(c.DomainValidationOptions) != 2 {
		t.Fatalf("DomainValidationOptions: got %d, want 2", len(c.DomainValidationOptions))
	}
	for _, v := range c.DomainValidationOptions {
		rr := v.ResourceRecord
		if rr == nil || rr.Type != types.RecordTypeCname || !strings.HasSuffix(aws.ToString(rr.Name), "."+aws.ToString(v.DomainName)+".") || !strings.HasSuffix(aws.ToString(rr.Value), ".acm-validations.aws.") {
			t.Fatalf("%s: ResourceRecord %+v, want a CNAME _x.<domain>. → _y.acm-validations.aws.", aws.ToString(v.DomainName), rr)
		}
		if v.ValidationStatus != types.DomainStatusPendingValidation || v.ValidationMethod != types.ValidationMethodDns {
			t.Errorf("%s: got %s %s, want PENDING_VALIDATION DNS", aws.ToString(v.DomainName), v.ValidationStatus, v.ValidationMethod)
		}
	}
	_, err = f.client.GetCertificate(ctx, &sdkacm.GetCertificateInput{CertificateArn: &arn})
	wantAPIError(t, err, "RequestInProgressException", arn)

	// The user creates the validation records; the waiter the CLI's
	// `aws acm wait certificate-validated` uses sees them succeed.
	for _, v := range c.DomainValidationOptions {
		f.zone.set(aws.ToString(v.ResourceRecord.Name), aws.ToString(v.ResourceRecord.Value))
	}
	w := sdkacm.NewCertificateValidatedWaiter(f.client, func(o *sdkacm.CertificateValidatedWaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 50*time.Millisecond
	})
	if err := w.Wait(ctx, &sdkacm.DescribeCertificateInput{CertificateArn: &arn}, time.Minute); err != nil {
		t.Fatalf("wait certificate-validated: %v", err)
	}
	desc, err = f.client.DescribeCertificate(ctx, &sdkacm.DescribeCertificateInput{CertificateArn: &arn})
	if err != nil {
		t.Fatalf("DescribeCertificate: %v", err)
	}
	c = desc.Certificate
	if c.Status != types.CertificateStatusIssued || c.KeyAlgorithm != types.KeyAlgorithmEcPrime256v1 || aws.ToString(c.Subject) != "CN=api.example.test" || aws.ToString(c.SignatureAlgorithm) != "SHA256WITHECDSA" {
		t.Errorf("issued: got Status %s KeyAlgorithm %s Subject %q SignatureAlgorithm %q, want ISSUED EC_prime256v1 CN=api.example.test SHA256WITHECDSA",
			c.Status, c.KeyAlgorithm, aws.ToString(c.Subject), aws.ToString(c.SignatureAlgorithm))
	}
	if c.NotBefore == nil || c.NotAfter == nil || c.IssuedAt == nil || !c.NotAfter.After(time.Now().Add(390*24*time.Hour)) {
		t.Errorf("issued times: got NotBefore %v NotAfter %v IssuedAt %v, want all set and NotAfter 395 days ahead", c.NotBefore, c.NotAfter, c.IssuedAt)
	}
	if len(aws.ToString(c.Serial)) != 47 || len(c.InUseBy) != 0 || c.RenewalEligibility != types.RenewalEligibilityIneligible {
		t.Errorf("got Serial %q InUseBy %v RenewalEligibility %s, want 16 colon-separated octets, none, INELIGIBLE", aws.ToString(c.Serial), c.InUseBy, c.RenewalEligibility)
	}
	if len(c.ExtendedKeyUsages) != 1 || c.ExtendedKeyUsages[0].Name != types.ExtendedKeyUsageNameTlsWebServerAuthentication || aws.ToString(c.ExtendedKeyUsages[0].OID) != "1.3.6.1.5.5.7.3.1" {
		t.Errorf("ExtendedKeyUsages: got %+v, want TLS_WEB_SERVER_AUTHENTICATION 1.3.6.1.5.5.7.3.1", c.ExtendedKeyUsages)
	}
	for _, v := range c.DomainValidationOptions {
		if v.ValidationStatus != types.DomainStatusSuccess {
			t.Errorf("%s: got ValidationStatus %s, want SUCCESS", aws.ToString(v.DomainName), v.ValidationStatus)
		}
	}

	got, err := f.client.GetCertificate(ctx, &sdkacm.GetCertificateInput{CertificateArn: &arn})
	if err != nil {
		t.Fatalf("GetCertificate: %v", err)
	}
	block, _ := pem.Decode([]byte(aws.ToString(got.Certificate)))
	if block == nil {
		t.Fatalf("Certificate: got %q, want PEM", aws.ToString(got.Certificate))
	}
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM([]byte(aws.ToString(got.CertificateChain))) {
		t.Fatalf("CertificateChain: got %q, want PEM", aws.ToString(got.CertificateChain))
	}
	if _, err := leaf.Verify(x509.VerifyOptions{DNSName: "www.example.test", Roots: roots}); err != nil {
		t.Errorf("the certificate does not verify for www.example.test against its chain: %v", err)
	}

	list, err := f.client.ListCertificates(ctx, &sdkacm.ListCertificatesInput{CertificateStatuses: []types.CertificateStatus{types.CertificateStatusIssued}})
	if err != nil {
		t.Fatalf("ListCertificates: %v", err)
	}
	if len(list.CertificateSummaryList) != 1 || aws.ToString(list.CertificateSummaryList[0].CertificateArn) != arn || aws.ToString(list.CertificateSummaryList[0].DomainName) != "api.example.test" {
		t.Fatalf("ListCertificates ISSUED: got %+v, want the one certificate", list.CertificateSummaryList)
	}
	if s := list.CertificateSummaryList[0]; s.Status != types.CertificateStatusIssued || aws.ToBool(s.InUse) || s.NotAfter == nil {
		t.Errorf("summary: got Status %s InUse %v NotAfter %v, want ISSUED false set", s.Status, aws.ToBool(s.InUse), s.NotAfter)
	}

	// Clean-up step 6.
	if _, err := f.client.DeleteCertificate(ctx, &sdkacm.DeleteCertificateInput{CertificateArn: &arn}); err != nil {
		t.Fatalf("DeleteCertificate: %v", err)
	}
	_, err = f.client.DescribeCertificate(ctx, &sdkacm.DescribeCertificateInput{CertificateArn: &arn})
	wantAPIError(t, err, "ResourceNotFoundException", "Could not find certificate "+arn+" in account 123456789012.")
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("got %T, want the SDK's *types.ResourceNotFoundException", err)
	}
}
