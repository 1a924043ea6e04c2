package sts_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sdksts "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"gatehouse/internal/awsapi/awsapitest"
	"gatehouse/internal/awsapi/sts"
	"gatehouse/internal/model"
)

var env = model.Env{Region: "us-west-2", Account: "123456789012"}

func TestGetCallerIdentity(t *testing.T) {
	_, cfg := awsapitest.Start(t, sts.New(env))
	out, err := sdksts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sdksts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	if got := [3]string{aws.ToString(out.Account), aws.ToString(out.Arn), aws.ToString(out.UserId)}; got != [3]string{"123456789012", "arn:aws:iam::123456789012:root", "123456789012"} {
		t.Errorf("got Account, Arn, UserId %q, want the account's root", got)
	}
}

// TestUnknownKey proves that a client with credentials the endpoint does not
// know learns it from GetCallerIdentity, as with AWS.
func TestUnknownKey(t *testing.T) {
	_, cfg := awsapitest.Start(t, sts.New(env))
	cfg.Credentials = credentials.NewStaticCredentialsProvider("AKIDUNKNOWN", "secret", "")
	_, err := sdksts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sdksts.GetCallerIdentityInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidClientTokenId" || ae.ErrorMessage() != "The security token included in the request is invalid." {
		t.Fatalf("got %v, want InvalidClientTokenId: The security token included in the request is invalid.", err)
	}
}

// post sends a signed awsQuery request with body and returns status and body.
func post(t testing.TB, endpoint, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, endpoint+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	status, _, b := awsapitest.Send(t, req, "sts")
	return status, string(b)
}

func TestMalformed(t *testing.T) {
	endpoint, _ := awsapitest.Start(t, sts.New(env))
	tests := []struct {
		name, body string
		status     int
		want       string // in the body
	}{
		{"unknown action", "Action=AssumeRoleWithMagic&Version=2011-06-15", 400, "<Code>InvalidAction</Code>"},
		{"no action", "Version=2011-06-15", 400, "<Code>InvalidAction</Code>"},
		{"unparseable form", "Action=GetCallerIdentity&Version=2011-06-15&%zz", 400, "<Code>ValidationError</Code>"},
		{"extra parameters are ignored", "Action=GetCallerIdentity&Version=2011-06-15&Foo.member.1=x", 200, "<Account>123456789012</Account>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := post(t, endpoint, tt.body)
			if status != tt.status || !strings.Contains(body, tt.want) {
				t.Fatalf("got %d %s, want %d with %s", status, body, tt.status, tt.want)
			}
		})
	}
}

// FuzzRequest sends arbitrary signed form bodies: every answer is a
// well-formed success or a client error, never a server error.
func FuzzRequest(f *testing.F) {
	for _, s := range []string{
		"Action=GetCallerIdentity&Version=2011-06-15",
		"Action=GetCallerIdentity",
		"Action=&Version=2011-06-15",
		"Action=GetCallerIdentity&Version=2011-06-15&A.member.999999999=1",
		"%%%",
	} {
		f.Add(s)
	}
	endpoint, _ := awsapitest.Start(f, sts.New(env))
	f.Fuzz(func(t *testing.T, body string) {
		status, resp := post(t, endpoint, body)
		if status >= 500 || !strings.HasPrefix(resp, "<?xml") {
			t.Fatalf("body %q: got %d %s, want a 2xx/4xx XML answer", body, status, resp)
		}
	})
}
