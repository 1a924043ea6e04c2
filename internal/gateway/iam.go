package gateway

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"gatehouse/internal/gateway/policy"
)

// IAM authorization (authorizationType AWS_IAM): the request must carry a
// SigV4 signature for service execute-api in the gateway's region, made
// with one of the daemon's AWS keys (Deps.AWSKeys, the keys the AWS API
// accepts). Every such key acts as the account's root user, as STS's
// GetCallerIdentity reports it, so IAM allows and only the resource
// policy's explicit Deny for the caller can refuse (§A7's same-account
// table). The caller's identity fills $context.identity.
//
// Answers (§A2, §A10; the texts are SigV4's own, as awsapi/sigv4.go has them):
// no signature → 403 Missing Authentication Token; an incomplete one → 403
// IncompleteSignatureException; an unknown key → 403 "The security token
// included in the request is invalid."; a wrong signature → 403 "The
// request signature we calculated does not match…" with the canonical
// request and string to sign, as API Gateway appends them; a stale one →
// 403 "Signature expired: …".

const (
	sigAlgorithm = "AWS4-HMAC-SHA256"
	sigDate      = "20060102T150405Z"
	// sigSkew is how far a signature's time may be from the clock. API
	// Gateway's texts name 5 minutes ("… - 5 min."); UNVERIFIED.
	sigSkew           = 5 * time.Minute
	executeAPIService = "execute-api"
	msgSigMismatch    = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgBadToken       = "The security token included in the request is invalid."
)

// caller is a verified IAM caller.
type caller struct {
	accessKey string
	arn       string // arn:aws:iam::ACCOUNT:root
}

// signatureFailure is a SigV4 refusal as API Gateway answers it: 403 with
// the exception's type; customisable as INVALID_SIGNATURE (UNVERIFIED for
// the unknown key and incomplete cases).
func signatureFailure(errorType, msg string) *failure {
	b, _ := json.Marshal(map[string]string{"message": msg})
	return &failure{responseType: "INVALID_SIGNATURE", status: 403, errorType: errorType, message: msg, body: string(b)}
}

// authorizeIAM is the AWS_IAM step: verify the signature, fill the
// identity, then evaluate the resource policy (deferred by resolve) with
// the caller as principal.
func (s *Service) authorizeIAM(x *exchange) *refusal {
	r := x.r
	h := r.Header.Get("Authorization")
	if h == "" && r.URL.Query().Get("X-Amz-Signature") == "" {
		return &refusal{failure: failMissingToken, level: slog.LevelDebug, msg: "AWS_IAM method called without a signature"}
	}
	if h == "" {
		// UNVERIFIED: whether execute-api accepts presigned URLs.
		return &refusal{failure: signatureFailure("IncompleteSignatureException", "Authorization header requires 'Credential' parameter."),
			level: slog.LevelDebug, msg: "AWS_IAM method called with a query-string signature"}
	}
	body, err := io.ReadAll(http.MaxBytesReader(x.w, r.Body, maxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return refuseTooLarge
		}
		return bodyUnreadable(err)
	}
	// The integration reads the body again.
	r.Body = io.NopCloser(bytes.NewReader(body))
	c, f := verifySigV4(r, body, h, s.env.Region, s.d.AWSKeys, time.Now())
	if f != nil {
		return &refusal{failure: f, level: slog.LevelDebug, msg: "AWS_IAM signature refused", args: []any{"type", f.errorType}}
	}
	c.arn = "arn:aws:iam::" + s.env.Account + ":root"
	// The root user's id, and so its caller and user, is the account id.
	for field, v := range map[string]string{"accountId": s.env.Account, "caller": s.env.Account,
		"user": s.env.Account, "userArn": c.arn, "accessKey": c.accessKey} {
		x.setIdentity(field, v)
	}
	if sr := x.res.stage; sr != nil && x.res.policyDeferred {
		req := x.res.policyReq
		req.Principal = c.arn
		if sr.policy.Evaluate(req) == policy.ExplicitDeny {
			return &refusal{failure: accessDeniedTo(c.arn, x.res.arn), level: slog.LevelDebug, msg: "resource policy denies the caller explicitly"}
		}
	}
	return nil
}

// accessDeniedTo is the resource policy's explicit deny of a signed caller.
func accessDeniedTo(principal, arn string) *failure {
	msg := "User: " + principal + " is not authorized to perform: execute-api:Invoke on resource: " + arn + " with an explicit deny"
	b, _ := json.Marshal(map[string]string{"Message": msg})
	return &failure{responseType: "ACCESS_DENIED", status: 403, errorType: "AccessDeniedException", message: msg, body: string(b)}
}

// setIdentity records a $context.identity variable this request's
// authorization learned (contextVars reads them).
func (x *exchange) setIdentity(field, value string) {
	if x.identity == nil {
		x.identity = make(map[string]string, 8)
	}
	x.identity[field] = value
}

