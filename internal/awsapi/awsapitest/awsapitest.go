// Package awsapitest starts the AWS-compatible endpoint on loopback for tests
// and configures the real AWS SDK for Go v2 against it.
package awsapitest

import (
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
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
	srv := httptest.NewServer(awsapi.NewServer(map[string]string{Key: Secret}, slog.Default(), services...))
	t.Cleanup(srv.Close)
	return srv.URL, aws.Config{
		Region:           "us-west-2",
		Credentials:      credentials.NewStaticCredentialsProvider(Key, Secret, ""),
		BaseEndpoint:     aws.String(srv.URL),
		RetryMaxAttempts: 1,
		HTTPClient:       srv.Client(),
	}
}
