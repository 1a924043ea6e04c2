package acm_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkacm "github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/acm/types"

	"gatehouse/internal/awsapi/awsapitest"
	"gatehouse/internal/model"
	"gatehouse/internal/testutil"
)

// domainOf returns a valid domain name of exactly n characters (n ≥ 7)
// under "x.test".
func domainOf(n int) string { return awsapitest.DomainOf(n, "x.test", 'a') }

func tagsOf(n, keyLen, valueLen int) []types.Tag {
	out := make([]types.Tag, n)
	for i := range out {
		key := fmt.Sprintf("%0*d", keyLen, i)
		out[i] = types.Tag{Key: aws.String(key), Value: aws.String(strings.Repeat("v", valueLen))}
	}
	return out
}

// padded returns pem with trailing newlines up to exactly n bytes: ACM's
// limits count the field's bytes, and blank lines after the block parse.
func padded(pem []byte, n int) []byte {
	return append(bytes.Clone(pem), bytes.Repeat([]byte("\n"), n-len(pem))...)
}

// TestLimits: every limited field of every ACM operation, one over the limit
// (refused with ACM's status, code and message) and at it (accepted by the
// check; later checks may still refuse, as noted).
func TestLimits(t *testing.T) {
	_, cfg, _ := startBare(t)
	c := sdkacm.NewFromConfig(cfg)
	ctx := context.Background()

	issued, err := c.RequestCertificate(ctx, &sdkacm.RequestCertificateInput{DomainName: aws.String("tagged.example.test")})
	if err != nil {
		t.Fatal(err)
	}
	arn := issued.CertificateArn
	certPEM, keyPEM, _ := testutil.SelfSigned(t, "imported.example.test")
	long := awsapitest.Long
	validationLen := func(field, value string, max int) string {
		return fmt.Sprintf("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", model.Clip(value), field, max)
	}
	arnOf := func(n int) string {
		p := "arn:aws:acm:us-west-2:123456789012:certificate/"
		return p + long(n-len(p))
	}
	megabyte := long(1 << 20)

	type check struct {
		name string
		call func() error
		// code and msg are the refusal; code "" means the call must succeed.
		code, msg string
	}
	request := func(in sdkacm.RequestCertificateInput) func() error {
		return func() error { _, err := c.RequestCertificate(ctx, &in); return err }
	}
	// sans returns n distinct domain names of length characters each.
	sans := func(n, length int) []string {
		out := make([]string, n)
		for i := range out {
			p := fmt.Sprintf("s%d.", i)
			out[i] = p + domainOf(length-len(p))
		}
		return out
	}
	checks := []check{
		{"RequestCertificate DomainName at 253 (then ACM's 64 for the first name)", request(sdkacm.RequestCertificateInput{DomainName: aws.String(domainOf(253))}),
			"ValidationException", "The first domain name can be no longer than 64 characters."},
		{"RequestCertificate DomainName over 253", request(sdkacm.RequestCertificateInput{DomainName: aws.String(domainOf(254))}),
			"ValidationException", validationLen("domainName", domainOf(254), 253)},
		{"RequestCertificate DomainName of a megabyte", request(sdkacm.RequestCertificateInput{DomainName: aws.String(megabyte)}),
			"ValidationException", validationLen("domainName", megabyte, 253)},
		{"RequestCertificate DomainName at 64", request(sdkacm.RequestCertificateInput{DomainName: aws.String(domainOf(64))}), "", ""},
		{"RequestCertificate DomainName over 64", request(sdkacm.RequestCertificateInput{DomainName: aws.String(domainOf(65))}),
			"ValidationException", "The first domain name can be no longer than 64 characters."},
		{"RequestCertificate SubjectAlternativeNames at 100", request(sdkacm.RequestCertificateInput{DomainName: aws.String("sans.example.test"), SubjectAlternativeNames: sans(100, 40)}), "", ""},
		{"RequestCertificate SubjectAlternativeNames over 100", request(sdkacm.RequestCertificateInput{DomainName: aws.String("sans.example.test"), SubjectAlternativeNames: sans(101, 40)}),
			"ValidationException", "1 validation error detected: Value at 'subjectAlternativeNames' failed to satisfy constraint: Member must have length less than or equal to 100"},
		{"RequestCertificate SubjectAlternativeName at 253", request(sdkacm.RequestCertificateInput{DomainName: aws.String("san.example.test"), SubjectAlternativeNames: []string{domainOf(253)}}), "", ""},
		{"RequestCertificate SubjectAlternativeName over 253", request(sdkacm.RequestCertificateInput{DomainName: aws.String("san.example.test"), SubjectAlternativeNames: []string{domainOf(254)}}),
			"ValidationException", validationLen("subjectAlternativeNames.1.member", domainOf(254), 253)},
		{"RequestCertificate IdempotencyToken at 32", request(sdkacm.RequestCertificateInput{DomainName: aws.String("token.example.test"), IdempotencyToken: aws.String(long(32))}), "", ""},
		{"RequestCertificate IdempotencyToken over 32", request(sdkacm.RequestCertificateInput{DomainName: aws.String("token.example.test"), IdempotencyToken: aws.String(long(33))}),
			"ValidationException", validationLen("idempotencyToken", long(33), 32)},
		{"RequestCertificate Tags at 50, keys at 128, values at 256", request(sdkacm.RequestCertificateInput{DomainName: aws.String("tags.example.test"), Tags: tagsOf(50, 128, 256)}), "", ""},
		{"RequestCertificate Tags over 50", request(sdkacm.RequestCertificateInput{DomainName: aws.String("tags.example.test"), Tags: tagsOf(51, 8, 1)}),
			"TooManyTagsException", "The request contains too many tags: a certificate can have at most 50."},
		{"RequestCertificate tag key over 128", request(sdkacm.RequestCertificateInput{DomainName: aws.String("tags.example.test"), Tags: tagsOf(1, 129, 1)}),
			"ValidationException", fmt.Sprintf("1 validation error detected: Value '%s' at 'tags.member.key' failed to satisfy constraint: Member must have length between 1 and 128", model.Clip(fmt.Sprintf("%0129d", 0)))},
		{"RequestCertificate tag value over 256", request(sdkacm.RequestCertificateInput{DomainName: aws.String("tags.example.test"), Tags: tagsOf(1, 1, 257)}),
			"ValidationException", validationLen("tags.member.value", strings.Repeat("v", 257), 256)},
		{"ImportCertificate Certificate at 32768 and PrivateKey at 5120", func() error {
			_, err := c.ImportCertificate(ctx, &sdkacm.ImportCertificateInput{Certificate: padded(certPEM, 32768), PrivateKey: padded(keyPEM, 5120)})
			return err
		}, "", ""},
		{"ImportCertificate Certificate over 32768", func() error {
			_, err := c.ImportCertificate(ctx, &sdkacm.ImportCertificateInput{Certificate: padded(certPEM, 32769), PrivateKey: keyPEM})
			return err
		}, "ValidationException", "1 validation error detected: Value at 'certificate' failed to satisfy constraint: Member must have length less than or equal to 32768"},
		{"ImportCertificate PrivateKey over 5120", func() error {
			_, err := c.ImportCertificate(ctx, &sdkacm.ImportCertificateInput{Certificate: certPEM, PrivateKey: padded(keyPEM, 5121)})
			return err
		}, "ValidationException", "1 validation error detected: Value at 'privateKey' failed to satisfy constraint: Member must have length less than or equal to 5120"},
		{"ImportCertificate Tags over 50", func() error {
			_, err := c.ImportCertificate(ctx, &sdkacm.ImportCertificateInput{Certificate: certPEM, PrivateKey: keyPEM, Tags: tagsOf(51, 8, 1)})
			return err
		}, "TooManyTagsException", "The request contains too many tags: a certificate can have at most 50."},
		{"DescribeCertificate CertificateArn at 2048 (then not found)", func() error {
			_, err := c.DescribeCertificate(ctx, &sdkacm.DescribeCertificateInput{CertificateArn: aws.String(arnOf(2048))})
			return err
		}, "ResourceNotFoundException", fmt.Sprintf("Could not find certificate %s in account %s.", arnOf(2048), env.Account)},
		{"DescribeCertificate CertificateArn over 2048", func() error {
			_, err := c.DescribeCertificate(ctx, &sdkacm.DescribeCertificateInput{CertificateArn: aws.String(arnOf(2049))})
			return err
		}, "ValidationException", fmt.Sprintf("1 validation error detected: Value '%s' at 'certificateArn' failed to satisfy constraint: Member must have length between 20 and 2048", model.Clip(arnOf(2049)))},
		{"GetCertificate CertificateArn over 2048", func() error {
			_, err := c.GetCertificate(ctx, &sdkacm.GetCertificateInput{CertificateArn: aws.String(arnOf(2049))})
			return err
		}, "ValidationException", fmt.Sprintf("1 validation error detected: Value '%s' at 'certificateArn' failed to satisfy constraint: Member must have length between 20 and 2048", model.Clip(arnOf(2049)))},
		{"DeleteCertificate CertificateArn of a megabyte", func() error {
			_, err := c.DeleteCertificate(ctx, &sdkacm.DeleteCertificateInput{CertificateArn: aws.String(megabyte)})
			return err
		}, "ValidationException", fmt.Sprintf("1 validation error detected: Value '%s' at 'certificateArn' failed to satisfy constraint: Member must have length between 20 and 2048", model.Clip(megabyte))},
		{"ListCertificates NextToken at 10000 (then not a token of ours)", func() error {
			_, err := c.ListCertificates(ctx, &sdkacm.ListCertificatesInput{NextToken: aws.String(long(10000))})
			return err
		}, "InvalidArgsException", fmt.Sprintf("The NextToken %s is not valid.", model.Clip(long(10000)))},
		{"ListCertificates NextToken over 10000", func() error {
			_, err := c.ListCertificates(ctx, &sdkacm.ListCertificatesInput{NextToken: aws.String(long(10001))})
			return err
		}, "ValidationException", validationLen("nextToken", long(10001), 10000)},
		{"AddTagsToCertificate Tags at 50", func() error {
			_, err := c.AddTagsToCertificate(ctx, &sdkacm.AddTagsToCertificateInput{CertificateArn: arn, Tags: tagsOf(50, 128, 256)})
			return err
		}, "", ""},
		{"AddTagsToCertificate Tags over 50", func() error {
			_, err := c.AddTagsToCertificate(ctx, &sdkacm.AddTagsToCertificateInput{CertificateArn: arn, Tags: tagsOf(51, 8, 1)})
			return err
		}, "TooManyTagsException", "The request contains too many tags: a certificate can have at most 50."},
		{"AddTagsToCertificate tag value of a megabyte", func() error {
			_, err := c.AddTagsToCertificate(ctx, &sdkacm.AddTagsToCertificateInput{CertificateArn: arn, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String(megabyte)}}})
			return err
		}, "ValidationException", validationLen("tags.member.value", megabyte, 256)},
		{"RemoveTagsFromCertificate Tags at 50", func() error {
			_, err := c.RemoveTagsFromCertificate(ctx, &sdkacm.RemoveTagsFromCertificateInput{CertificateArn: arn, Tags: tagsOf(50, 128, 256)})
			return err
		}, "", ""},
		{"RemoveTagsFromCertificate Tags over 50", func() error {
			_, err := c.RemoveTagsFromCertificate(ctx, &sdkacm.RemoveTagsFromCertificateInput{CertificateArn: arn, Tags: tagsOf(51, 8, 1)})
			return err
		}, "ValidationException", "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"},
		{"RemoveTagsFromCertificate tag key over 128", func() error {
			_, err := c.RemoveTagsFromCertificate(ctx, &sdkacm.RemoveTagsFromCertificateInput{CertificateArn: arn, Tags: tagsOf(1, 129, 1)})
			return err
		}, "ValidationException", fmt.Sprintf("1 validation error detected: Value '%s' at 'tags.member.key' failed to satisfy constraint: Member must have length between 1 and 128", model.Clip(fmt.Sprintf("%0129d", 0)))},
	}
	for _, tc := range checks {
		t.Run(tc.name, func(t *testing.T) { awsapitest.WantAnswer(t, tc.call(), 400, tc.code, tc.msg) })
	}
}
