package certs

import (
	"cmp"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// ACM answers every error with HTTP 400 (awsJson1.1); the code tells them apart.
const (
	codeValidation       = "ValidationException"
	codeInvalidParameter = "InvalidParameterException"
	codeInvalidArn       = "InvalidArnException"
	codeNotFound         = "ResourceNotFoundException"
	codeInUse            = "ResourceInUseException"
	codeInvalidTag       = "InvalidTagException"
	codeTooManyTags      = "TooManyTagsException"
	codeLimitExceeded    = "LimitExceededException"
)

// maxCertificates is ACM's quota per account and region, which ACM counts
// separately for the certificates it issues ("Number of ACM certificates") and
// for imported ones ("Number of imported certificates"): 2,500 each (ACM User
// Guide, "Quotas"). A variable so tests can fill it quickly. The count is read
// just before the create's write: two concurrent creates can overshoot the
// quota by one, which is accepted.
var maxCertificates = 2500

// checkQuota refuses a new certificate of type typ once the account holds
// maxCertificates of that type.
func checkQuota(all []*model.Certificate, typ string) error {
	n := 0
	for _, c := range all {
		if c.Type == typ {
			n++
		}
	}
	if n < maxCertificates {
		return nil
	}
	if typ == model.CertImported {
		// UNVERIFIED: ACM's text at the imported certificate quota was not
		// found; this is the exception's description in the API model.
		return model.BadRequest(codeLimitExceeded, "An ACM quota has been exceeded.")
	}
	// Observed from RequestCertificate (CloudFormation and CLI reports); the
	// reports do not say which ACM quota was full, so UNVERIFIED for this one.
	return model.BadRequest(codeLimitExceeded, "Cannot request more certificates in this account. Contact Customer Service for details")
}

// Values ACM reports.
const (
	methodDNS         = "DNS"
	validationPending = "PENDING_VALIDATION"
	validationSuccess = "SUCCESS"
	keyAlgorithmEC256 = "EC_prime256v1"
)

// Limits from the ACM API model (botocore acm/2015-12-08).
const (
	maxDomainLen       = 253
	maxFirstDomainLen  = 64 // RFC 5280 common name, as ACM enforces on DomainName
	maxSANs            = 100
	maxTokenLen        = 32
	maxTags            = 50
	maxTagKeyLen       = 128
	maxTagValueLen     = 256
	minARNLen          = 20
	maxARNLen          = 2048
	maxCertificateLen  = 32768
	maxPrivateKeyLen   = 5120
	maxChainLen        = 2097152
	maxNextTokenLen    = 10000
	idempotencyWindow  = time.Hour
	validationSuffix   = "acm-validations.aws."
	domainPatternText  = `(\*\.)?(((?!-)[A-Za-z0-9-]{0,62}[A-Za-z0-9])\.)+((?!-)[A-Za-z0-9-]{1,62}[A-Za-z0-9])`
	arnPatternText     = `arn:[\w+=/,.@-]+:acm:[\w+=/,.@-]*:[0-9]+:[\w+=,.@-]+(/[\w+=,.@-]+)*`
	tagPatternText     = `[\p{L}\p{Z}\p{N}_.:\/=+\-@]*`
	tokenPatternText   = `\w+`
	validationEnumText = "[EMAIL, DNS, HTTP]"
)

// certificateStatuses is the API model's CertificateStatus enum.
var certificateStatuses = []string{"PENDING_VALIDATION", "ISSUED", "INACTIVE", "EXPIRED", "VALIDATION_TIMED_OUT", "REVOKED", "FAILED"}

// The model's patterns, anchored. Go has no lookahead, so the domain pattern is
// checked by validDomain instead.
var (
	arnPattern   = regexp.MustCompile(`^` + arnPatternText + `$`)
	tagPattern   = regexp.MustCompile(`^` + tagPatternText + `$`)
	tokenPattern = regexp.MustCompile(`^` + tokenPatternText + `$`)
)

// RequestInput is RequestCertificate's input.
type RequestInput struct {
	DomainName              string
	SubjectAlternativeNames []string
	ValidationMethod        string // "DNS" (the default); EMAIL and HTTP are not supported
	// KeyAlgorithm is EC_prime256v1 (gatehouse's default; ACM's is RSA_2048,
	// which gatehouse's CA does not issue).
	KeyAlgorithm     string
	IdempotencyToken string
	Tags             map[string]string
}

// RequestCertificate requests a certificate for DomainName and the alternative
// names, validated through DNS: it is stored PENDING_VALIDATION with one
// validation CNAME per domain, and the validation loop issues it once every
// CNAME answers. A repeat with the same IdempotencyToken within an hour returns
// the first request's certificate.
func (s *Service) RequestCertificate(ctx context.Context, in RequestInput) (*model.Certificate, error) {
	names, err := requestNames(in.DomainName, in.SubjectAlternativeNames)
	if err != nil {
		return nil, err
	}
	switch in.ValidationMethod {
	case "", methodDNS:
	case "EMAIL", "HTTP":
		// Not ACM's behaviour (it supports both): gatehouse has no mail or HTTP
		// validation path, so it refuses rather than leave the request pending forever.
		return nil, model.BadRequest(codeInvalidParameter, "ValidationMethod %s is not supported; gatehouse validates certificates through DNS only.", in.ValidationMethod)
	default:
		return nil, model.Violation(codeValidation, "validationMethod", in.ValidationMethod, "Member must satisfy enum value set: "+validationEnumText)
	}
	switch {
	case in.KeyAlgorithm == "" || in.KeyAlgorithm == keyAlgorithmEC256:
	case slices.Contains(keyTypeEnum, in.KeyAlgorithm):
		// Not ACM's behaviour (it issues RSA_2048 and EC_secp384r1 too): gatehouse's
		// CA issues P-256 keys only, so it refuses rather than report another.
		return nil, model.BadRequest(codeInvalidParameter, "KeyAlgorithm %s is not supported; gatehouse issues %s certificates only.", in.KeyAlgorithm, keyAlgorithmEC256)
	default:
		return nil, model.Violation(codeValidation, "keyAlgorithm", in.KeyAlgorithm, "Member must satisfy enum value set: "+enumText(keyTypeEnum))
	}
	if in.IdempotencyToken != "" {
		if err := model.Length(codeValidation, "idempotencyToken", in.IdempotencyToken, 1, maxTokenLen); err != nil {
			return nil, err
		}
		if !tokenPattern.MatchString(in.IdempotencyToken) {
			return nil, model.Violation(codeValidation, "idempotencyToken", in.IdempotencyToken, "Member must satisfy regular expression pattern: "+tokenPatternText)
		}
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	now := time.Now()
	all, err := store.LoadAll[model.Certificate](ctx, s.st, model.Prefix(model.KindCertificate))
	if err != nil {
		return nil, fmt.Errorf("list certificates: %w", err)
	}
	if in.IdempotencyToken != "" {
		for _, c := range all {
			if c.IdempotencyToken == in.IdempotencyToken && c.Type == model.CertAmazonIssued && now.Sub(c.CreatedAt) < idempotencyWindow {
				return c, nil
			}
		}
	}
	if err := checkQuota(all, model.CertAmazonIssued); err != nil {
		return nil, err
	}
	c := &model.Certificate{
		ARN:                     s.newARN(),
		DomainName:              names[0],
		SubjectAlternativeNames: names,
		ValidationMethod:        methodDNS,
		Type:                    model.CertAmazonIssued,
		Status:                  model.CertPendingValidation,
		KeyAlgorithm:            keyAlgorithmEC256,
		CreatedAt:               now,
		IdempotencyToken:        in.IdempotencyToken,
	}
	if len(in.Tags) > 0 {
		c.Tags = maps.Clone(in.Tags)
	}
	for _, n := range names {
		c.Validations = append(c.Validations, model.DomainValidation{
			DomainName:       n,
			ValidationDomain: n,
			ValidationStatus: validationPending,
			ResourceRecord:   ValidationRecord(s.env.Account, n),
		})
	}
	if _, err := store.Save(ctx, s.st, model.Key(model.KindCertificate, c.ARN), c, 0); err != nil {
		return nil, fmt.Errorf("save certificate %s: %w", c.ARN, err)
	}
	return c, nil
}

// newARN is a new certificate's ARN.
func (s *Service) newARN() string {
	return fmt.Sprintf("arn:aws:acm:%s:%s:certificate/%s", s.env.Region, s.env.Account, model.UUID())
}

// ValidationRecord returns the DNS validation CNAME of domain for account:
// "_<32 hex>.<domain>." → "_<32 hex>.<10 letters>.acm-validations.aws.". A
// wildcard shares its base name's record, and the record depends only on account
// and domain, so a re-request (or another certificate for the same domain) is
// validated by the record already in place, as with ACM.
func ValidationRecord(account, domain string) model.ResourceRecord {
	base := strings.TrimPrefix(strings.ToLower(domain), "*.")
	nameSum := sha256.Sum256([]byte("acm-validation-name\x00" + account + "\x00" + base))
	valueSum := sha256.Sum256([]byte("acm-validation-value\x00" + account + "\x00" + base))
	letters := make([]byte, 10)
	for i := range letters {
		letters[i] = 'a' + valueSum[16+i]%26
	}
	return model.ResourceRecord{
		Name:  "_" + hex.EncodeToString(nameSum[:16]) + "." + base + ".",
		Type:  "CNAME",
		Value: "_" + hex.EncodeToString(valueSum[:16]) + "." + string(letters) + "." + validationSuffix,
	}
}

// requestNames validates the requested names and returns them lowercase,
// DomainName first, without duplicates, as ACM reports SubjectAlternativeNames.
func requestNames(domain string, sans []string) ([]string, error) {
	if domain == "" {
		return nil, model.BadRequest(codeValidation, "1 validation error detected: Value null at 'domainName' failed to satisfy constraint: Member must not be null")
	}
	if err := checkDomain(domain, "domainName"); err != nil {
		return nil, err
	}
	if len(domain) > maxFirstDomainLen {
		// ACM's documented rule (RFC 5280's common name limit); the exact message
		// text is not documented: this is our best match.
		return nil, model.BadRequest(codeValidation, "The first domain name can be no longer than %d characters.", maxFirstDomainLen)
	}
	if len(sans) > maxSANs {
		return nil, model.BadRequest(codeValidation, "1 validation error detected: Value at 'subjectAlternativeNames' failed to satisfy constraint: Member must have length less than or equal to %d", maxSANs)
	}
	names := []string{strings.ToLower(domain)}
	for i, n := range sans {
		if err := checkDomain(n, fmt.Sprintf("subjectAlternativeNames.%d.member", i+1)); err != nil {
			return nil, err
		}
		if n = strings.ToLower(n); !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names, nil
}

// checkDomain applies the API model's length and pattern constraints to one
// domain name, with the message AWS's request validation gives.
func checkDomain(name, field string) *model.Error {
	if err := model.Length(codeValidation, field, name, 1, maxDomainLen); err != nil {
		return err
	}
	if !validDomain(name) {
		return model.Violation(codeValidation, field, name, "Member must satisfy regular expression pattern: "+domainPatternText)
	}
	return nil
}

// validDomain reports whether name matches the ACM model's DomainNameString
// pattern: an optional "*." and at least two labels of letters, digits and
// hyphens, none starting or ending with a hyphen, each at most 63 characters,
// the last at least 2.
func validDomain(name string) bool {
	name = strings.TrimPrefix(name, "*.")
	labels := strings.Split(name, ".")
	if len(labels) < 2 {
		return false
	}
	for i, l := range labels {
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		if i == len(labels)-1 && len(l) < 2 {
			return false
		}
		for j := 0; j < len(l); j++ {
			c := l[j]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// DescribeCertificate returns the certificate with the ARN.
func (s *Service) DescribeCertificate(ctx context.Context, arn string) (*model.Certificate, error) {
	c, _, err := s.load(ctx, arn)
	return c, err
}

// load validates arn and loads its certificate and store revision.
func (s *Service) load(ctx context.Context, arn string) (*model.Certificate, int64, error) {
	if err := checkARN(arn); err != nil {
		return nil, 0, err
	}
	c, rev, err := store.Load[model.Certificate](ctx, s.st, model.Key(model.KindCertificate, arn))
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, s.notFound(arn)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("load certificate %s: %w", arn, err)
	}
	return c, rev, nil
}

// notFound is ACM's answer for an unknown certificate, in AWS's words (as
// DescribeCertificate answers, quoted in public error reports).
func (s *Service) notFound(arn string) *model.Error {
	return model.BadRequest(codeNotFound, "Could not find certificate %s in account %s.", arn, s.env.Account)
}

// checkARN applies the API model's ARN constraints, then requires an ACM
// certificate ARN ("arn:<partition>:acm:<region>:<account>:certificate/<id>").
func checkARN(arn string) *model.Error {
	if arn == "" {
		return model.BadRequest(codeValidation, "1 validation error detected: Value null at 'certificateArn' failed to satisfy constraint: Member must not be null")
	}
	if len(arn) < minARNLen || len(arn) > maxARNLen {
		return model.Violation(codeValidation, "certificateArn", arn, fmt.Sprintf("Member must have length between %d and %d", minARNLen, maxARNLen))
	}
	if !arnPattern.MatchString(arn) {
		return model.Violation(codeValidation, "certificateArn", arn, "Member must satisfy regular expression pattern: "+arnPatternText)
	}
	parts := strings.SplitN(arn, ":", 6)
	if id, ok := strings.CutPrefix(parts[5], "certificate/"); !ok || id == "" || strings.Contains(id, "/") {
		// Best match for AWS's text, which is not documented.
		return model.BadRequest(codeInvalidArn, "The ARN %s is not a valid certificate ARN.", arn)
	}
	return nil
}

// ListInput is ListCertificates' input: filters, order and page.
type ListInput struct {
	Statuses []string // CertificateStatuses; empty means all
	// Includes: KeyTypes empty means ACM's default (see defaultKeyTypes);
	// KeyUsages and ExtendedKeyUsages empty mean any.
	KeyTypes          []string
	KeyUsages         []string
	ExtendedKeyUsages []string
	SortBy            string // "" or CREATED_AT
	SortOrder         string // "", ASCENDING or DESCENDING
	MaxItems          *int   // nil means maxListItems
	NextToken         string
}

// Listed is one certificate of a ListCertificates page.
type Listed struct {
	*model.Certificate
	Details Details
	InUse   bool
}

// ListOutput is one page of certificates; NextToken is empty on the last.
type ListOutput struct {
	Certificates []Listed
	NextToken    string
}

// Limits and codes of ListCertificates and GetCertificate (botocore
// acm/2015-12-08).
const (
	maxListItems         = 1000
	sortOrderAscending   = "ASCENDING"
	sortOrderDescending  = "DESCENDING"
	sortByCreatedAt      = "CREATED_AT"
	codeInvalidArgs      = "InvalidArgsException"
	codeRequestInProcess = "RequestInProgressException"
)

// The enums of ListCertificates' Includes, in the order AWS prints them where a
// public error report shows it (key types); the others follow the API model.
var (
	keyTypeEnum     = []string{"RSA_1024", "RSA_2048", "EC_secp384r1", "EC_prime256v1", "EC_secp521r1", "RSA_3072", "RSA_4096"}
	keyUsageEnum    = []string{"DIGITAL_SIGNATURE", "NON_REPUDIATION", "KEY_ENCIPHERMENT", "DATA_ENCIPHERMENT", "KEY_AGREEMENT", "CERTIFICATE_SIGNING", "CRL_SIGNING", "ENCIPHER_ONLY", "DECIPHER_ONLY", "ANY", "CUSTOM"}
	extKeyUsageEnum = []string{"TLS_WEB_SERVER_AUTHENTICATION", "TLS_WEB_CLIENT_AUTHENTICATION", "CODE_SIGNING", "EMAIL_PROTECTION", "TIME_STAMPING", "OCSP_SIGNING", "IPSEC_END_SYSTEM", "IPSEC_TUNNEL", "IPSEC_USER", "ANY", "NONE", "CUSTOM"}
)

// enumText prints an enum as AWS's validation messages do: "[A, B]".
func enumText(values []string) string { return "[" + strings.Join(values, ", ") + "]" }

// defaultKeyTypes is what ListCertificates lists without Includes.keyTypes:
// ACM's default (RSA_1024 and RSA_2048) plus EC_prime256v1, the key algorithm
// gatehouse issues where ACM would issue RSA_2048, so that a requested
// certificate is listed by default as it is on ACM.
var defaultKeyTypes = []string{"RSA_1024", "RSA_2048", keyAlgorithmEC256}

// ListCertificates returns a page of the certificates that pass the filters,
// oldest first unless SortOrder says otherwise. NextToken resumes after the last
// certificate of the previous page, so a page boundary survives deletions.
func (s *Service) ListCertificates(ctx context.Context, in ListInput) (*ListOutput, error) {
	if err := checkListInput(in); err != nil {
		return nil, err
	}
	limit := maxListItems
	if in.MaxItems != nil {
		limit = *in.MaxItems
	}
	descending := in.SortOrder == sortOrderDescending
	order := func(a, b *model.Certificate) int {
		c := cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ARN, b.ARN))
		if descending {
			return -c
		}
		return c
	}
	var after *model.Certificate
	if in.NextToken != "" {
		var ok bool
		if after, ok = parseNextToken(in.NextToken); !ok {
			// UNVERIFIED: ACM's code and text for a token it did not issue.
			return nil, model.BadRequest(codeInvalidArgs, "The NextToken %s is not valid.", model.Clip(in.NextToken))
		}
	}
	keyTypes := in.KeyTypes
	if len(keyTypes) == 0 {
		keyTypes = defaultKeyTypes
	}
	all, err := store.LoadAll[model.Certificate](ctx, s.st, model.Prefix(model.KindCertificate))
	if err != nil {
		return nil, fmt.Errorf("list certificates: %w", err)
	}
	slices.SortFunc(all, order)
	users, err := s.usersByCert(ctx)
	if err != nil {
		return nil, err
	}
	out := &ListOutput{}
	for _, c := range all {
		if after != nil && order(c, after) <= 0 {
			continue
		}
		if len(in.Statuses) > 0 && !slices.Contains(in.Statuses, c.Status) || !slices.Contains(keyTypes, c.KeyAlgorithm) {
			continue
		}
		d := DetailsOf(c)
		if !anyIn(in.KeyUsages, d.KeyUsages) || !anyIn(in.ExtendedKeyUsages, d.ExtendedKeyUsageNames()) {
			continue
		}
		if len(out.Certificates) == limit {
			out.NextToken = nextToken(out.Certificates[limit-1].Certificate)
			break
		}
		out.Certificates = append(out.Certificates, Listed{Certificate: c, Details: d, InUse: len(users[c.ARN]) > 0})
	}
	return out, nil
}

// anyIn reports whether have holds one of want, or want is empty (no filter).
func anyIn(want, have []string) bool {
	if len(want) == 0 {
		return true
	}
	for _, w := range want {
		if w == "ANY" && len(have) > 0 || slices.Contains(have, w) {
			return true
		}
	}
	return false
}

// checkListInput applies the API model's constraints to ListCertificates' input.
func checkListInput(in ListInput) error {
	for i, st := range in.Statuses {
		if !slices.Contains(certificateStatuses, st) {
			return model.Violation(codeValidation, fmt.Sprintf("certificateStatuses.%d.member", i+1), st, "Member must satisfy enum value set: "+enumText(certificateStatuses))
		}
	}
	enums := []struct {
		field        string
		enum, values []string
	}{
		{"includes.keyTypes", keyTypeEnum, in.KeyTypes},
		{"includes.keyUsage", keyUsageEnum, in.KeyUsages},
		{"includes.extendedKeyUsage", extKeyUsageEnum, in.ExtendedKeyUsages},
	}
	for _, e := range enums {
		for _, v := range e.values {
			if !slices.Contains(e.enum, v) {
				// AWS's text for keyTypes, from a public error report.
				return model.Violation(codeValidation, e.field, enumText(e.values), "Member must satisfy constraint: [Member must satisfy enum value set: "+enumText(e.enum)+"]")
			}
		}
	}
	if in.MaxItems != nil && (*in.MaxItems < 1 || *in.MaxItems > maxListItems) {
		bound := "greater than or equal to 1"
		if *in.MaxItems > maxListItems {
			bound = fmt.Sprintf("less than or equal to %d", maxListItems)
		}
		return model.BadRequest(codeValidation, "1 validation error detected: Value '%d' at 'maxItems' failed to satisfy constraint: Member must have value %s", *in.MaxItems, bound)
	}
	if in.SortBy != "" && in.SortBy != sortByCreatedAt {
		return model.Violation(codeValidation, "sortBy", in.SortBy, "Member must satisfy enum value set: ["+sortByCreatedAt+"]")
	}
	if in.SortOrder != "" && in.SortOrder != sortOrderAscending && in.SortOrder != sortOrderDescending {
		return model.Violation(codeValidation, "sortOrder", in.SortOrder, "Member must satisfy enum value set: ["+sortOrderAscending+", "+sortOrderDescending+"]")
	}
	if in.NextToken != "" {
		if err := model.Length(codeValidation, "nextToken", in.NextToken, 1, maxNextTokenLen); err != nil {
			return err
		}
	}
	if (in.SortBy == "") != (in.SortOrder == "") {
		// The API reference's rule; UNVERIFIED: ACM's code and text for it.
		return model.BadRequest(codeValidation, "SortBy and SortOrder must be specified together.")
	}
	return nil
}

// nextToken is an opaque position: the creation time and ARN of the last
// certificate returned.
func nextToken(c *model.Certificate) string {
	return base64.RawURLEncoding.EncodeToString([]byte(c.CreatedAt.UTC().Format(time.RFC3339Nano) + " " + c.ARN))
}

// parseNextToken reads a nextToken position as a certificate to compare with.
func parseNextToken(token string) (*model.Certificate, bool) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return nil, false
	}
	created, arn, ok := strings.Cut(string(b), " ")
	t, err := time.Parse(time.RFC3339Nano, created)
	if !ok || err != nil || checkARN(arn) != nil {
		return nil, false
	}
	return &model.Certificate{CreatedAt: t, ARN: arn}, true
}

// GetCertificate returns the certificate and its chain (PEM). A certificate
// not issued yet has neither: ACM answers RequestInProgressException.
func (s *Service) GetCertificate(ctx context.Context, arn string) (certPEM, chainPEM string, err error) {
	c, _, err := s.load(ctx, arn)
	if err != nil {
		return "", "", err
	}
	if c.CertificatePEM == "" {
		// UNVERIFIED: ACM's text; the code is the one its API reference names.
		return "", "", model.BadRequest(codeRequestInProcess, "Certificate %s in account %s is in status %s and has not been issued yet.", arn, s.env.Account, c.Status)
	}
	return c.CertificatePEM, c.ChainPEM, nil
}

// RenewalEligibility is ACM's: a certificate it issued is renewed while
// something uses it; an imported one never is.
func RenewalEligibility(c *model.Certificate, inUse bool) string {
	if c.Type == model.CertAmazonIssued && inUse {
		return "ELIGIBLE"
	}
	return "INELIGIBLE"
}

// Details are what ACM reports about a certificate's X.509 contents. A
// certificate without one yet (pending validation) has none.
type Details struct {
	Subject            string // "CN=api.example.test"
	Issuer             string // the issuer's organisation, as ACM shows "Amazon"
	SignatureAlgorithm string // "SHA256WITHECDSA"
	KeyUsages          []string
	ExtendedKeyUsages  []ExtendedKeyUsage
}

// ExtendedKeyUsage is one extended key usage: ACM's name and the OID.
type ExtendedKeyUsage struct{ Name, OID string }

// ExtendedKeyUsageNames returns the names of d's extended key usages.
func (d Details) ExtendedKeyUsageNames() []string {
	var names []string
	for _, u := range d.ExtendedKeyUsages {
		names = append(names, u.Name)
	}
	return names
}

// keyUsageNames are ACM's names of the X.509 key usage bits, in bit order.
var keyUsageNames = []struct {
	bit  x509.KeyUsage
	name string
}{
	{x509.KeyUsageDigitalSignature, "DIGITAL_SIGNATURE"},
	{x509.KeyUsageContentCommitment, "NON_REPUDIATION"},
	{x509.KeyUsageKeyEncipherment, "KEY_ENCIPHERMENT"},
	{x509.KeyUsageDataEncipherment, "DATA_ENCIPHERMENT"},
	{x509.KeyUsageKeyAgreement, "KEY_AGREEMENT"},
	{x509.KeyUsageCertSign, "CERTIFICATE_SIGNING"},
	{x509.KeyUsageCRLSign, "CRL_SIGNING"},
	{x509.KeyUsageEncipherOnly, "ENCIPHER_ONLY"},
	{x509.KeyUsageDecipherOnly, "DECIPHER_ONLY"},
}

// extKeyUsages are ACM's names and the OIDs of the extended key usages.
var extKeyUsages = map[x509.ExtKeyUsage]ExtendedKeyUsage{
	x509.ExtKeyUsageServerAuth:      {"TLS_WEB_SERVER_AUTHENTICATION", "1.3.6.1.5.5.7.3.1"},
	x509.ExtKeyUsageClientAuth:      {"TLS_WEB_CLIENT_AUTHENTICATION", "1.3.6.1.5.5.7.3.2"},
	x509.ExtKeyUsageCodeSigning:     {"CODE_SIGNING", "1.3.6.1.5.5.7.3.3"},
	x509.ExtKeyUsageEmailProtection: {"EMAIL_PROTECTION", "1.3.6.1.5.5.7.3.4"},
	x509.ExtKeyUsageIPSECEndSystem:  {"IPSEC_END_SYSTEM", "1.3.6.1.5.5.7.3.5"},
	x509.ExtKeyUsageIPSECTunnel:     {"IPSEC_TUNNEL", "1.3.6.1.5.5.7.3.6"},
	x509.ExtKeyUsageIPSECUser:       {"IPSEC_USER", "1.3.6.1.5.5.7.3.7"},
	x509.ExtKeyUsageTimeStamping:    {"TIME_STAMPING", "1.3.6.1.5.5.7.3.8"},
	x509.ExtKeyUsageOCSPSigning:     {"OCSP_SIGNING", "1.3.6.1.5.5.7.3.9"},
	x509.ExtKeyUsageAny:             {"ANY", "2.5.29.37.0"},
}

// DetailsOf parses c's certificate for what ACM reports about it. Pure.
func DetailsOf(c *model.Certificate) Details {
	block, _ := pem.Decode([]byte(c.CertificatePEM))
	if block == nil {
		return Details{}
	}
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return Details{}
	}
	d := Details{Subject: leaf.Subject.String(), Issuer: leaf.Issuer.CommonName}
	if len(leaf.Issuer.Organization) > 0 {
		d.Issuer = leaf.Issuer.Organization[0]
	}
	// x509 names them "ECDSA-SHA256" and "SHA256-RSA"; ACM "SHA256WITHECDSA"
	// and "SHA256WITHRSA".
	alg := leaf.SignatureAlgorithm.String()
	if hash, ok := strings.CutPrefix(alg, "ECDSA-"); ok {
		d.SignatureAlgorithm = hash + "WITHECDSA"
	} else {
		d.SignatureAlgorithm = strings.ToUpper(strings.Replace(alg, "-", "WITH", 1))
	}
	for _, u := range keyUsageNames {
		if leaf.KeyUsage&u.bit != 0 {
			d.KeyUsages = append(d.KeyUsages, u.name)
		}
	}
	for _, u := range leaf.ExtKeyUsage {
		if e, ok := extKeyUsages[u]; ok {
			d.ExtendedKeyUsages = append(d.ExtendedKeyUsages, e)
		}
	}
	return d
}

