package awsapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gatehouse/internal/model"
)

// SigV4 as the AWS General Reference defines it ("Create a signed AWS API
// request"): the server rebuilds the canonical request from what arrived and
// compares HMACs. Both header signing (Authorization) and query-string signing
// (presigned URLs) are accepted.

const (
	algorithm = "AWS4-HMAC-SHA256"
	amzDate   = "20060102T150405Z"
	maxSkew   = 15 * time.Minute
	// maxPresign is the longest a presigned URL may live (SigV4: 7 days).
	maxPresign = 7 * 24 * time.Hour
)

type credential struct {
	accessKey, date, region, service string
}

func (c credential) scope() string {
	return c.date + "/" + c.region + "/" + c.service + "/aws4_request"
}

// signature is a request's parsed signing information.
type signature struct {
	credential    credential
	signedHeaders []string
	signature     string
	time          time.Time
	expires       time.Duration // presigned only
	presigned     bool
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
	return msgMismatch
}

// parseSignature reads the signature from the Authorization header or the
// query string. A request with neither returns (nil, authMissing).
func parseSignature(r *http.Request) (*signature, *authError) {
	if h := r.Header.Get("Authorization"); h != "" {
		return parseHeader(r, h)
	}
	q := r.URL.Query()
	if q.Get("X-Amz-Algorithm") != "" || q.Get("X-Amz-Credential") != "" {
		return parsePresigned(q)
	}
	return nil, &authError{kind: authMissing}
}

func parseHeader(r *http.Request, h string) (*signature, *authError) {
	alg, rest, _ := strings.Cut(h, " ")
	if alg != algorithm {
		return nil, &authError{kind: authIncomplete, msg: fmt.Sprintf("Unsupported AWS 'algorithm': '%s'", alg)}
	}
	parts := map[string]string{}
	for _, p := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		parts[k] = v
	}
	// AWS lists every missing part in one message.
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
		return nil, &authError{kind: authIncomplete, msg: strings.Join(missing, " ") + " Authorization=" + h}
	}
	sig := &signature{signature: parts["Signature"], signedHeaders: strings.Split(parts["SignedHeaders"], ";")}
	return sig, sig.fill(parts["Credential"], date)
}

func parsePresigned(q url.Values) (*signature, *authError) {
	if alg := q.Get("X-Amz-Algorithm"); alg != algorithm {
		return nil, &authError{kind: authIncomplete, msg: fmt.Sprintf("Unsupported AWS 'algorithm': '%s'", alg)}
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
	sig := &signature{signature: q.Get("X-Amz-Signature"), signedHeaders: strings.Split(q.Get("X-Amz-SignedHeaders"), ";"), presigned: true}
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
	sig.expires = time.Duration(secs) * time.Second
	return sig, sig.fill(q.Get("X-Amz-Credential"), q.Get("X-Amz-Date"))
}

// fill parses the credential "AKID/20261125/us-west-2/acm/aws4_request" and the date.
func (s *signature) fill(cred, date string) *authError {
	f := strings.Split(cred, "/")
	if len(f) != 5 || f[0] == "" || f[4] != "aws4_request" {
		return &authError{kind: authIncomplete, msg: fmt.Sprintf("Credential should be scoped to a valid region, not '%s'. ", cred)}
	}
	s.credential = credential{accessKey: f[0], date: f[1], region: f[2], service: f[3]}
	t, err := time.Parse(amzDate, date)
	if err != nil {
		return &authError{kind: authIncomplete, msg: fmt.Sprintf("Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", date)}
	}
	s.time = t
	if f[1] != t.Format("20060102") {
		return &authError{kind: authMismatch}
	}
	return nil
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
	if region := sig.credential.region; region != s.region && !slices.Contains(svc.SigningRegions, region) {
		scope = append(scope, fmt.Sprintf("Credential should be scoped to a valid region, not '%s'. ", region))
	}
	// AWS's troubleshooting guide ("Troubleshoot signed requests for AWS
	// APIs", credential scope errors) and real answers (e.g. InvalidSignature
	// Exception "Credential should be scoped to correct service: 'sagemaker'. ")
	// name the service the endpoint expects, with the same trailing space.
	if sig.credential.service != svc.Name {
		scope = append(scope, fmt.Sprintf("Credential should be scoped to correct service: '%s'. ", svc.Name))
	}
	if len(scope) > 0 {
		return &authError{kind: authMismatch, msg: strings.Join(scope, "")}
	}
	secret, ok := s.keys[sig.credential.accessKey]
	if !ok {
		return &authError{kind: authUnknownKey}
	}
	now := s.now().UTC()
	// A date ahead of the clock by more than the skew is refused the same way
	// for a presigned URL as for a header signature: a URL dated a year ahead
	// would otherwise stay valid for a year plus its expiry.
	if d := now.Sub(sig.time); d < -maxSkew {
		return &authError{kind: authExpired, msg: fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + 15 min.)",
			sig.time.Format(amzDate), now.Add(maxSkew).Format(amzDate), now.Format(amzDate))}
	}
	if sig.presigned {
		if now.After(sig.time.Add(sig.expires)) {
			// UNVERIFIED: the text of an expired presigned request outside S3.
			return &authError{kind: authExpired, msg: "Request has expired."}
		}
	} else if d := now.Sub(sig.time); d > maxSkew {
		return &authError{kind: authExpired, msg: fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - 15 min.)",
			sig.time.Format(amzDate), now.Add(-maxSkew).Format(amzDate), now.Format(amzDate))}
	}
	want := signatureFor(secret, sig, canonicalRequest(r, body, sig))
	if !hmac.Equal([]byte(want), []byte(sig.signature)) {
		return &authError{kind: authMismatch}
	}
	return nil
}

