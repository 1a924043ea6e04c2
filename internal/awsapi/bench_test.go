package awsapi_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"gatehouse/internal/awsapi"
	"gatehouse/internal/awsapi/awsapitest"
)

// BenchmarkSignedJSONCall is the core's cost per request: read the body,
// verify SigV4, dispatch, decode, encode (go test -run '^$' -bench . ./internal/awsapi/).
// The request is signed once, outside the loop: the client's cost is not ours.
func BenchmarkSignedJSONCall(b *testing.B) {
	srv := awsapi.NewServer("us-west-2", map[string]string{awsapitest.Key: awsapitest.Secret}, nil, services()...)
	body := `{"Name":"a","Items":["x","y"],"Port":8}`
	req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:4566/", strings.NewReader(body))
	req.Header.Set("X-Amz-Target", "JSONSvc_2020.Echo")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: awsapitest.Key, SecretAccessKey: awsapitest.Secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "jsonsvc", "us-west-2", time.Now()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		r := req.Clone(context.Background())
		r.Body = io.NopCloser(strings.NewReader(body))
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
}