// DeleteCertificate deletes the certificate unless a load balancer listener or an
// API Gateway custom domain name uses it.
func (s *Service) DeleteCertificate(ctx context.Context, arn string) error {
	for {
		_, rev, err := s.load(ctx, arn)
		if err != nil {
			return err
		}
		users, err := s.Users(ctx, arn)
		if err != nil {
			return err
		}
		if len(users) > 0 {
			return model.BadRequest(codeInUse, "Certificate %s in account %s is in use.", arn, s.env.Account)
		}
		_, err = s.st.Delete(ctx, model.Key(model.KindCertificate, arn), rev)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return s.notFound(arn)
		case errors.Is(err, store.ErrConflict):
			// Changed since we loaded it (issued, retagged): check again on fresh state.
			if ctx.Err() != nil {
				return ctx.Err()
			}
			continue
		case err != nil:
			return fmt.Errorf("delete certificate %s: %w", arn, err)
		}
		return nil
	}
}

// Users returns the ARNs of the resources that use the certificate, as
// DescribeCertificate reports InUseBy.
func (s *Service) Users(ctx context.Context, arn string) ([]string, error) {
	users, err := s.usersByCert(ctx)
	if err != nil {
		return nil, err
	}
	return users[arn], nil
}

// usersByCert reads the store (not the feed, so a caller's own writes count)
// for the resources that use certificates: per certificate ARN, the load
// balancers whose listeners serve it and the API Gateway custom domain names,
// sorted, as DescribeCertificate reports InUseBy.
func (s *Service) usersByCert(ctx context.Context) (map[string][]string, error) {
	listeners, err := store.LoadAll[model.Listener](ctx, s.st, model.Prefix(model.KindListener))
	if err != nil {
		return nil, fmt.Errorf("list listeners: %w", err)
	}
	domains, err := store.LoadAll[model.DomainName](ctx, s.st, model.Prefix(model.KindDomainName))
	if err != nil {
		return nil, fmt.Errorf("list domain names: %w", err)
	}
	sets := map[string]map[string]bool{}
	use := func(cert, user string) {
		if cert == "" {
			return
		}
		if sets[cert] == nil {
			sets[cert] = map[string]bool{}
		}
		sets[cert][user] = true
	}
	for _, l := range listeners {
		for _, c := range l.Certificates {
			use(c.CertificateARN, l.LoadBalancerARN)
		}
	}
	for _, d := range domains {
		domainARN := fmt.Sprintf("arn:aws:apigateway:%s::/domainnames/%s", s.env.Region, d.Name)
		use(d.CertificateARN, domainARN)
		use(d.RegionalCertificateARN, domainARN)
	}
	users := make(map[string][]string, len(sets))
	for cert, set := range sets {
		users[cert] = slices.Sorted(maps.Keys(set))
	}
	return users, nil
}

