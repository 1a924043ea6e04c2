package sigv4

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestSignKnownAnswer checks the whole chain against the worked example of
// the AWS General Reference (IAM ListUsers, "Signature Version 4 test
// suite"): its canonical request, string to sign and signature.
func TestSignKnownAnswer(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08", nil)
	r.RequestURI = "/?Action=ListUsers&Version=2010-05-08"
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	r.Header.Set("X-Amz-Date", "20150830T123600Z")
	h := "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
	sig, err := ParseHeader(h, r.Header.Get("X-Amz-Date"), nil)
	if err != nil {
		t.Fatalf("ParseHeader: %v", err)
	}
	canonical := CanonicalRequest(r, nil, sig.SignedHeaders, false)
	wantCanonical := "GET\n/\nAction=ListUsers&Version=2010-05-08\n" +
		"content-type:application/x-www-form-urlencoded; charset=utf-8\nhost:iam.amazonaws.com\nx-amz-date:20150830T123600Z\n\n" +
		"content-type;host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	if canonical != wantCanonical {
		t.Errorf("canonical request: got %q, want %q", canonical, wantCanonical)
	}
	toSign := StringToSign(sig.Time, sig.Credential, canonical)
	wantToSign := "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\nf536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
	if toSign != wantToSign {
		t.Errorf("string to sign: got %q, want %q", toSign, wantToSign)
	}
	if got := Sign("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sig.Credential, toSign); !Equal(got, sig.Sent) {
		t.Errorf("signature: got %s, want %s", got, sig.Sent)
	}
	if !sig.DateMatches() {
		t.Errorf("DateMatches: got false for scope %s at %s, want true", sig.Credential.Date, sig.Time)
	}
}

func TestParseHeader(t *testing.T) {
	long := strings.Repeat("x", 300)
	clip := func(s string) string {
		if len(s) > 10 {
			return s[:10] + "..."
		}
		return s
	}
	for _, tt := range []struct {
		name, header, date string
		quote              func(string) string
		wantErr            string // "" when it parses
		wantCredential     bool   // a Signature comes back (with or without an error)
	}{
		{name: "complete", header: "AWS4-HMAC-SHA256 Credential=AKID/20261125/us-west-2/acm/aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
			date: "20261125T000000Z", wantCredential: true},
		{name: "other algorithm", header: "AWS4-HMAC-SHA1 Credential=a", date: "20261125T000000Z",
			wantErr: "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA1'"},
		{name: "every part missing", header: "AWS4-HMAC-SHA256 ", date: "",
			wantErr: "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
				"Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 "},
		{name: "short credential", header: "AWS4-HMAC-SHA256 Credential=AKID/20261125/us-west-2, SignedHeaders=host, Signature=00", date: "20261125T000000Z",
			wantErr: "Credential should be scoped to a valid region, not 'AKID/20261125/us-west-2'. "},
		{name: "bad date keeps the credential", header: "AWS4-HMAC-SHA256 Credential=AKID/20261125/us-west-2/acm/aws4_request, SignedHeaders=host, Signature=00", date: "yesterday",
			wantErr: "Date must be in ISO-8601 'basic format'. Got 'yesterday'. See http://en.wikipedia.org/wiki/ISO_8601", wantCredential: true},
		{name: "quote bounds repeated values", header: "AWS4-HMAC-SHA256 Credential=" + long + ", SignedHeaders=host, Signature=00", date: "20261125T000000Z", quote: clip,
			wantErr: "Credential should be scoped to a valid region, not 'xxxxxxxxxx...'. "},
		{name: "no quote repeats values whole", header: "AWS4-HMAC-SHA256 Credential=" + long + ", SignedHeaders=host, Signature=00", date: "20261125T000000Z",
			wantErr: "Credential should be scoped to a valid region, not '" + long + "'. "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sig, err := ParseHeader(tt.header, tt.date, tt.quote)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tt.wantErr {
				t.Errorf("error: got %q, want %q", gotErr, tt.wantErr)
			}
			if (sig != nil) != tt.wantCredential {
				t.Errorf("signature: got %+v, want one: %v", sig, tt.wantCredential)
			}
		})
	}
}

