package certs

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/live"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
	"gatehouse/internal/testutil"
)

var testEnv = model.Env{Region: "us-west-2", Account: "123456789012"}

// newOpsService returns a service on a fresh mem store, not running; set
// changes its Deps (a quota, the clock) for the test.
func newOpsService(t testing.TB, set ...func(*Deps)) (*Service, store.Store) {
	t.Helper()
	st := store.NewMem()
	t.Cleanup(func() { st.Close() })
	d := Deps{Store: st, Feed: live.NewFeed(model.EmptySnapshot()), Env: testEnv, CA: testutil.Must[*CA](t)(LoadOrCreateCA(t.TempDir())), Resolver: "127.0.11.254:53"}
	for _, f := range set {
		f(&d)
	}
	return New(d), st
}

// wantAWSError fails unless err is a *model.Error with the code and a message
// containing msg.
func wantAWSError(t *testing.T, err error, code, msg string) {
	t.Helper()
	var e *model.Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %v, want %s", err, code)
	}
	if e.Code != code || e.Status != 400 || !strings.Contains(e.Message, msg) {
		t.Fatalf("got %d %s %q, want 400 %s containing %q", e.Status, e.Code, e.Message, code, msg)
	}
}

var (
	arnRE         = regexp.MustCompile(`^arn:aws:acm:us-west-2:123456789012:certificate/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	recordNameRE  = regexp.MustCompile(`^_[0-9a-f]{32}\.(.+)\.$`)
	recordValueRE = regexp.MustCompile(`^_[0-9a-f]{32}\.[a-z]{10}\.acm-validations\.aws\.$`)
)

func TestRequestCertificate(t *testing.T) {
	s, _ := newOpsService(t)
	ctx := context.Background()
	c, err := s.RequestCertificate(ctx, RequestInput{
		DomainName:              "API.example.test",
		SubjectAlternativeNames: []string{"*.api.example.test", "api.example.test", "www.example.test"},
		Tags:                    map[string]string{"env": "test"},
	})
	if err != nil {
		t.Fatalf("RequestCertificate: %v", err)
	}
	if !arnRE.MatchString(c.ARN) {
		t.Errorf("ARN: got %q, want arn:aws:acm:<region>:<account>:certificate/<uuid>", c.ARN)
	}
	if got, want := c.Status, model.CertPendingValidation; got != want {
		t.Errorf("Status: got %q, want %q", got, want)
	}
	if got, want := c.SubjectAlternativeNames, []string{"api.example.test", "*.api.example.test", "www.example.test"}; !slices.Equal(got, want) {
		t.Errorf("SubjectAlternativeNames: got %q, want %q (DomainName first, no duplicates)", got, want)
	}
	if c.Type != "AMAZON_ISSUED" || c.ValidationMethod != "DNS" || c.KeyAlgorithm != "EC_prime256v1" {
		t.Errorf("got Type %q ValidationMethod %q KeyAlgorithm %q, want AMAZON_ISSUED DNS EC_prime256v1", c.Type, c.ValidationMethod, c.KeyAlgorithm)
	}
	if len(c.Validations) != 3 {
		t.Fatalf("Validations: got %d, want one per distinct name (3)", len(c.Validations))
	}
	for _, v := range c.Validations {
		rr := v.ResourceRecord
		m := recordNameRE.FindStringSubmatch(rr.Name)
		if m == nil {
			t.Errorf("%s: record name %q, want _<32 hex>.<domain>.", v.DomainName, rr.Name)
			continue
		}
		if got, want := m[1], strings.TrimPrefix(v.DomainName, "*."); got != want {
			t.Errorf("%s: record name under %q, want under %q", v.DomainName, got, want)
		}
		if rr.Type != "CNAME" || !recordValueRE.MatchString(rr.Value) {
			t.Errorf("%s: record %s %q, want CNAME _<32 hex>.<10 letters>.acm-validations.aws.", v.DomainName, rr.Type, rr.Value)
		}
		if v.ValidationStatus != "PENDING_VALIDATION" {
			t.Errorf("%s: ValidationStatus %q, want PENDING_VALIDATION", v.DomainName, v.ValidationStatus)
		}
	}
	if c.Validations[0].ResourceRecord != c.Validations[1].ResourceRecord {
		t.Errorf("wildcard record %+v, want the base name's %+v", c.Validations[1].ResourceRecord, c.Validations[0].ResourceRecord)
	}
	if c.Validations[0].ResourceRecord == c.Validations[2].ResourceRecord {
		t.Errorf("two domains got the same record %+v, want distinct", c.Validations[0].ResourceRecord)
	}

	// A new request for the same domain reuses the same CNAME, as ACM does.
	again, err := s.RequestCertificate(ctx, RequestInput{DomainName: "api.example.test"})
	if err != nil {
		t.Fatal(err)
	}
	if again.ARN == c.ARN {
		t.Errorf("second request: got the same ARN, want a new certificate")
	}
	if got, want := again.Validations[0].ResourceRecord, c.Validations[0].ResourceRecord; got != want {
		t.Errorf("re-request record: got %+v, want the same %+v", got, want)
	}
	// Another account gets another record.
	if got := ValidationRecord("999999999999", "api.example.test"); got == c.Validations[0].ResourceRecord {
		t.Errorf("another account: got the same record %+v, want a different one", got)
	}

	got, err := s.DescribeCertificate(ctx, c.ARN)
	if err != nil {
		t.Fatalf("DescribeCertificate: %v", err)
	}
	if got.ARN != c.ARN || got.Tags["env"] != "test" {
		t.Errorf("DescribeCertificate: got %s tags %v, want %s tags env=test", got.ARN, got.Tags, c.ARN)
	}
}

func TestRequestCertificateIdempotency(t *testing.T) {
	s, st := newOpsService(t)
	ctx := context.Background()
	first, err := s.RequestCertificate(ctx, RequestInput{DomainName: "a.example.test", IdempotencyToken: "tok1"})
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.RequestCertificate(ctx, RequestInput{DomainName: "a.example.test", IdempotencyToken: "tok1"})
	if err != nil {
		t.Fatal(err)
	}
	if second.ARN != first.ARN {
		t.Errorf("same token within the hour: got ARN %s, want %s", second.ARN, first.ARN)
	}
	other, err := s.RequestCertificate(ctx, RequestInput{DomainName: "a.example.test", IdempotencyToken: "tok2"})
	if err != nil {
		t.Fatal(err)
	}
	if other.ARN == first.ARN {
		t.Errorf("another token: got the same ARN, want a new certificate")
	}
	// An hour later the token no longer matches.
	if _, err := store.Update(ctx, st, model.Key(model.KindCertificate, first.ARN), func(c *model.Certificate) error {
		c.CreatedAt = c.CreatedAt.Add(-61 * time.Minute)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	late, err := s.RequestCertificate(ctx, RequestInput{DomainName: "a.example.test", IdempotencyToken: "tok1"})
	if err != nil {
		t.Fatal(err)
	}
	if late.ARN == first.ARN {
		t.Errorf("same token after an hour: got the old ARN, want a new certificate")
	}
}

func TestRequestCertificateErrors(t *testing.T) {
	long := strings.Repeat("a", 60) + ".example.test"
	tests := []struct {
		name string
		in   RequestInput
		code string
		msg  string
	}{
		{"no domain", RequestInput{}, "ValidationException", "Member must not be null"},
		{"single label", RequestInput{DomainName: "localhost"}, "ValidationException", "at 'domainName' failed to satisfy constraint: Member must satisfy regular expression pattern"},
		{"leading hyphen", RequestInput{DomainName: "-a.example.test"}, "ValidationException", "regular expression pattern"},
		{"underscore", RequestInput{DomainName: "a_b.example.test"}, "ValidationException", "regular expression pattern"},
		{"inner wildcard", RequestInput{DomainName: "a.*.example.test"}, "ValidationException", "regular expression pattern"},
		{"trailing dot", RequestInput{DomainName: "a.example.test."}, "ValidationException", "regular expression pattern"},
		{"label too long", RequestInput{DomainName: strings.Repeat("a", 64) + ".test"}, "ValidationException", "regular expression pattern"},
		{"first name over 64", RequestInput{DomainName: long}, "ValidationException", "64"},
		{"bad SAN", RequestInput{DomainName: "a.example.test", SubjectAlternativeNames: []string{"ok.example.test", "bad..example.test"}}, "ValidationException", "'subjectAlternativeNames.2.member'"},
		{"email validation", RequestInput{DomainName: "a.example.test", ValidationMethod: "EMAIL"}, "InvalidParameterException", "EMAIL"},
		{"unknown method", RequestInput{DomainName: "a.example.test", ValidationMethod: "PIGEON"}, "ValidationException", "enum value set"},
		{"token pattern", RequestInput{DomainName: "a.example.test", IdempotencyToken: "a-b"}, "ValidationException", "idempotencyToken"},
		{"token too long", RequestInput{DomainName: "a.example.test", IdempotencyToken: strings.Repeat("a", 33)}, "ValidationException", "idempotencyToken"},
		{"aws tag", RequestInput{DomainName: "a.example.test", Tags: map[string]string{"aws:x": "1"}}, "InvalidTagException", "aws:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, st := newOpsService(t)
			_, err := s.RequestCertificate(context.Background(), tt.in)
			wantAWSError(t, err, tt.code, tt.msg)
			if kvs, _, _ := st.List(context.Background(), ""); len(kvs) != 0 {
				t.Errorf("store after a refused request: got %d keys, want 0", len(kvs))
			}
		})
	}
	// A long name is fine as an alternative name.
	s, _ := newOpsService(t)
	if _, err := s.RequestCertificate(context.Background(), RequestInput{DomainName: "a.example.test", SubjectAlternativeNames: []string{long}}); err != nil {
		t.Errorf("long SAN: got %v, want it accepted", err)
	}
}

func TestDescribeCertificateErrors(t *testing.T) {
	s, _ := newOpsService(t)
	tests := []struct {
		name, arn, code, msg string
	}{
		{"empty", "", "ValidationException", "must not be null"},
		{"malformed", "not-an-arn-but-long-enough", "ValidationException", "regular expression pattern"},
		{"not a certificate", "arn:aws:acm:us-west-2:123456789012:thing/abc", "InvalidArnException", "not a valid certificate ARN"},
		{"unknown", "arn:aws:acm:us-west-2:123456789012:certificate/12345678-1234-4234-8234-123456789012", "ResourceNotFoundException", "arn:aws:acm:us-west-2:123456789012:certificate/12345678-1234-4234-8234-123456789012"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.DescribeCertificate(context.Background(), tt.arn)
			wantAWSError(t, err, tt.code, tt.msg)
		})
	}
}

func TestListCertificates(t *testing.T) {
	s, st := newOpsService(t)
	ctx := context.Background()
	a, err := s.RequestCertificate(ctx, RequestInput{DomainName: "a.example.test"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.RequestCertificate(ctx, RequestInput{DomainName: "b.example.test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Update(ctx, st, model.Key(model.KindCertificate, b.ARN), func(c *model.Certificate) error {
		c.Status = model.CertIssued
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		statuses []string
		want     []string
	}{
		{"all", nil, []string{a.ARN, b.ARN}},
		{"issued", []string{"ISSUED"}, []string{b.ARN}},
		{"pending", []string{"PENDING_VALIDATION"}, []string{a.ARN}},
		{"none match", []string{"EXPIRED"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, err := s.ListCertificates(ctx, ListInput{Statuses: tt.statuses})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range list.Certificates {
				got = append(got, c.ARN)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	_, err = s.ListCertificates(ctx, ListInput{Statuses: []string{"BOGUS"}})
	wantAWSError(t, err, "ValidationException", "enum value set")
}

func TestDeleteCertificateInUse(t *testing.T) {
	s, st := newOpsService(t)
	ctx := context.Background()
	c, err := s.RequestCertificate(ctx, RequestInput{DomainName: "api.example.test"})
	if err != nil {
		t.Fatal(err)
	}
	lbARN := "arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/app/edge/0123456789abcdef"
	lis := &model.Listener{
		ARN:             "arn:aws:elasticloadbalancing:us-west-2:123456789012:listener/app/edge/0123456789abcdef/fedcba9876543210",
		LoadBalancerARN: lbARN,
		Protocol:        "HTTPS",
		Port:            443,
		Certificates:    []model.ListenerCertificate{{CertificateARN: c.ARN, IsDefault: true}},
	}
	if _, err := store.Save(ctx, st, model.Key(model.KindListener, lis.ARN), lis, 0); err != nil {
		t.Fatal(err)
	}
	dn := &model.DomainName{Name: "api.example.test", RegionalCertificateARN: c.ARN}
	if _, err := store.Save(ctx, st, model.Key(model.KindDomainName, dn.Name), dn, 0); err != nil {
		t.Fatal(err)
	}

	err = s.DeleteCertificate(ctx, c.ARN)
	wantAWSError(t, err, "ResourceInUseException", "Certificate "+c.ARN+" in account 123456789012 is in use.")

	want := []string{"arn:aws:apigateway:us-west-2::/domainnames/api.example.test", lbARN}
	if got, err := s.Users(ctx, c.ARN); err != nil || !slices.Equal(got, want) {
		t.Errorf("Users: got %v (%v), want %v", got, err, want)
	}
	list, err := s.ListCertificates(ctx, ListInput{})
	if err != nil || len(list.Certificates) != 1 || !list.Certificates[0].InUse {
		t.Errorf("ListCertificates: got %+v (%v), want the certificate, in use", list, err)
	}

	if _, err := st.Delete(ctx, model.Key(model.KindListener, lis.ARN), store.Any); err != nil {
		t.Fatal(err)
	}
	err = s.DeleteCertificate(ctx, c.ARN)
	wantAWSError(t, err, "ResourceInUseException", "is in use")

	if _, err := st.Delete(ctx, model.Key(model.KindDomainName, dn.Name), store.Any); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteCertificate(ctx, c.ARN); err != nil {
		t.Fatalf("DeleteCertificate once unused: %v", err)
	}
	_, err = s.DescribeCertificate(ctx, c.ARN)
	wantAWSError(t, err, "ResourceNotFoundException", c.ARN)
	err = s.DeleteCertificate(ctx, c.ARN)
	wantAWSError(t, err, "ResourceNotFoundException", c.ARN)
}

func TestImportCertificate(t *testing.T) {
	s, st := newOpsService(t)
	ctx := context.Background()
	certPEM, keyPEM, _, err := s.ca.Issue([]string{"imp.example.test", "alt.example.test"}, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.ImportCertificate(ctx, []byte(certPEM), []byte(keyPEM), s.ca.PEM(), "", map[string]string{"k": "v"})
	if err != nil {
		t.Fatalf("ImportCertificate: %v", err)
	}
	if c.Type != "IMPORTED" || c.Status != model.CertIssued || c.KeyAlgorithm != "EC_prime256v1" {
		t.Errorf("got Type %q Status %q KeyAlgorithm %q, want IMPORTED ISSUED EC_prime256v1", c.Type, c.Status, c.KeyAlgorithm)
	}
	if got, want := c.SubjectAlternativeNames, []string{"imp.example.test", "alt.example.test"}; c.DomainName != "imp.example.test" || !slices.Equal(got, want) {
		t.Errorf("got DomainName %q SANs %q, want imp.example.test %q", c.DomainName, got, want)
	}
	if _, err := c.TLS(); err != nil {
		t.Errorf("TLS() of the imported certificate: %v", err)
	}

	// Reimport keeps the ARN and tags.
	cert2, key2, _, err := s.ca.Issue([]string{"imp.example.test"}, time.Now().Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	re, err := s.ImportCertificate(ctx, []byte(cert2), []byte(key2), nil, c.ARN, nil)
	if err != nil {
		t.Fatalf("reimport: %v", err)
	}
	if re.ARN != c.ARN || re.Tags["k"] != "v" || re.CertificatePEM == c.CertificatePEM {
		t.Errorf("reimport: got ARN %s tags %v, want the same ARN and tags with the new certificate", re.ARN, re.Tags)
	}

	// Refusals store nothing.
	_, otherKey, _, err := s.ca.Issue([]string{"imp.example.test"}, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	otherCA, err := LoadOrCreateCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	requested, err := s.RequestCertificate(ctx, RequestInput{DomainName: "req.example.test"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name             string
		cert, key, chain string
		arn              string
		tags             map[string]string
		code, msg        string
	}{
		{"mismatched key", certPEM, otherKey, "", "", nil, "ValidationException", "does not match"},
		{"garbage certificate", "hello", keyPEM, "", "", nil, "ValidationException", "Unable to parse certificate"},
		{"two certificates", certPEM + certPEM, keyPEM, "", "", nil, "ValidationException", "more than one certificate"},
		{"garbage key", certPEM, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "", "", nil, "ValidationException", "private key"},
		{"empty key", certPEM, "", "", "", nil, "ValidationException", "'privateKey'"},
		{"wrong chain", certPEM, keyPEM, string(otherCA.PEM()), "", nil, "ValidationException", "certificate chain"},
		{"reimport unknown", certPEM, keyPEM, "", "arn:aws:acm:us-west-2:123456789012:certificate/12345678-1234-4234-8234-123456789012", nil, "ResourceNotFoundException", "Could not find certificate"},
		{"reimport requested", certPEM, keyPEM, "", requested.ARN, nil, "ValidationException", "not an imported certificate"},
		{"reimport with tags", certPEM, keyPEM, "", c.ARN, map[string]string{"a": "b"}, "InvalidParameterException", "tags"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, before, _ := st.List(ctx, "")
			var chain []byte
			if tt.chain != "" {
				chain = []byte(tt.chain)
			}
			_, err := s.ImportCertificate(ctx, []byte(tt.cert), []byte(tt.key), chain, tt.arn, tt.tags)
			wantAWSError(t, err, tt.code, tt.msg)
			if _, after, _ := st.List(ctx, ""); after != before {
				t.Errorf("store revision after a refused import: got %d, want %d", after, before)
			}
		})
	}
}

func TestImportCertificateExpired(t *testing.T) {
	// A certificate valid for a day, imported two days on.
	s, _ := newOpsService(t, func(d *Deps) { d.Now = func() time.Time { return time.Now().Add(48 * time.Hour) } })
	certPEM, keyPEM, _ := testutil.SelfSigned(t, "old.example.test")
	_, err := s.ImportCertificate(context.Background(), certPEM, keyPEM, nil, "", nil)
	wantAWSError(t, err, "ValidationException", "expired")
}

func TestTags(t *testing.T) {
	s, _ := newOpsService(t)
	ctx := context.Background()
	c, err := s.RequestCertificate(ctx, RequestInput{DomainName: "t.example.test", Tags: map[string]string{"a": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddTags(ctx, c.ARN, map[string]string{"b": "2", "c": "3"}); err != nil {
		t.Fatalf("AddTags: %v", err)
	}
	one, wrong := "1", "nope"
	if err := s.RemoveTags(ctx, c.ARN, map[string]*string{"a": &one, "b": nil, "c": &wrong}); err != nil {
		t.Fatalf("RemoveTags: %v", err)
	}
	got, err := s.ListTags(ctx, c.ARN)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got["c"] != "3" {
		t.Errorf("tags: got %v, want only c=3 (a removed by value, b by key, c kept: value differs)", got)
	}
	many := map[string]string{}
	for i := range 50 {
		many[strings.Repeat("k", i+1)] = "v"
	}
	err = s.AddTags(ctx, c.ARN, many)
	wantAWSError(t, err, "TooManyTagsException", "50")
	err = s.AddTags(ctx, c.ARN, map[string]string{"aws:reserved": "x"})
	wantAWSError(t, err, "InvalidTagException", "aws:")
	err = s.AddTags(ctx, "arn:aws:acm:us-west-2:123456789012:certificate/12345678-1234-4234-8234-123456789012", map[string]string{"x": "y"})
	wantAWSError(t, err, "ResourceNotFoundException", "Could not find certificate")
}