// ImportCertificate imports a certificate with its private key and optional
// chain (PEM), or reimports over an imported certificate when arn is set. The
// key must match the certificate. Nothing is stored unless every check passes.
func (s *Service) ImportCertificate(ctx context.Context, certPEM, keyPEM, chainPEM []byte, arn string, tags map[string]string) (*model.Certificate, error) {
	if err := checkBlobLen("certificate", certPEM, maxCertificateLen); err != nil {
		return nil, err
	}
	if err := checkBlobLen("privateKey", keyPEM, maxPrivateKeyLen); err != nil {
		return nil, err
	}
	if len(chainPEM) > 0 {
		if err := checkBlobLen("certificateChain", chainPEM, maxChainLen); err != nil {
			return nil, err
		}
	}
	if err := validateTags(tags); err != nil {
		return nil, err
	}
	if arn != "" {
		if err := checkARN(arn); err != nil {
			return nil, err
		}
		if len(tags) > 0 {
			// ACM's rule; its exact text is not documented: best match.
			return nil, model.BadRequest(codeInvalidParameter, "You cannot apply tags when reimporting a certificate.")
		}
	}
	now := time.Now()
	parsed, err := parseImport(certPEM, keyPEM, chainPEM, now)
	if err != nil {
		return nil, err
	}
	c := &model.Certificate{
		ARN:                     arn,
		DomainName:              parsed.domain,
		SubjectAlternativeNames: parsed.names,
		Type:                    model.CertImported,
		Status:                  model.CertIssued,
		KeyAlgorithm:            parsed.keyAlgorithm,
		CreatedAt:               now,
		ImportedAt:              now,
		NotBefore:               parsed.leaf.NotBefore,
		NotAfter:                parsed.leaf.NotAfter,
		Serial:                  formatSerial(parsed.leaf.SerialNumber),
		CertificatePEM:          parsed.certPEM,
		ChainPEM:                parsed.chainPEM,
		PrivateKeyPEM:           parsed.keyPEM,
	}
	if len(tags) > 0 {
		c.Tags = maps.Clone(tags)
	}
	if arn == "" {
		all, err := store.LoadAll[model.Certificate](ctx, s.st, model.Prefix(model.KindCertificate))
		if err != nil {
			return nil, fmt.Errorf("list certificates: %w", err)
		}
		if err := checkQuota(all, model.CertImported); err != nil {
			return nil, err
		}
		c.ARN = s.newARN()
		if _, err := store.Save(ctx, s.st, model.Key(model.KindCertificate, c.ARN), c, 0); err != nil {
			return nil, fmt.Errorf("save certificate %s: %w", c.ARN, err)
		}
		return c, nil
	}
	// Reimport: the certificate keeps its ARN, creation time and tags.
	stored, err := store.Update(ctx, s.st, model.Key(model.KindCertificate, arn), func(v *model.Certificate) error {
		if v.Type != model.CertImported {
			// Best match for AWS's text, which is not documented.
			return model.BadRequest(codeValidation, "Certificate %s is not an imported certificate; only imported certificates can be reimported.", arn)
		}
		created, oldTags := v.CreatedAt, v.Tags
		*v = *c
		v.CreatedAt, v.Tags = created, oldTags
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, s.notFound(arn)
	}
	if err != nil {
		return nil, err
	}
	return stored, nil
}

func checkBlobLen(field string, b []byte, max int) *model.Error {
	if len(b) == 0 {
		return model.BadRequest(codeValidation, "1 validation error detected: Value at '%s' failed to satisfy constraint: Member must have length greater than or equal to 1", field)
	}
	if len(b) > max {
		return model.BadRequest(codeValidation, "1 validation error detected: Value at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", field, max)
	}
	return nil
}

// imported is a certificate that passed ImportCertificate's checks, re-encoded.
type imported struct {
	leaf            *x509.Certificate
	domain          string
	names           []string
	keyAlgorithm    string
	certPEM, keyPEM string
	chainPEM        string
}

// parseImport parses and checks an imported certificate, key and chain. The
// texts for malformed input follow ACM's where known (moto's otherwise); ACM
// does not document them all.
func parseImport(certPEM, keyPEM, chainPEM []byte, now time.Time) (*imported, error) {
	certs, ok := pemCertificates(certPEM)
	if !ok || len(certs) == 0 {
		return nil, model.BadRequest(codeValidation, "Unable to parse certificate. Please ensure the certificate is in PEM format.")
	}
	if len(certs) > 1 {
		return nil, model.BadRequest(codeValidation, "The certificate field contains more than one certificate. You can specify only one certificate in this field.")
	}
	leaf := certs[0]
	if now.After(leaf.NotAfter) {
		return nil, model.BadRequest(codeValidation, "The certificate has expired, is not valid.")
	}
	if now.Before(leaf.NotBefore) {
		return nil, model.BadRequest(codeValidation, "The certificate is not in effect yet, is not valid.")
	}
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return nil, model.BadRequest(codeValidation, "Unable to parse the private key. Please ensure the private key is in PEM format.")
	}
	if strings.Contains(block.Type, "ENCRYPTED") || block.Headers["Proc-Type"] != "" {
		return nil, model.BadRequest(codeValidation, "The private key is encrypted. Provide an unencrypted private key.")
	}
	key, err := parsePrivateKey(block)
	if err != nil {
		return nil, model.BadRequest(codeValidation, "Unable to parse the private key. Please ensure the private key is in PEM format.")
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, model.BadRequest(codeValidation, "The private key is not supported.")
	}
	alg, err := keyAlgorithm(signer.Public())
	if err != nil {
		return nil, err
	}
	pub, ok := leaf.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(signer.Public()) {
		return nil, model.BadRequest(codeValidation, "The private key does not match the public key in the certificate.")
	}
	var chain []*x509.Certificate
	if len(chainPEM) > 0 {
		chain, ok = pemCertificates(chainPEM)
		if !ok || len(chain) == 0 {
			return nil, model.BadRequest(codeValidation, "Unable to parse the certificate chain. Please ensure the certificate chain is in PEM format.")
		}
		signed := false
		for _, c := range chain {
			if leaf.CheckSignatureFrom(c) == nil {
				signed = true
				break
			}
		}
		if !signed {
			return nil, model.BadRequest(codeValidation, "Could not validate the certificate with the certificate chain.")
		}
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, model.BadRequest(codeValidation, "The private key is not supported.")
	}
	out := &imported{
		leaf:         leaf,
		keyAlgorithm: alg,
		certPEM:      string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw})),
		keyPEM:       string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})),
	}
	for _, c := range chain {
		out.chainPEM += string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
	}
	// ACM names an imported certificate by its subject's common name and lists
	// its SAN extension's names as SubjectAlternativeNames.
	out.domain = leaf.Subject.CommonName
	if out.domain == "" && len(leaf.DNSNames) > 0 {
		out.domain = leaf.DNSNames[0]
	}
	if out.domain != "" {
		out.names = []string{out.domain}
	}
	for _, n := range leaf.DNSNames {
		if !slices.Contains(out.names, n) {
			out.names = append(out.names, n)
		}
	}
	return out, nil
}

