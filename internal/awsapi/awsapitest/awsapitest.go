// Package awsapitest starts the AWS-compatible endpoint on loopback for tests
// and configures the real AWS SDK for Go v2 against it.
package awsapitest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"

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
		HTTPClient:       HTTPClient(srv.Client().Transport),
	}
}

// HTTPClient returns the HTTP client Start gives the SDK: base, with the
// request bodies the SDK hands it stripped of their WriteTo method.
//
// smithy-go wraps a request body in a closer that it closes as soon as
// http.Client.Do returns, and whose WriteTo then answers io.EOF as an error.
// net/http's write loop may still be using the body at that point: after it
// has put the declared Content-Length on the socket it reads the body once
// more (with io.Copy, hence WriteTo) to check that nothing is left over.
// A local server can read the whole body and answer, and the SDK can get the
// response headers and close the body, before the write loop takes that
// step (a loaded machine, the race detector); the write loop then takes the
// io.EOF as a failed write and closes the connection, under the SDK still
// reading the response body: "failed to decode response body, read tcp …:
// use of closed network connection" on a 2xx answer. Read after Close
// answers a plain io.EOF, which io.Copy takes as the end of the body, so a
// body with only Read and Close cannot fail that way.
func HTTPClient(base http.RoundTripper) *http.Client {
	return &http.Client{Transport: readOnlyBodies{base}}
}

type readOnlyBodies struct{ base http.RoundTripper }

func (t readOnlyBodies) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		if _, ok := r.Body.(io.WriterTo); ok {
			r2 := *r // a RoundTripper must not modify the request
			r2.Body = readCloser{r.Body}
			r = &r2
		}
	}
	return t.base.RoundTrip(r)
}

// CloseIdleConnections closes base's, as http.Client.CloseIdleConnections
// expects of its transport.
func (t readOnlyBodies) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// readCloser has only the methods of io.ReadCloser.
type readCloser struct{ io.ReadCloser }

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

// MaxMessage is the longest error message a limit may produce: a value over
// its limit is clipped, so an oversized field never comes back whole (one at
// its limit may, as a service names an unknown ARN or a long record whole).
const MaxMessage = 4096

// WantRefusal fails t unless err is an API error with HTTP status, code and
// exactly msg, and msg is at most MaxMessage bytes long.
func WantRefusal(t testing.TB, err error, status int, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got %v, want %d %s", err, status, code)
	}
	var re interface{ HTTPStatusCode() int }
	if !errors.As(err, &re) || re.HTTPStatusCode() != status {
		t.Errorf("got status %v, want %d", re, status)
	}
	if ae.ErrorCode() != code || ae.ErrorMessage() != msg {
		t.Errorf("got %s %q,\nwant %s %q", ae.ErrorCode(), ae.ErrorMessage(), code, msg)
	}
	if n := len(ae.ErrorMessage()); n > MaxMessage {
		t.Errorf("got a message of %d bytes, want at most %d", n, MaxMessage)
	}
}

// WantAnswer fails t unless err answers as expected: with code "" the call
// must have been accepted (err is nil), otherwise it must have been refused as
// WantRefusal checks.
func WantAnswer(t testing.TB, err error, status int, code, msg string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("got %v, want it accepted", err)
		}
		return
	}
	WantRefusal(t, err, status, code, msg)
}

// WantClippedRefusal fails t unless err is a 400 API error with code and
// exactly msg (as APIError reads it) and the message is at most 1024 bytes
// long: a value over its limit comes back clipped.
func WantClippedRefusal(t testing.TB, err error, code, msg string) {
	t.Helper()
	gotStatus, gotCode, gotMsg := APIError(t, err)
	if gotStatus != 400 || gotCode != code || gotMsg != msg {
		t.Errorf("over the limit: got %d %s %.400q, want 400 %s %.400q", gotStatus, gotCode, gotMsg, code, msg)
	}
	if len(gotMsg) > 1024 {
		t.Errorf("over the limit: the message is %d bytes long, want the value clipped", len(gotMsg))
	}
}

// APIError returns the HTTP status, code and message err carries (200 and ""
// for nil). It fails t if err is not an AWS API error with an HTTP response.
func APIError(t testing.TB, err error) (status int, code, msg string) {
	t.Helper()
	if err == nil {
		return 200, "", ""
	}
	var ae smithy.APIError
	var re *awshttp.ResponseError
	if !errors.As(err, &ae) || !errors.As(err, &re) {
		t.Fatalf("got %v, want an AWS API error", err)
	}
	return re.HTTPStatusCode(), ae.ErrorCode(), ae.ErrorMessage()
}

// Coral is Coral's one-field validation message as a client reads it, with
// the value cut after 128 characters.
func Coral(value, field, constraint string) string {
	if len(value) > 128 {
		value = value[:128] + "..."
	}
	return fmt.Sprintf("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, field, constraint)
}

// MaxLen is Coral's constraint text for a length of at most n.
func MaxLen(n int) string { return fmt.Sprintf("Member must have length less than or equal to %d", n) }

// Long returns a string of n "a" characters.
func Long(n int) string { return strings.Repeat("a", n) }

// DomainOf returns a name of exactly n characters (n > len(zone)+1) ending
// in "."+zone, the rest made of valid labels of at most 63 fill characters:
// a valid DNS name when n is at most 253.
func DomainOf(n int, zone string, fill byte) string {
	var b strings.Builder
	for rest := n - len(zone) - 1; rest > 0; {
		if b.Len() > 0 {
			b.WriteByte('.')
			rest--
		}
		l := min(rest, 63)
		if rest-l == 1 { // a lone dot cannot end the prefix
			l--
		}
		b.WriteString(strings.Repeat(string(fill), l))
		rest -= l
	}
	return b.String() + "." + zone
}
