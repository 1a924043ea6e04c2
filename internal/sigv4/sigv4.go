package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

const (
	// Algorithm is the only signing algorithm SigV4 servers accept.
	Algorithm = "AWS4-HMAC-SHA256"
	// TimeFormat is X-Amz-Date's ISO 8601 basic format.
	TimeFormat = "20060102T150405Z"
	// dateFormat is the credential scope's date.
	dateFormat = "20060102"
)

// The texts AWS gives, whatever the service, for a signature that does not
// match and for an access key it does not know.
const (
	MsgMismatch   = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	MsgUnknownKey = "The security token included in the request is invalid."
)

// Credential is a signature's credential scope,
// "AKID/20261125/us-west-2/acm/aws4_request".
type Credential struct {
	AccessKey, Date, Region, Service string
}

// Scope is the credential without its access key, as the string to sign
// names it.
func (c Credential) Scope() string {
	return c.Date + "/" + c.Region + "/" + c.Service + "/aws4_request"
}

// Signature is a request's parsed signing information.
type Signature struct {
	Credential    Credential
	SignedHeaders []string
	Sent          string // the signature the client sent, in hex
	Time          time.Time
}

// DateMatches reports whether the credential scope's date is the signing
// time's day: a signature whose scope names another day cannot match.
func (s *Signature) DateMatches() bool {
	return s.Credential.Date == s.Time.Format(dateFormat)
}

// ParseError is a signature missing parts or with malformed ones; Message is
// AWS's IncompleteSignature text.
type ParseError struct {
	Message string
}

func (e *ParseError) Error() string { return e.Message }

// ParseHeader reads the Authorization header h, whose request carried date
// in X-Amz-Date. quote, when not nil, shapes every value the messages
// repeat from the request (to bound their length); nil repeats them whole.
//
// When the credential parses but the date does not, the Signature comes
// back with the error, so that the caller can still tell which service the
// client meant.
func ParseHeader(h, date string, quote func(string) string) (*Signature, error) {
	quote = orVerbatim(quote)
	alg, rest, _ := strings.Cut(h, " ")
	if alg != Algorithm {
		return nil, UnsupportedAlgorithm(alg, quote)
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
	if date == "" {
		missing = append(missing, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	if len(missing) > 0 {
		return nil, &ParseError{Message: strings.Join(missing, " ") + " Authorization=" + quote(h)}
	}
	cred, t, err := ParseScope(parts["Credential"], date, quote)
	if cred == (Credential{}) {
		return nil, err
	}
	return &Signature{Credential: cred, SignedHeaders: strings.Split(parts["SignedHeaders"], ";"), Sent: parts["Signature"], Time: t}, err
}

// UnsupportedAlgorithm is the refusal of a signature made with another
// algorithm than Algorithm.
func UnsupportedAlgorithm(alg string, quote func(string) string) error {
	return &ParseError{Message: fmt.Sprintf("Unsupported AWS 'algorithm': '%s'", orVerbatim(quote)(alg))}
}

// ParseScope reads a credential ("AKID/20261125/us-west-2/acm/aws4_request")
// and a signing time in TimeFormat; quote is as for ParseHeader. A date
// that does not parse still returns the credential, with the error.
func ParseScope(cred, date string, quote func(string) string) (Credential, time.Time, error) {
	quote = orVerbatim(quote)
	f := strings.Split(cred, "/")
	if len(f) != 5 || f[0] == "" || f[4] != "aws4_request" {
		return Credential{}, time.Time{}, &ParseError{Message: fmt.Sprintf("Credential should be scoped to a valid region, not '%s'. ", quote(cred))}
	}
	c := Credential{AccessKey: f[0], Date: f[1], Region: f[2], Service: f[3]}
	t, err := time.Parse(TimeFormat, date)
	if err != nil {
		return c, time.Time{}, &ParseError{Message: fmt.Sprintf("Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", quote(date))}
	}
	return c, t, nil
}

func orVerbatim(quote func(string) string) func(string) string {
	if quote == nil {
		return func(s string) string { return s }
	}
	return quote
}

// CanonicalRequest rebuilds what the client signed: the method, the path as
// it came over the wire escaped once more (what every SDK does for services
// other than S3), the sorted query, the signed headers and the hash of the
// body that arrived. A presigned URL's own X-Amz-Signature is left out of
// the query, as the client could not sign it.
//
// The body's hash is always computed: a client that declared another
// (X-Amz-Content-Sha256, UNSIGNED-PAYLOAD) signed something else, and its
// signature does not match.
func CanonicalRequest(r *http.Request, body []byte, signedHeaders []string, presigned bool) string {
	var b strings.Builder
	b.WriteString(r.Method + "\n")
	path, _, _ := strings.Cut(r.RequestURI, "?")
	if path == "" || !strings.HasPrefix(path, "/") {
		path = r.URL.EscapedPath()
	}
	b.WriteString(Escape(path, false) + "\n")
	b.WriteString(canonicalQuery(r.URL.Query(), presigned) + "\n")
	for _, h := range signedHeaders {
		b.WriteString(h + ":" + headerValue(r, h) + "\n")
	}
	b.WriteString("\n" + strings.Join(signedHeaders, ";") + "\n")
	sum := sha256.Sum256(body)
	b.WriteString(hex.EncodeToString(sum[:]))
	return b.String()
}

func canonicalQuery(q url.Values, presigned bool) string {
	var pairs []string
	for k, vs := range q {
		if presigned && k == "X-Amz-Signature" {
			continue
		}
		for _, v := range vs {
			pairs = append(pairs, Escape(k, true)+"="+Escape(v, true))
		}
	}
	sort.Strings(pairs)
	return strings.Join(pairs, "&")
}

// headerValue is a signed header's canonical value: its values with runs of
// white space folded, joined by commas. It copies them, so the request's
// own header is left as it came.
func headerValue(r *http.Request, name string) string {
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

// Escape is SigV4's URI encoding: every byte but A-Z a-z 0-9 - _ . ~ is
// percent-encoded in upper case; '/' too when slash is true.
func Escape(s string, slash bool) string {
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

// StringToSign is what the signing key signs: the algorithm, the signing
// time, the credential scope and the canonical request's hash.
func StringToSign(t time.Time, c Credential, canonical string) string {
	h := sha256.Sum256([]byte(canonical))
	return Algorithm + "\n" + t.Format(TimeFormat) + "\n" + c.Scope() + "\n" + hex.EncodeToString(h[:])
}

// SigningKey derives the key of secret for c's day, region and service.
func SigningKey(secret string, c Credential) []byte {
	key := hmacSHA256([]byte("AWS4"+secret), c.Date)
	key = hmacSHA256(key, c.Region)
	key = hmacSHA256(key, c.Service)
	return hmacSHA256(key, "aws4_request")
}

// Sign is the hex signature of stringToSign with secret's key for c.
func Sign(secret string, c Credential, stringToSign string) string {
	return hex.EncodeToString(hmacSHA256(SigningKey(secret, c), stringToSign))
}

// Equal compares a computed signature with the one a client sent, in
// constant time so that the comparison does not tell how much matched.
func Equal(want, got string) bool {
	return hmac.Equal([]byte(want), []byte(got))
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}