// pemCertificates parses every CERTIFICATE block in b; false if b holds anything
// else or a block does not parse.
func pemCertificates(b []byte) ([]*x509.Certificate, bool) {
	var out []*x509.Certificate
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, false
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, false
		}
		out = append(out, c)
	}
	if strings.TrimSpace(string(b)) != "" {
		return nil, false
	}
	return out, true
}

// keyAlgorithm names a public key as ACM's KeyAlgorithm does; ACM imports RSA
// 1024–4096 and ECDSA P-256/384/521 keys only.
func keyAlgorithm(pub crypto.PublicKey) (string, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		switch bits := k.N.BitLen(); bits {
		case 1024, 2048, 3072, 4096:
			return fmt.Sprintf("RSA_%d", bits), nil
		default:
			return "", model.BadRequest(codeValidation, "The private key length %d is not supported.", bits)
		}
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return keyAlgorithmEC256, nil
		case elliptic.P384():
			return "EC_secp384r1", nil
		case elliptic.P521():
			return "EC_secp521r1", nil
		}
	}
	return "", model.BadRequest(codeValidation, "The private key is not supported.")
}

// AddTags adds or overwrites tags on the certificate.
func (s *Service) AddTags(ctx context.Context, arn string, tags map[string]string) error {
	if err := checkARN(arn); err != nil {
		return err
	}
	if len(tags) == 0 {
		return model.BadRequest(codeValidation, "1 validation error detected: Value '[]' at 'tags' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	if err := validateTags(tags); err != nil {
		return err
	}
	return s.updateTags(ctx, arn, func(cur map[string]string) error {
		maps.Copy(cur, tags)
		if len(cur) > maxTags {
			return model.BadRequest(codeTooManyTags, "The certificate %s would have more than %d tags.", arn, maxTags)
		}
		return nil
	})
}

// RemoveTags removes tags from the certificate: a key with a nil value is
// removed whatever its value, one with a value only if the value matches, as
// RemoveTagsFromCertificate does.
func (s *Service) RemoveTags(ctx context.Context, arn string, tags map[string]*string) error {
	if err := checkARN(arn); err != nil {
		return err
	}
	if len(tags) == 0 {
		return model.BadRequest(codeValidation, "1 validation error detected: Value '[]' at 'tags' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	if len(tags) > maxTags {
		// The API model's TagList bound; the request names more keys than a
		// certificate can have.
		return model.BadRequest(codeValidation, "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to %d", maxTags)
	}
	for k, v := range tags {
		val := ""
		if v != nil {
			val = *v
		}
		if err := validateTag(k, val); err != nil {
			return err
		}
	}
	return s.updateTags(ctx, arn, func(cur map[string]string) error {
		for k, v := range tags {
			if old, ok := cur[k]; ok && (v == nil || *v == old) {
				delete(cur, k)
			}
		}
		return nil
	})
}

// ListTags returns the certificate's tags.
func (s *Service) ListTags(ctx context.Context, arn string) (map[string]string, error) {
	c, _, err := s.load(ctx, arn)
	if err != nil {
		return nil, err
	}
	if c.Tags == nil {
		return map[string]string{}, nil
	}
	return c.Tags, nil
}

func (s *Service) updateTags(ctx context.Context, arn string, fn func(map[string]string) error) error {
	_, err := store.Update(ctx, s.st, model.Key(model.KindCertificate, arn), func(v *model.Certificate) error {
		if v.Tags == nil {
			v.Tags = map[string]string{}
		}
		if err := fn(v.Tags); err != nil {
			return err
		}
		if len(v.Tags) == 0 {
			v.Tags = nil
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return s.notFound(arn)
	}
	return err
}

// validateTags applies the API model's tag constraints.
func validateTags(tags map[string]string) error {
	if len(tags) > maxTags {
		return model.BadRequest(codeTooManyTags, "The request contains too many tags: a certificate can have at most %d.", maxTags)
	}
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		if err := validateTag(k, tags[k]); err != nil {
			return err
		}
	}
	return nil
}

func validateTag(k, v string) error {
	switch {
	case k == "" || utf8.RuneCountInString(k) > maxTagKeyLen:
		return model.Violation(codeValidation, "tags.member.key", k, fmt.Sprintf("Member must have length between 1 and %d", maxTagKeyLen))
	case !tagPattern.MatchString(k):
		return model.Violation(codeValidation, "tags.member.key", k, "Member must satisfy regular expression pattern: "+tagPatternText)
	case utf8.RuneCountInString(v) > maxTagValueLen:
		return model.Length(codeValidation, "tags.member.value", v, 0, maxTagValueLen)
	case !tagPattern.MatchString(v):
		return model.Violation(codeValidation, "tags.member.value", v, "Member must satisfy regular expression pattern: "+tagPatternText)
	case strings.HasPrefix(strings.ToLower(k), "aws:"):
		// Best match: ACM reserves the aws: prefix; its exact text is not documented.
		return model.BadRequest(codeInvalidTag, "The tag key %s is reserved: tag keys cannot start with aws:.", k)
	}
	return nil
}