func signatureFor(secret string, sig *signature, canonical string) string {
	h := sha256.Sum256([]byte(canonical))
	toSign := algorithm + "\n" + sig.time.Format(amzDate) + "\n" + sig.credential.scope() + "\n" + hex.EncodeToString(h[:])
	c := sig.credential
	key := hmacSHA256([]byte("AWS4"+secret), c.date)
	key = hmacSHA256(key, c.region)
	key = hmacSHA256(key, c.service)
	key = hmacSHA256(key, "aws4_request")
	return hex.EncodeToString(hmacSHA256(key, toSign))
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// canonicalRequest rebuilds what the client signed.
func canonicalRequest(r *http.Request, body []byte, sig *signature) string {
	var b strings.Builder
	b.WriteString(r.Method + "\n")
	// The path as it came over the wire, escaped once more: what every SDK does
	// for services other than S3.
	path, _, _ := strings.Cut(r.RequestURI, "?")
	if path == "" || !strings.HasPrefix(path, "/") {
		path = r.URL.EscapedPath()
	}
	b.WriteString(escape(path, false) + "\n")
	b.WriteString(canonicalQuery(r.URL.Query(), sig.presigned) + "\n")
	for _, h := range sig.signedHeaders {
		b.WriteString(h + ":" + headerValue(r, h) + "\n")
	}
	b.WriteString("\n" + strings.Join(sig.signedHeaders, ";") + "\n")
	b.WriteString(payloadHash(body))
	return b.String()
}

func canonicalQuery(q url.Values, presigned bool) string {
	var pairs []string
	for k, vs := range q {
		if presigned && k == "X-Amz-Signature" {
			continue
		}
		for _, v := range vs {
			pairs = append(pairs, escape(k, true)+"="+escape(v, true))
		}
	}
	sort.Strings(pairs)
	return strings.Join(pairs, "&")
}

func headerValue(r *http.Request, name string) string {
	switch name {
	case "host":
		return r.Host
	case "content-length": // net/http moves it out of the header map
		return strconv.FormatInt(r.ContentLength, 10)
	}
	vals := r.Header.Values(name)
	for i, v := range vals {
		vals[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(vals, ",")
}

// payloadHash is always the hash of the body that arrived: a client that
// declared another (X-Amz-Content-Sha256, UNSIGNED-PAYLOAD) signed something
// else, and its signature does not match.
func payloadHash(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// escape is SigV4's URI encoding: every byte but A-Z a-z 0-9 - _ . ~ is
// percent-encoded in upper case; '/' too when slash is true.
func escape(s string, slash bool) string {
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

// The messages AWS gives for signature failures; the codes and statuses differ
// by protocol (forProtocol).
const (
	msgBadToken  = "The security token included in the request is invalid."
	msgMismatch  = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
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
			return model.Errorf(status, "UnrecognizedClientException", msgBadToken)
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
			return model.Errorf(http.StatusForbidden, "InvalidClientTokenId", msgBadToken)
		case authExpired:
			return model.Errorf(http.StatusForbidden, "SignatureDoesNotMatch", "%s", e.msg)
		default:
			return model.Errorf(http.StatusForbidden, "SignatureDoesNotMatch", "%s", e.mismatch())
		}
	}
}
