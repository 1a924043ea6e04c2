package awsapi

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"gatehouse/internal/model"
	"gatehouse/internal/sigv4"
)

// SigV4 as the AWS General Reference defines it ("Create a signed AWS API
// request"): the server rebuilds the canonical request from what arrived and
// compares HMACs. Both header signing (Authorization) and query-string signing
// (presigned URLs) are accepted. Package sigv4 holds what SigV4 itself
// defines, shared with the gateway's AWS_IAM; this file adds what the AWS
// API decides: presigned URLs, the scope each API must name, the clock skew
// and how each protocol answers a refusal.

const (
	maxSkew = 15 * time.Minute
	// maxPresign is the longest a presigned URL may live (SigV4: 7 days).
	maxPresign = 7 * 24 * time.Hour
)

// signature is a request's parsed signing information.
type signature struct {
	sigv4.Signature
	expires   time.Duration // presigned only
	presigned bool
}

// authKind is a class of authentication failure; each protocol names it its
// own way (authError.forProtocol).
type authKind int

const (
	authMissing    authKind = iota // no signature at all
	authIncomplete                 // a signature missing parts
	authUnknownKey                 // access key id not configured
	authMismatch                   // the HMAC differs
	authExpired                    // the date is outside the allowed skew
)

type authError struct {
	kind authKind
	msg  string // for authIncomplete and authExpired; authMismatch's own when set
}

// mismatch is the message of a signature that does not match.
func (e *authError) mismatch() string {
	if e.msg != "" {
		return e.msg
	}
	return sigv4.MsgMismatch
}

// parseSignature reads the signature from the Authorization header or the
// query string. A request with neither returns (nil, authMissing).
//
// A signature whose credential parsed comes back even with an error, so
// that identify can still use the service its scope names.
func parseSignature(r *http.Request) (*signature, *authError) {
	if h := r.Header.Get("Authorization"); h != "" {
		parsed, err := sigv4.ParseHeader(h, r.Header.Get("X-Amz-Date"), nil)
		return wrapParsed(parsed, false, 0, err)
	}
	q := r.URL.Query()
	if q.Get("X-Amz-Algorithm") != "" || q.Get("X-Amz-Credential") != "" {
		return parsePresigned(q)
	}
	return nil, &authError{kind: authMissing}
}

func parsePresigned(q url.Values) (*signature, *authError) {
	if alg := q.Get("X-Amz-Algorithm"); alg != sigv4.Algorithm {
		return nil, incomplete(sigv4.UnsupportedAlgorithm(alg, nil))
	}
	var missing []string
	for _, k := range []string{"X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date", "X-Amz-Expires"} {
		if q.Get(k) == "" {
			missing = append(missing, fmt.Sprintf("AWS query-string parameters must include '%s'.", k))
		}
	}
	if len(missing) > 0 {
		return nil, &authError{kind: authIncomplete, msg: strings.Join(missing, " ") + " Re-examine the query-string parameters."}
	}
	secs, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil || secs < 0 {
		return nil, &authError{kind: authIncomplete, msg: "X-Amz-Expires must be a number of seconds from 0 to 604800."}
	}
	// A SigV4 signature lives at most 7 days, however long the URL asks for.
	// The text is S3's (AuthorizationQueryParametersError), the one AWS text
	// found for it; UNVERIFIED for the services gatehouse serves. Exactly
	// 604800 is accepted, as the SDKs' presigners allow it.
	if time.Duration(secs)*time.Second > maxPresign {
		return nil, &authError{kind: authIncomplete, msg: "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds"}
	}
	cred, t, perr := sigv4.ParseScope(q.Get("X-Amz-Credential"), q.Get("X-Amz-Date"), nil)
	var parsed *sigv4.Signature
	if cred != (sigv4.Credential{}) {
		parsed = &sigv4.Signature{Credential: cred, SignedHeaders: strings.Split(q.Get("X-Amz-SignedHeaders"), ";"), Sent: q.Get("X-Amz-Signature"), Time: t}
	}
	return wrapParsed(parsed, true, time.Duration(secs)*time.Second, perr)
}

