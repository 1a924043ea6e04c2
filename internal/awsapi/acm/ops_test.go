package acm_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkacm "github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/acm/types"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
	"gatehouse/internal/testutil"
)

// detailedCert returns a self-signed P-256 certificate for names and its key
// (PEM) with the details these tests read back as ACM reports them: issuer
// organisation "Example Org", serial 42 ("2a"), and client as well as server
// authentication. testutil.SelfSigned, which has none of them, serves where
// the details do not matter.
func detailedCert(t testing.TB, names ...string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(42),
		Subject:      pkix.Name{CommonName: names[0], Organization: []string{"Example Org"}},
		DNSNames:     names,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
}

func TestImportCertificate(t *testing.T) {
	f := start(t)
	ctx := context.Background()
	certPEM, keyPEM := detailedCert(t, "imported.example.test", "alt.example.test")
	imp, err := f.client.ImportCertificate(ctx, &sdkacm.ImportCertificateInput{
		Certificate: certPEM,
		PrivateKey:  keyPEM,
		Tags:        []types.Tag{{Key: aws.String("team"), Value: aws.String("edge")}},
	})
	if err != nil {
		t.Fatalf("ImportCertificate: %v", err)
	}
	arn := imp.CertificateArn
	desc, err := f.client.DescribeCertificate(ctx, &sdkacm.DescribeCertificateInput{CertificateArn: arn})
	if err != nil {
		t.Fatalf("DescribeCertificate: %v", err)
	}
	c := desc.Certificate
	if c.Type != types.CertificateTypeImported || c.Status != types.CertificateStatusIssued || aws.ToString(c.DomainName) != "imported.example.test" || aws.ToString(c.Issuer) != "Example Org" {
		t.Errorf("got Type %s Status %s DomainName %s Issuer %s, want IMPORTED ISSUED imported.example.test Example Org", c.Type, c.Status, aws.ToString(c.DomainName), aws.ToString(c.Issuer))
	}
	if c.ImportedAt == nil || len(c.DomainValidationOptions) != 0 || aws.ToString(c.Serial) != "2a" {
		t.Errorf("got ImportedAt %v DomainValidationOptions %v Serial %q, want set, none, 2a", c.ImportedAt, c.DomainValidationOptions, aws.ToString(c.Serial))
	}
	got, err := f.client.GetCertificate(ctx, &sdkacm.GetCertificateInput{CertificateArn: arn})
	if err != nil || aws.ToString(got.Certificate) != string(certPEM) {
		t.Errorf("GetCertificate: got %v, %v; want the imported PEM", got, err)
	}
	tags, err := f.client.ListTagsForCertificate(ctx, &sdkacm.ListTagsForCertificateInput{CertificateArn: arn})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "team" || aws.ToString(tags.Tags[0].Value) != "edge" {
		t.Errorf("ListTagsForCertificate: got %+v, %v; want team=edge", tags, err)
	}

	// Reimport over the same ARN keeps it.
	certPEM2, keyPEM2, _ := testutil.SelfSigned(t, "imported.example.test")
	re, err := f.client.ImportCertificate(ctx, &sdkacm.ImportCertificateInput{CertificateArn: arn, Certificate: certPEM2, PrivateKey: keyPEM2})
	if err != nil || aws.ToString(re.CertificateArn) != aws.ToString(arn) {
		t.Fatalf("reimport: got %v, %v; want the same ARN", re, err)
	}
	if got, err := f.client.GetCertificate(ctx, &sdkacm.GetCertificateInput{CertificateArn: arn}); err != nil || aws.ToString(got.Certificate) != string(certPEM2) {
		t.Errorf("GetCertificate after reimport: got %v, %v; want the reimported PEM", got, err)
	}

	// A key that does not match the certificate is refused.
	_, err = f.client.ImportCertificate(ctx, &sdkacm.ImportCertificateInput{Certificate: certPEM, PrivateKey: keyPEM2})
	wantAPIError(t, err, "ValidationException", "The private key does not match the public key in the certificate.")
}

func TestTags(t *testing.T) {
	f := start(t)
	ctx := context.Background()
	req, err := f.client.RequestCertificate(ctx, &sdkacm.RequestCertificateInput{DomainName: aws.String("tags.example.test")})
	if err != nil {
		t.Fatal(err)
	}
	arn := req.CertificateArn
	if _, err := f.client.AddTagsToCertificate(ctx, &sdkacm.AddTagsToCertificateInput{CertificateArn: arn, Tags: []types.Tag{
		{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("b"), Value: aws.String("2")}, {Key: aws.String("c")},
	}}); err != nil {
		t.Fatalf("AddTagsToCertificate: %v", err)
	}
	// b only if its value is 3 (it is not); c whatever its value.
	if _, err := f.client.RemoveTagsFromCertificate(ctx, &sdkacm.RemoveTagsFromCertificateInput{CertificateArn: arn, Tags: []types.Tag{
		{Key: aws.String("b"), Value: aws.String("3")}, {Key: aws.String("c")},
	}}); err != nil {
		t.Fatalf("RemoveTagsFromCertificate: %v", err)
	}
	out, err := f.client.ListTagsForCertificate(ctx, &sdkacm.ListTagsForCertificateInput{CertificateArn: arn})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tg := range out.Tags {
		got = append(got, aws.ToString(tg.Key)+"="+aws.ToString(tg.Value))
	}
	if want := []string{"a=1", "b=2"}; !slices.Equal(got, want) {
		t.Errorf("tags: got %v, want %v", got, want)
	}
	_, err = f.client.AddTagsToCertificate(ctx, &sdkacm.AddTagsToCertificateInput{CertificateArn: arn, Tags: []types.Tag{{Key: aws.String("aws:reserved"), Value: aws.String("x")}}})
	wantAPIError(t, err, "InvalidTagException", "aws:")
}

