package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"gatehouse/internal/gateway/policy"
	"gatehouse/internal/sigv4"
)

// IAM authorization (authorizationType AWS_IAM): the request must carry a
// SigV4 signature for service execute-api in the gateway's region, made
// with one of the daemon's AWS keys (Deps.AWSKeys, the keys the AWS API
// accepts). Every such key acts as the account's root user, as STS's
// GetCallerIdentity reports it, so IAM allows and only the resource
// policy's explicit Deny for the caller can refuse (§A7's same-account
// table). The caller's identity fills $context.identity.
//
// Answers (§A2, §A10; the texts are SigV4's own, as package sigv4 has them):
// no signature → 403 Missing Authentication Token; an incomplete one → 403
// IncompleteSignatureException; an unknown key → 403 "The security token
// included in the request is invalid."; a wrong signature → 403 "The
// request signature we calculated does not match…" with the canonical
// request and string to sign, as API Gateway appends them; a stale one →
// 403 "Signature expired: …".

const (
	// sigSkew is how far a signature's time may be from the clock: API
	// Gateway's answers name 5 minutes ("… - 5 min."), as quoted from
	// execute-api in aws-amplify/aws-sdk-android#253 and mhart/aws4#118.
	sigSkew           = 5 * time.Minute
	executeAPIService = "execute-api"
)

// caller is a verified IAM caller.
type caller struct {
	accessKey string
	arn       string // arn:aws:iam::ACCOUNT:root
}

// signatureFailure is a SigV4 refusal as API Gateway answers it: 403 with
// the exception's type; customisable as INVALID_SIGNATURE. Which gateway
// response the unknown-key and incomplete cases use is not recorded from AWS
// (searched: docs, issues, moto, LocalStack; 2026-12).
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
		// AWS accepts a SigV4 signature in the query string on execute-api
		// (reported: qiita.com/koshigoe/items/e78139d8ebda588524ff); gatehouse
		// does not verify one yet and answers as to an incomplete header.
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
// authorization learned (contextVar reads them).
func (x *exchange) setIdentity(field, value string) {
	if x.identity == nil {
		x.identity = make(map[string]string, 8)
	}
	x.identity[field] = value
}

// verifySigV4 checks the Authorization header h of r (body already read)
// against keys; the region and service must be the gateway's.
func verifySigV4(r *http.Request, body []byte, h, region string, keys map[string]string, now time.Time) (*caller, *failure) {
	sig, err := sigv4.ParseHeader(h, r.Header.Get("X-Amz-Date"), clipHeader)
	if err != nil {
		return nil, signatureFailure("IncompleteSignatureException", err.Error())
	}
	cred := sig.Credential
	var scope []string
	if cred.Region != region {
		scope = append(scope, fmt.Sprintf("Credential should be scoped to a valid region, not '%s'. ", clipHeader(cred.Region)))
	}
	if cred.Service != executeAPIService {
		scope = append(scope, fmt.Sprintf("Credential should be scoped to correct service: '%s'. ", executeAPIService))
	}
	if len(scope) > 0 {
		return nil, signatureFailure("InvalidSignatureException", strings.Join(scope, ""))
	}
	secret, ok := keys[cred.AccessKey]
	if !ok {
		return nil, signatureFailure("UnrecognizedClientException", sigv4.MsgUnknownKey)
	}
	now = now.UTC()
	t := sig.Time
	if d := now.Sub(t); d > sigSkew {
		return nil, signatureFailure("InvalidSignatureException", fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - 5 min.)",
			t.Format(sigv4.TimeFormat), now.Add(-sigSkew).Format(sigv4.TimeFormat), now.Format(sigv4.TimeFormat)))
	} else if d < -sigSkew {
		return nil, signatureFailure("InvalidSignatureException", fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + 5 min.)",
			t.Format(sigv4.TimeFormat), now.Add(sigSkew).Format(sigv4.TimeFormat), now.Format(sigv4.TimeFormat)))
	}
	canonical := sigv4.CanonicalRequest(r, body, sig.SignedHeaders, false)
	toSign := sigv4.StringToSign(t, cred, canonical)
	if !sig.DateMatches() || !sigv4.Equal(sigv4.Sign(secret, cred, toSign), sig.Sent) {
		// API Gateway tells the caller what it signed, in this layout
		// (execute-api answers quoted in arnemolland/sigv4#17, mhart/aws4#110,
		// postmanlabs/postman-app-support#5815).
		return nil, signatureFailure("InvalidSignatureException", sigv4.MsgMismatch+"\n\nThe Canonical String for this request should have been\n'"+
			canonical+"'\n\nThe String-to-Sign should have been\n'"+toSign+"'\n")
	}
	return &caller{accessKey: cred.AccessKey}, nil
}

// dropSigV4Authorization removes an Authorization header that carries a
// SigV4 signature from a backend request: API Gateway does not pass one on
// (aws-behaviors §A5, API Gateway important notes). Other schemes pass.
func dropSigV4Authorization(h http.Header) {
	if strings.HasPrefix(strings.TrimSpace(h.Get("Authorization")), sigv4.Algorithm) {
		h.Del("Authorization")
	}
}

// clipHeader bounds what a refusal quotes from a header.
func clipHeader(s string) string {
	if len(s) > 256 {
		return s[:256] + "..."
	}
	return s
}
