package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// TestSignatureRefusalTexts checks the texts of a stale and of a wrong
// SigV4 signature against the layout execute-api answers (quoted in
// aws-amplify/aws-sdk-android#253 and arnemolland/sigv4#17).
func TestSignatureRefusalTexts(t *testing.T) {
	const key, secret = "AKIDR2TEST", "r2-secret"
	keys := map[string]string{key: secret}
	signedAt := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	sign := func(secret string) *http.Request {
		r, err := http.NewRequest("GET", "https://abc123defg.execute-api.us-west-2.amazonaws.com/prod/me", nil)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(nil)
		if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: key, SecretAccessKey: secret},
			r, hex.EncodeToString(sum[:]), "execute-api", "us-west-2", signedAt); err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, tc := range []struct {
		name, secret string
		now          time.Time
		want         string // exact, or the start when prefix
		prefix       bool
	}{
		{"expired", secret, signedAt.Add(6 * time.Minute),
			"Signature expired: 20261205T120000Z is now earlier than 20261205T120100Z (20261205T120600Z - 5 min.)", false},
		{"not yet current", secret, signedAt.Add(-6 * time.Minute),
			"Signature not yet current: 20261205T120000Z is still later than 20261205T115900Z (20261205T115400Z + 5 min.)", false},
		{"within the skew", secret, signedAt.Add(4 * time.Minute), "", false},
		{"wrong secret", "not-the-secret", signedAt,
			"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. " +
				"Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'GET\n/prod/me\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := sign(tc.secret)
			_, f := verifySigV4(r, nil, r.Header.Get("Authorization"), "us-west-2", keys, tc.now)
			switch {
			case tc.want == "" && f != nil:
				t.Fatalf("got refusal %q, want the signature accepted", f.message)
			case tc.want == "":
			case f == nil:
				t.Fatalf("got the signature accepted, want %q", tc.want)
			case f.status != 403 || f.errorType != "InvalidSignatureException":
				t.Errorf("got %d %s, want 403 InvalidSignatureException", f.status, f.errorType)
			case tc.prefix && !strings.HasPrefix(f.message, tc.want):
				t.Errorf("got %q, want it to start %q", f.message, tc.want)
			case !tc.prefix && f.message != tc.want:
				t.Errorf("got %q, want %q", f.message, tc.want)
			}
			if tc.prefix && f != nil && (!strings.Contains(f.message, "'\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n20261205T120000Z\n20261205/us-west-2/execute-api/aws4_request\n") ||
				!strings.HasSuffix(f.message, "'\n")) {
				t.Errorf("got %q, want the String-to-Sign section as API Gateway lays it out", f.message)
			}
		})
	}
}