func TestListCertificates(t *testing.T) {
	f := start(t)
	ctx := context.Background()
	var arns []string
	for _, d := range []string{"a.example.test", "b.example.test", "c.example.test"} {
		req, err := f.client.RequestCertificate(ctx, &sdkacm.RequestCertificateInput{DomainName: aws.String(d)})
		if err != nil {
			t.Fatal(err)
		}
		arns = append(arns, aws.ToString(req.CertificateArn))
	}
	certPEM, keyPEM := detailedCert(t, "imported.example.test")
	imp, err := f.client.ImportCertificate(ctx, &sdkacm.ImportCertificateInput{Certificate: certPEM, PrivateKey: keyPEM})
	if err != nil {
		t.Fatal(err)
	}
	arns = append(arns, aws.ToString(imp.CertificateArn))

	// The SDK's paginator walks pages of 2: every certificate once, oldest first.
	var got []string
	p := sdkacm.NewListCertificatesPaginator(f.client, &sdkacm.ListCertificatesInput{MaxItems: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("page %d: %v", pages, err)
		}
		pages++
		for _, s := range page.CertificateSummaryList {
			got = append(got, aws.ToString(s.CertificateArn))
		}
	}
	if !slices.Equal(got, arns) || pages != 2 {
		t.Errorf("paginated: got %v in %d pages, want %v in 2", got, pages, arns)
	}

	list := func(in *sdkacm.ListCertificatesInput) []string {
		t.Helper()
		out, err := f.client.ListCertificates(ctx, in)
		if err != nil {
			t.Fatalf("ListCertificates: %v", err)
		}
		var arns []string
		for _, s := range out.CertificateSummaryList {
			arns = append(arns, aws.ToString(s.CertificateArn))
		}
		return arns
	}
	tests := []struct {
		name string
		in   *sdkacm.ListCertificatesInput
		want []string
	}{
		{"pending", &sdkacm.ListCertificatesInput{CertificateStatuses: []types.CertificateStatus{types.CertificateStatusPendingValidation}}, arns[:3]},
		{"issued", &sdkacm.ListCertificatesInput{CertificateStatuses: []types.CertificateStatus{types.CertificateStatusIssued}}, arns[3:]},
		{"newest first", &sdkacm.ListCertificatesInput{SortBy: types.SortByCreatedAt, SortOrder: types.SortOrderDescending}, []string{arns[3], arns[2], arns[1], arns[0]}},
		{"RSA only", &sdkacm.ListCertificatesInput{Includes: &types.Filters{KeyTypes: []types.KeyAlgorithm{types.KeyAlgorithmRsa2048}}}, nil},
		{"client authentication", &sdkacm.ListCertificatesInput{Includes: &types.Filters{ExtendedKeyUsage: []types.ExtendedKeyUsageName{types.ExtendedKeyUsageNameTlsWebClientAuthentication}}}, arns[3:]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := list(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestDeleteInUse: a certificate a load balancer listener serves is in use.
func TestDeleteInUse(t *testing.T) {
	f := start(t)
	ctx := context.Background()
	req, err := f.client.RequestCertificate(ctx, &sdkacm.RequestCertificateInput{DomainName: aws.String("api.example.test")})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(req.CertificateArn)
	lb := "arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/app/edge/0123456789abcdef"
	lis := &model.Listener{
		ARN:             "arn:aws:elasticloadbalancing:us-west-2:123456789012:listener/app/edge/0123456789abcdef/fedcba9876543210",
		LoadBalancerARN: lb, Protocol: "HTTPS", Port: 443,
		Certificates: []model.ListenerCertificate{{CertificateARN: arn, IsDefault: true}},
	}
	if _, err := store.Save(ctx, f.st, model.Key(model.KindListener, lis.ARN), lis, 0); err != nil {
		t.Fatal(err)
	}
	desc, err := f.client.DescribeCertificate(ctx, &sdkacm.DescribeCertificateInput{CertificateArn: &arn})
	if err != nil {
		t.Fatal(err)
	}
	if got := desc.Certificate.InUseBy; !slices.Equal(got, []string{lb}) || desc.Certificate.RenewalEligibility != types.RenewalEligibilityEligible {
		t.Errorf("got InUseBy %v RenewalEligibility %s, want [%s] ELIGIBLE", got, desc.Certificate.RenewalEligibility, lb)
	}
	list, err := f.client.ListCertificates(ctx, &sdkacm.ListCertificatesInput{})
	if err != nil || len(list.CertificateSummaryList) != 1 || !aws.ToBool(list.CertificateSummaryList[0].InUse) {
		t.Errorf("ListCertificates: got %+v, %v; want the certificate InUse", list, err)
	}
	_, err = f.client.DeleteCertificate(ctx, &sdkacm.DeleteCertificateInput{CertificateArn: &arn})
	wantAPIError(t, err, "ResourceInUseException", "Certificate "+arn+" in account 123456789012 is in use.")

	if _, err := f.st.Delete(ctx, model.Key(model.KindListener, lis.ARN), store.Any); err != nil {
		t.Fatal(err)
	}
	if _, err := f.client.DeleteCertificate(ctx, &sdkacm.DeleteCertificateInput{CertificateArn: &arn}); err != nil {
		t.Fatalf("DeleteCertificate once unused: %v", err)
	}
	_, err = f.client.DescribeCertificate(ctx, &sdkacm.DescribeCertificateInput{CertificateArn: &arn})
	wantAPIError(t, err, "ResourceNotFoundException", "Could not find certificate "+arn)
}
