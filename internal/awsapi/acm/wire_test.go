package acm_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"gatehouse/internal/awsapi/acm"
	"gatehouse/internal/awsapi/awsapitest"
	"gatehouse/internal/live"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// call sends a signed awsJson1.1 request for op with body, as the SDKs do, and
// returns the status and the decoded error envelope (or output).
func call(t testing.TB, endpoint, op, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, endpoint+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "CertificateManager."+op)
	status, _, b := awsapitest.Send(t, req, "acm")
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s %s: answer %q is not a JSON object: %v", op, body, b, err)
	}
	return status, out
}

// startBare serves ACM over a certs service that is not running its
// validation loop: enough for requests that fail or only touch the store. It
// returns the endpoint, the SDK's configuration for it and the store.
func startBare(t testing.TB) (string, aws.Config, store.Store) {
	t.Helper()
	st := store.NewMem()
	t.Cleanup(func() { st.Close() })
	url, cfg := awsapitest.Start(t, acm.New(newCerts(t, st, live.NewFeed(model.EmptySnapshot()), "127.0.0.1:53")))
	return url, cfg, st
}

const unknownARN = "arn:aws:acm:us-west-2:123456789012:certificate/12345678-1234-4234-8234-123456789012"

// TestErrors: every malformed or wrong request is a 400 with ACM's code and
// message, never a 500.
func TestErrors(t *testing.T) {
	endpoint, _, _ := startBare(t)
	tests := []struct {
		name, op, body string
		code, msg      string // msg: contained in the message
	}{
		{"not JSON", "DescribeCertificate", `{"CertificateArn":`, "SerializationException", ""},
		{"a JSON array", "ListCertificates", `[]`, "SerializationException", ""},
		{"wrong type", "DescribeCertificate", `{"CertificateArn": 5}`, "SerializationException", "CertificateArn"},
		{"wrong nested type", "ListCertificates", `{"Includes": {"keyTypes": "RSA_2048"}}`, "SerializationException", ""},
		{"fractional MaxItems", "ListCertificates", `{"MaxItems": 1.5}`, "SerializationException", "MaxItems"},
		{"blob not base64", "ImportCertificate", `{"Certificate": "!!!", "PrivateKey": "a2V5"}`, "SerializationException", ""},
		{"missing arn", "DescribeCertificate", `{}`, "ValidationException", "1 validation error detected: Value null at 'certificateArn' failed to satisfy constraint: Member must not be null"},
		{"null arn", "GetCertificate", `{"CertificateArn": null}`, "ValidationException", "Value null at 'certificateArn'"},
		{"empty body", "DeleteCertificate", ``, "ValidationException", "Value null at 'certificateArn'"},
		{"missing domain", "RequestCertificate", `{"ValidationMethod": "DNS"}`, "ValidationException", "Value null at 'domainName'"},
		{"missing blobs", "ImportCertificate", `{}`, "ValidationException", "2 validation errors detected: Value null at 'certificate' failed to satisfy constraint: Member must not be null; Value null at 'privateKey'"},
		{"empty blob", "ImportCertificate", `{"Certificate": "", "PrivateKey": "a2V5"}`, "ValidationException", "'certificate' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"not PEM", "ImportCertificate", `{"Certificate": "bm90IHBlbQ==", "PrivateKey": "a2V5"}`, "ValidationException", "Unable to parse certificate"},
		{"missing tags", "AddTagsToCertificate", `{"CertificateArn": "` + unknownARN + `"}`, "ValidationException", "Value null at 'tags'"},
		{"tag without key", "AddTagsToCertificate", `{"CertificateArn": "` + unknownARN + `", "Tags": [{"Value": "x"}]}`, "ValidationException", "Value null at 'key'"},
		{"bad domain", "RequestCertificate", `{"DomainName": "no_dots"}`, "ValidationException", "at 'domainName' failed to satisfy constraint: Member must satisfy regular expression pattern"},
		{"bad validation method", "RequestCertificate", `{"DomainName": "a.example.test", "ValidationMethod": "FAX"}`, "ValidationException", "enum value set: [EMAIL, DNS, HTTP]"},
		{"email validation", "RequestCertificate", `{"DomainName": "a.example.test", "ValidationMethod": "EMAIL"}`, "InvalidParameterException", "DNS only"},
		{"unsupported key algorithm", "RequestCertificate", `{"DomainName": "a.example.test", "KeyAlgorithm": "RSA_2048"}`, "InvalidParameterException", "EC_prime256v1"},
		{"bad key algorithm", "RequestCertificate", `{"DomainName": "a.example.test", "KeyAlgorithm": "DSA"}`, "ValidationException", "at 'keyAlgorithm'"},
		{"bad arn", "DescribeCertificate", `{"CertificateArn": "not-an-arn-but-long-enough"}`, "ValidationException", "at 'certificateArn' failed to satisfy constraint: Member must satisfy regular expression pattern"},
		{"not a certificate arn", "DescribeCertificate", `{"CertificateArn": "arn:aws:acm:us-west-2:123456789012:thing/abc"}`, "InvalidArnException", "arn:aws:acm:us-west-2:123456789012:thing/abc"},
		{"unknown certificate", "DescribeCertificate", `{"CertificateArn": "` + unknownARN + `"}`, "ResourceNotFoundException", "Could not find certificate " + unknownARN + " in account 123456789012."},
		{"get unknown", "GetCertificate", `{"CertificateArn": "` + unknownARN + `"}`, "ResourceNotFoundException", "Could not find certificate"},
		{"delete unknown", "DeleteCertificate", `{"CertificateArn": "` + unknownARN + `"}`, "ResourceNotFoundException", "Could not find certificate"},
		{"tag unknown", "AddTagsToCertificate", `{"CertificateArn": "` + unknownARN + `", "Tags": [{"Key": "k"}]}`, "ResourceNotFoundException", "Could not find certificate"},
		{"untag unknown", "RemoveTagsFromCertificate", `{"CertificateArn": "` + unknownARN + `", "Tags": [{"Key": "k"}]}`, "ResourceNotFoundException", "Could not find certificate"},
		{"list tags unknown", "ListTagsForCertificate", `{"CertificateArn": "` + unknownARN + `"}`, "ResourceNotFoundException", "Could not find certificate"},
		{"reimport unknown", "ImportCertificate", `{"CertificateArn": "` + unknownARN + `", "Certificate": "bm90IHBlbQ==", "PrivateKey": "a2V5"}`, "ValidationException", "Unable to parse certificate"},
		{"bad status", "ListCertificates", `{"CertificateStatuses": ["BOGUS"]}`, "ValidationException", "Value 'BOGUS' at 'certificateStatuses.1.member'"},
		{"bad key type", "ListCertificates", `{"Includes": {"keyTypes": ["blah"]}}`, "ValidationException", "1 validation error detected: Value '[blah]' at 'includes.keyTypes' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [RSA_1024, RSA_2048, EC_secp384r1, EC_prime256v1, EC_secp521r1, RSA_3072, RSA_4096]]"},
		{"MaxItems 0", "ListCertificates", `{"MaxItems": 0}`, "ValidationException", "Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"MaxItems too many", "ListCertificates", `{"MaxItems": 1001}`, "ValidationException", "less than or equal to 1000"},
		{"bad NextToken", "ListCertificates", `{"NextToken": "garbage"}`, "InvalidArgsException", "garbage"},
		{"SortBy alone", "ListCertificates", `{"SortBy": "CREATED_AT"}`, "ValidationException", "SortOrder"},
		{"unknown operation", "ExplodeCertificate", `{}`, "UnknownOperationException", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := call(t, endpoint, tt.op, tt.body)
			code, _ := out["__type"].(string)
			msg, _ := out["message"].(string)
			if status != http.StatusBadRequest || code != tt.code || !strings.Contains(msg, tt.msg) {
				t.Errorf("got %d %s %q, want 400 %s containing %q", status, code, msg, tt.code, tt.msg)
			}
		})
	}
}

// FuzzRequest sends arbitrary bodies to every operation: each answer is a JSON
// object, and a failure is a client error in ACM's envelope, never a 500.
func FuzzRequest(f *testing.F) {
	ops := []string{"RequestCertificate", "DescribeCertificate", "ListCertificates", "GetCertificate", "ImportCertificate",
		"DeleteCertificate", "AddTagsToCertificate", "RemoveTagsFromCertificate", "ListTagsForCertificate"}
	seeds := []string{
		`{"DomainName": "api.example.test", "SubjectAlternativeNames": ["*.api.example.test"], "IdempotencyToken": "t1", "Tags": [{"Key": "k", "Value": "v"}]}`,
		`{"CertificateArn": "` + unknownARN + `"}`,
		`{"CertificateStatuses": ["ISSUED"], "Includes": {"keyTypes": ["EC_prime256v1"], "keyUsage": ["ANY"]}, "MaxItems": 5, "NextToken": "eA", "SortBy": "CREATED_AT", "SortOrder": "DESCENDING"}`,
		`{"Certificate": "LS0tLS1CRUdJTg==", "PrivateKey": "a2V5", "CertificateChain": "", "Tags": []}`,
		`{"CertificateArn": "` + unknownARN + `", "Tags": [{"Key": "k"}, {"Key": "aws:x", "Value": "y"}]}`,
		`{"Tags": [null], "Includes": null}`,
		`null`, `[]`, `"x"`, `{"DomainName": {}}`,
	}
	for i, s := range seeds {
		f.Add(uint8(i), s)
	}
	endpoint, _, st := startBare(f)
	f.Fuzz(func(t *testing.T, op uint8, body string) {
		// Each input starts from an empty account: certificates that earlier
		// inputs created would make every later listing slower.
		t.Cleanup(func() { deleteAll(t, st, model.Prefix(model.KindCertificate)) })
		name := ops[int(op)%len(ops)]
		status, out := call(t, endpoint, name, body)
		if status == http.StatusOK {
			return
		}
		if status != http.StatusBadRequest || out["__type"] == nil || out["message"] == nil {
			t.Fatalf("%s %q: got %d %v, want 200 or a 400 in ACM's envelope", name, body, status, out)
		}
	})
}

// deleteAll deletes every record under prefix.
func deleteAll(t *testing.T, st store.Store, prefix string) {
	ctx := context.Background()
	kvs, _, err := st.List(ctx, prefix)
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range kvs {
		if _, err := st.Delete(ctx, kv.Key, store.Any); err != nil {
			t.Fatal(err)
		}
	}
}