// verifySigV4 checks the Authorization header h of r (body already read)
// against keys; the region and service must be the gateway's.
func verifySigV4(r *http.Request, body []byte, h, region string, keys map[string]string, now time.Time) (*caller, *failure) {
	alg, rest, _ := strings.Cut(h, " ")
	if alg != sigAlgorithm {
		return nil, signatureFailure("IncompleteSignatureException", fmt.Sprintf("Unsupported AWS 'algorithm': '%s'", clipHeader(alg)))
	}
	parts := map[string]string{}
	for _, p := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		parts[k] = v
	}
	var missing []string
	for _, k := range []string{"Credential", "Signature", "SignedHeaders"} {
		if parts[k] == "" {
			missing = append(missing, fmt.Sprintf("Authorization header requires '%s' parameter.", k))
		}
	}
	date := r.Header.Get("X-Amz-Date")
	if date == "" {
		missing = append(missing, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	if len(missing) > 0 {
		return nil, signatureFailure("IncompleteSignatureException", strings.Join(missing, " ")+" Authorization="+clipHeader(h))
	}
	cred := strings.Split(parts["Credential"], "/")
	if len(cred) != 5 || cred[0] == "" || cred[4] != "aws4_request" {
		return nil, signatureFailure("IncompleteSignatureException", fmt.Sprintf("Credential should be scoped to a valid region, not '%s'. ", clipHeader(parts["Credential"])))
	}
	t, err := time.Parse(sigDate, date)
	if err != nil {
		return nil, signatureFailure("IncompleteSignatureException", fmt.Sprintf("Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", clipHeader(date)))
	}
	var scope []string
	if cred[2] != region {
		scope = append(scope, fmt.Sprintf("Credential should be scoped to a valid region, not '%s'. ", clipHeader(cred[2])))
	}
	if cred[3] != executeAPIService {
		scope = append(scope, fmt.Sprintf("Credential should be scoped to correct service: '%s'. ", executeAPIService))
	}
	if len(scope) > 0 {
		return nil, signatureFailure("InvalidSignatureException", strings.Join(scope, ""))
	}
	secret, ok := keys[cred[0]]
	if !ok {
		return nil, signatureFailure("UnrecognizedClientException", msgBadToken)
	}
	now = now.UTC()
	if d := now.Sub(t); d > sigSkew {
		return nil, signatureFailure("InvalidSignatureException", fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - 5 min.)",
			t.Format(sigDate), now.Add(-sigSkew).Format(sigDate), now.Format(sigDate)))
	} else if d < -sigSkew {
		return nil, signatureFailure("InvalidSignatureException", fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + 5 min.)",
			t.Format(sigDate), now.Add(sigSkew).Format(sigDate), now.Format(sigDate)))
	}
	signed := strings.Split(parts["SignedHeaders"], ";")
	canonical := canonicalRequest(r, body, signed)
	sum := sha256.Sum256([]byte(canonical))
	credScope := strings.Join(cred[1:], "/")
	toSign := sigAlgorithm + "\n" + date + "\n" + credScope + "\n" + hex.EncodeToString(sum[:])
	key := hmacSHA256([]byte("AWS4"+secret), cred[1])
	for _, s := range cred[2:] {
		key = hmacSHA256(key, s)
	}
	want := hex.EncodeToString(hmacSHA256(key, toSign))
	if cred[1] != t.Format("20060102") || !hmac.Equal([]byte(want), []byte(parts["Signature"])) {
		// API Gateway tells the caller what it signed (UNVERIFIED layout,
		// as widely reported).
		return nil, signatureFailure("InvalidSignatureException", msgSigMismatch+"\n\nThe Canonical String for this request should have been\n'"+
			canonical+"'\n\nThe String-to-Sign should have been\n'"+toSign+"'\n")
	}
	return &caller{accessKey: cred[0]}, nil
}

// clipHeader bounds what a refusal quotes from a header.
func clipHeader(s string) string {
	if len(s) > 256 {
		return s[:256] + "..."
	}
	return s
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// canonicalRequest rebuilds what the client signed: the path as it came
// over the wire escaped once more (what the SDKs do for every service but
// S3), the sorted query, the signed headers and the body's hash.
func canonicalRequest(r *http.Request, body []byte, signed []string) string {
	var b strings.Builder
	b.WriteString(r.Method + "\n")
	path, _, _ := strings.Cut(r.RequestURI, "?")
	if path == "" || !strings.HasPrefix(path, "/") {
		path = r.URL.EscapedPath()
	}
	b.WriteString(sigEscape(path, false) + "\n")
	var pairs []string
	for k, vs := range r.URL.Query() {
		for _, v := range vs {
			pairs = append(pairs, sigEscape(k, true)+"="+sigEscape(v, true))
		}
	}
	sort.Strings(pairs)
	b.WriteString(strings.Join(pairs, "&") + "\n")
	for _, h := range signed {
		b.WriteString(h + ":" + signedHeaderValue(r, h) + "\n")
	}
	b.WriteString("\n" + strings.Join(signed, ";") + "\n")
	sum := sha256.Sum256(body)
	b.WriteString(hex.EncodeToString(sum[:]))
	return b.String()
}

func signedHeaderValue(r *http.Request, name string) string {
	switch name {
	case "host":
		return r.Host
	case "content-length": // net/http moves it out of the header map
		return strconv.FormatInt(r.ContentLength, 10)
	}
	vals := r.Header.Values(name)
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(out, ",")
}

// sigEscape is SigV4's URI encoding: every byte but A-Z a-z 0-9 - _ . ~ is
// percent-encoded in upper case; '/' too when slash is true.
func sigEscape(s string, slash bool) string {
	const hexd = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' || c == '/' && !slash {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexd[c>>4])
		b.WriteByte(hexd[c&15])
	}
	return b.String()
}