// wrapParsed wraps what sigv4 parsed: a parse error is an incomplete
// signature, and a scope dated another day than the signature cannot match.
func wrapParsed(parsed *sigv4.Signature, presigned bool, expires time.Duration, err error) (*signature, *authError) {
	var sig *signature
	if parsed != nil {
		sig = &signature{Signature: *parsed, presigned: presigned, expires: expires}
	}
	if err != nil {
		return sig, incomplete(err)
	}
	if !sig.DateMatches() {
		return sig, &authError{kind: authMismatch}
	}
	return sig, nil
}

// incomplete is sigv4's parse error as an auth failure.
func incomplete(err error) *authError {
	return &authError{kind: authIncomplete, msg: err.Error()}
}

// verify checks the credential scope, the key, the clock and the HMAC, in
// that order: AWS judges the scope before it looks the key up, and names
// every part of the scope that is wrong in one message.
//
// svc is the API the request calls, found by its protocol markers
// (Server.identify), so a signature scoped to another service, which the
// server would otherwise verify against that service's name, is refused as
// AWS refuses it: by the endpoint's own signing name.
func (s *Server) verify(r *http.Request, body []byte, sig *signature, svc *Service) *authError {
	var scope []string
	// Resources live in one region: a client set up for another would read
	// and write ARNs that are not its own, so it is told, as AWS tells a
	// client that signs for a region the endpoint does not serve.
	if region := sig.Credential.Region; region != s.region && !slices.Contains(svc.SigningRegions, region) {
		scope = append(scope, fmt.Sprintf("Credential should be scoped to a valid region, not '%s'. ", region))
	}
	// AWS's troubleshooting guide ("Troubleshoot signed requests for AWS
	// APIs", credential scope errors) and real answers (e.g. InvalidSignature
	// Exception "Credential should be scoped to correct service: 'sagemaker'. ")
	// name the service the endpoint expects, with the same trailing space.
	if sig.Credential.Service != svc.Name {
		scope = append(scope, fmt.Sprintf("Credential should be scoped to correct service: '%s'. ", svc.Name))
	}
	if len(scope) > 0 {
		return &authError{kind: authMismatch, msg: strings.Join(scope, "")}
	}
	secret, ok := s.keys[sig.Credential.AccessKey]
	if !ok {
		return &authError{kind: authUnknownKey}
	}
	now := s.now().UTC()
	// A date ahead of the clock by more than the skew is refused the same way
	// for a presigned URL as for a header signature: a URL dated a year ahead
	// would otherwise stay valid for a year plus its expiry.
	if d := now.Sub(sig.Time); d < -maxSkew {
		return &authError{kind: authExpired, msg: fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + 15 min.)",
			sig.Time.Format(sigv4.TimeFormat), now.Add(maxSkew).Format(sigv4.TimeFormat), now.Format(sigv4.TimeFormat))}
	}
	if sig.presigned {
		if now.After(sig.Time.Add(sig.expires)) {
			// UNVERIFIED: the text of an expired presigned request outside S3.
			return &authError{kind: authExpired, msg: "Request has expired."}
		}
	} else if d := now.Sub(sig.Time); d > maxSkew {
		return &authError{kind: authExpired, msg: fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - 15 min.)",
			sig.Time.Format(sigv4.TimeFormat), now.Add(-maxSkew).Format(sigv4.TimeFormat), now.Format(sigv4.TimeFormat))}
	}
	if !sigv4.Equal(expectedSignature(secret, r, body, sig), sig.Sent) {
		return &authError{kind: authMismatch}
	}
	return nil
}