func TestEscape(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		slash    bool
		want     string
	}{
		{"unreserved kept", "AZaz09-_.~", true, "AZaz09-_.~"},
		{"space and reserved", "a b+c=d", true, "a%20b%2Bc%3Dd"},
		{"slash kept in a path", "/a/b", false, "/a/b"},
		{"slash escaped in a query", "/a/b", true, "%2Fa%2Fb"},
		{"escaped path escaped again", "/a%20b", false, "/a%2520b"},
		{"bytes in upper case hex", "\xff\x00", true, "%FF%00"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Escape(tt.in, tt.slash); got != tt.want {
				t.Errorf("Escape(%q, %v): got %q, want %q", tt.in, tt.slash, got, tt.want)
			}
		})
	}
}

func TestCanonicalRequestPresignedLeavesOutItsSignature(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/?X-Amz-Signature=ab&b=2&a=1", nil)
	got := CanonicalRequest(r, nil, []string{"host"}, true)
	if want := "GET\n/\na=1&b=2\nhost:example.com\n\nhost\n"; !strings.HasPrefix(got, want) {
		t.Errorf("presigned: got %q, want it to start with %q", got, want)
	}
	got = CanonicalRequest(r, nil, []string{"host"}, false)
	if want := "GET\n/\nX-Amz-Signature=ab&a=1&b=2\n"; !strings.HasPrefix(got, want) {
		t.Errorf("header-signed: got %q, want it to start with %q", got, want)
	}
}

func TestCanonicalRequestLeavesHeadersAsTheyCame(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Add("X-Spaced", "  a   b  ")
	got := CanonicalRequest(r, nil, []string{"x-spaced"}, false)
	if want := "x-spaced:a b\n"; !strings.Contains(got, want) {
		t.Errorf("canonical request: got %q, want it to contain %q", got, want)
	}
	if v := r.Header.Get("X-Spaced"); v != "  a   b  " {
		t.Errorf("header after: got %q, want it unchanged", v)
	}
}

// emptyHash is the SHA-256 of an empty body.
const emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// FuzzParseHeader feeds arbitrary Authorization headers, dates and request
// targets to the parser and the canonical request: they refuse or accept,
// never panic; what parses has a credential, and its canonical request ends
// with the signed headers and the body's hash.
func FuzzParseHeader(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKID/20260101/us-west-2/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=00", "20260101T000000Z", "/prod/x?a=b")
	f.Add("AWS4-HMAC-SHA256 Credential=/////, SignedHeaders=;;;, Signature=", "", "/")
	f.Add("Basic abc", "x", "/%zz")
	f.Fuzz(func(t *testing.T, auth, date, target string) {
		sig, err := ParseHeader(auth, date, nil)
		if err != nil {
			if _, ok := err.(*ParseError); !ok {
				t.Fatalf("error: got %T, want *ParseError", err)
			}
			return
		}
		if sig == nil || sig.Credential.AccessKey == "" {
			t.Fatalf("parsed: got %+v with no error, want a credential", sig)
		}
		r, rerr := http.NewRequest(http.MethodGet, "https://api.example.test"+target, nil)
		if rerr != nil {
			return
		}
		r.RequestURI = target
		canonical := CanonicalRequest(r, nil, sig.SignedHeaders, false)
		if want := "\n" + strings.Join(sig.SignedHeaders, ";") + "\n" + emptyHash; !strings.HasSuffix(canonical, want) {
			t.Fatalf("canonical request: got %q, want it to end with %q", canonical, want)
		}
		_ = Sign("secret", sig.Credential, StringToSign(sig.Time, sig.Credential, canonical))
	})
}
