// Package awsapitest starts the AWS-compatible endpoint on loopback for tests
// and configures the real AWS SDK for Go v2 against it.
package awsapitest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"gatehouse/internal/awsapi"
)

// Key and Secret are the access key pair the test endpoint accepts.
const (
	Key    = "test"
	Secret = "test"
)

// Start serves the given services on a loopback port until the test ends
// and returns the endpoint URL and an SDK configuration signed with Key/Secret
// for region us-west-2 that does not retry (a test sees every answer).
func Start(t testing.TB, services ...*awsapi.Service) (string, aws.Config) {
	t.Helper()
	srv := httptest.NewServer(awsapi.NewServer("us-west-2", map[string]string{Key: Secret}, slog.Default(), services...))
	t.Cleanup(srv.Close)
	return srv.URL, aws.Config{
		Region:           "us-west-2",
		Credentials:      credentials.NewStaticCredentialsProvider(Key, Secret, ""),
		BaseEndpoint:     aws.String(srv.URL),
		RetryMaxAttempts: 1,
		HTTPClient:       srv.Client(),
	}
}

// Send signs req with Key/Secret for signingName in us-west-2 at the current
// time, as the SDKs sign, sends it and returns the answer's status, header and
// body. Any failure to sign, send or read fails t.
//
// It exists for the tests that must put on the wire what the SDKs would not
// send (malformed bodies, wrong types, unknown operations) or that check the
// wire format itself: they build req with their protocol's headers (content
// type, X-Amz-Target) and leave hashing the body, signing and sending here.
// req's body is read to hash it and restored before sending.
func Send(t testing.TB, req *http.Request, signingName string) (status int, header http.Header, body []byte) {
	t.Helper()
	var payload []byte
	if req.Body != nil {
		var err error
		if payload, err = io.ReadAll(req.Body); err != nil {
			t.Fatal(err)
		}
		req.Body.Close()
	}
	// A zero ContentLength with a non-nil Body would go out chunked, and the
	// signed content-length would not match.
	req.Body, req.ContentLength = http.NoBody, int64(len(payload))
	if len(payload) > 0 {
		req.Body = io.NopCloser(bytes.NewReader(payload))
	}
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(payload)), nil }
	sum := sha256.Sum256(payload)
	creds := aws.Credentials{AccessKeyID: Key, SecretAccessKey: Secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), signingName, "us-west-2", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if body, err = io.ReadAll(resp.Body); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, body
}