// expectedSignature is the signature secret makes for the request as it
// arrived.
func expectedSignature(secret string, r *http.Request, body []byte, sig *signature) string {
	canonical := sigv4.CanonicalRequest(r, body, sig.SignedHeaders, sig.presigned)
	return sigv4.Sign(secret, sig.Credential, sigv4.StringToSign(sig.Time, sig.Credential, canonical))
}

// The messages AWS gives for signature failures; the codes and statuses differ
// by protocol (forProtocol).
const (
	msgEC2Auth   = "AWS was not able to validate the provided access credentials"
	msgMissingJS = "Missing Authentication Token"
	msgMissingQ  = "Request is missing Authentication Token"
)

// forProtocol names a failure as the service's protocol family does:
//   - JSON services (Coral): 400 UnrecognizedClientException,
//     InvalidSignatureException (also for an expired signature),
//     IncompleteSignatureException, MissingAuthenticationTokenException;
//   - API Gateway's control plane: the same codes with 403;
//   - Query and RestXML services: 403 InvalidClientTokenId,
//     SignatureDoesNotMatch (also "Signature expired: …", as STS answers),
//     400 IncompleteSignature, 403 MissingAuthenticationToken;
//   - EC2: 401 AuthFailure for unknown keys and bad signatures (with the
//     scope's own message for a wrong region or service), 400
//     RequestExpired "Request has expired.".
//
// A credential scoped to another region or service is a mismatch in every
// family, with the message that names what the endpoint expects.
//
// UNVERIFIED: the exact status of IncompleteSignature on Query services and of
// an unsigned EC2 request (AuthFailure here).
func (e *authError) forProtocol(p Protocol) *model.Error {
	switch p {
	case JSON, RestJSON:
		status := http.StatusBadRequest
		if p == RestJSON {
			status = http.StatusForbidden
		}
		switch e.kind {
		case authMissing:
			return model.Errorf(status, "MissingAuthenticationTokenException", msgMissingJS)
		case authIncomplete:
			return model.Errorf(status, "IncompleteSignatureException", "%s", e.msg)
		case authUnknownKey:
			return model.Errorf(status, "UnrecognizedClientException", sigv4.MsgUnknownKey)
		case authExpired:
			return model.Errorf(status, "InvalidSignatureException", "%s", e.msg)
		default:
			return model.Errorf(status, "InvalidSignatureException", "%s", e.mismatch())
		}
	case EC2:
		switch e.kind {
		case authIncomplete:
			return model.Errorf(http.StatusBadRequest, "IncompleteSignature", "%s", e.msg)
		case authExpired:
			return model.Errorf(http.StatusBadRequest, "RequestExpired", "Request has expired.")
		case authMismatch:
			// EC2 names a scope error in its own words under AuthFailure
			// (as it does "Credential must have exactly 5 slash-delimited
			// elements, …"); a bad HMAC only gets the generic text.
			if e.msg != "" {
				return model.Errorf(http.StatusUnauthorized, "AuthFailure", "%s", e.msg)
			}
			return model.Errorf(http.StatusUnauthorized, "AuthFailure", msgEC2Auth)
		default:
			return model.Errorf(http.StatusUnauthorized, "AuthFailure", msgEC2Auth)
		}
	default: // Query, RestXML
		switch e.kind {
		case authMissing:
			return model.Errorf(http.StatusForbidden, "MissingAuthenticationToken", msgMissingQ)
		case authIncomplete:
			return model.Errorf(http.StatusBadRequest, "IncompleteSignature", "%s", e.msg)
		case authUnknownKey:
			return model.Errorf(http.StatusForbidden, "InvalidClientTokenId", sigv4.MsgUnknownKey)
		case authExpired:
			return model.Errorf(http.StatusForbidden, "SignatureDoesNotMatch", "%s", e.msg)
		default:
			return model.Errorf(http.StatusForbidden, "SignatureDoesNotMatch", "%s", e.mismatch())
		}
	}
}
