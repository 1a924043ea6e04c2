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
)

// Values ACM reports.
const (
	typeAmazonIssued  = "AMAZON_ISSUED"
	typeImported      = "IMPORTED"
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
	idempotencyWindow  = time.Hour
	validationSuffix   = "acm-validations.aws."
	domainPatternText  = `(\*\.)?(((?!-)[A-Za-z0-9-]{0,62}[A-Za-z0-9])\.)+((?!-)[A-Za-z0-9-]{1,62}[A-Za-z0-9])`
	arnPatternText     = `arn:[\w+=/,.@-]+:acm:[\w+=/,.@-]*:[0-9]+:[\w+=,.@-]+(/[\w+=,.@-]+)*`
	tagPatternText     = `[\p{L}\p{Z}\p{N}_.:\/=+\-@]*`
	tokenPatternText   = `\w+`
	statusEnumText     = "[PENDING_VALIDATION, ISSUED, INACTIVE, EXPIRED, VALIDATION_TIMED_OUT, REVOKED, FAILED]"
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
	IdempotencyToken        string
	Tags                    map[string]string
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
		return nil, model.BadRequest(codeValidation, "1 validation error detected: Value '%s' at 'validationMethod' failed to satisfy constraint: Member must satisfy enum value set: %s", in.ValidationMethod, validationEnumText)
	}
	if in.IdempotencyToken != "" {
		if len(in.IdempotencyToken) > maxTokenLen {
			return nil, model.BadRequest(codeValidation, "1 validation error detected: Value '%s' at 'idempotencyToken' failed to satisfy constraint: Member must have length less than or equal to %d", in.IdempotencyToken, maxTokenLen)
		}
		if !tokenPattern.MatchString(in.IdempotencyToken) {
			return nil, model.BadRequest(codeValidation, "1 validation error detected: Value '%s' at 'idempotencyToken' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", in.IdempotencyToken, tokenPatternText)
		}
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	now := time.Now()
	if in.IdempotencyToken != "" {
		all, err := store.LoadAll[model.Certificate](ctx, s.st, model.Prefix(model.KindCertificate))
		if err != nil {
			return nil, fmt.Errorf("list certificates: %w", err)
		}
		for _, c := range all {
			if c.IdempotencyToken == in.IdempotencyToken && c.Type == typeAmazonIssued && now.Sub(c.CreatedAt) < idempotencyWindow {
				return c, nil
			}
		}
	}
	c := &model.Certificate{
		ARN:                     fmt.Sprintf("arn:aws:acm:%s:%s:certificate/%s", s.env.Region, s.env.Account, model.UUID()),
		DomainName:              names[0],
		SubjectAlternativeNames: names,
		ValidationMethod:        methodDNS,
		Type:                    typeAmazonIssued,
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
	if len(name) > maxDomainLen {
		return model.BadRequest(codeValidation, "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", name, field, maxDomainLen)
	}
	if !validDomain(name) {
		return model.BadRequest(codeValidation, "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", name, field, domainPatternText)
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

// notFound is ACM's answer for an unknown certificate. AWS's exact text is not
// documented; this is moto's rendering of it.
func (s *Service) notFound(arn string) *model.Error {
	return model.BadRequest(codeNotFound, "Certificate with arn %s not found in account %s", arn, s.env.Account)
}

// checkARN applies the API model's ARN constraints, then requires an ACM
// certificate ARN ("arn:<partition>:acm:<region>:<account>:certificate/<id>").
func checkARN(arn string) *model.Error {
	if arn == "" {
		return model.BadRequest(codeValidation, "1 validation error detected: Value null at 'certificateArn' failed to satisfy constraint: Member must not be null")
	}
	if len(arn) < minARNLen || len(arn) > maxARNLen {
		return model.BadRequest(codeValidation, "1 validation error detected: Value '%s' at 'certificateArn' failed to satisfy constraint: Member must have length between %d and %d", arn, minARNLen, maxARNLen)
	}
	if !arnPattern.MatchString(arn) {
		return model.BadRequest(codeValidation, "1 validation error detected: Value '%s' at 'certificateArn' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", arn, arnPatternText)
	}
	parts := strings.SplitN(arn, ":", 6)
	if id, ok := strings.CutPrefix(parts[5], "certificate/"); !ok || id == "" || strings.Contains(id, "/") {
		// Best match for AWS's text, which is not documented.
		return model.BadRequest(codeInvalidArn, "The ARN %s is not a valid certificate ARN.", arn)
	}
	return nil
}

// ListCertificates returns the certificates whose status is one of statuses (all
// of them if statuses is empty), oldest first.
func (s *Service) ListCertificates(ctx context.Context, statuses []string) ([]*model.Certificate, error) {
	for i, st := range statuses {
		if !slices.Contains(certificateStatuses, st) {
			return nil, model.BadRequest(codeValidation, "1 validation error detected: Value '%s' at 'certificateStatuses.%d.member' failed to satisfy constraint: Member must satisfy enum value set: %s", st, i+1, statusEnumText)
		}
	}
	all, err := store.LoadAll[model.Certificate](ctx, s.st, model.Prefix(model.KindCertificate))
	if err != nil {
		return nil, fmt.Errorf("list certificates: %w", err)
	}
	out := all[:0]
	for _, c := range all {
		if len(statuses) == 0 || slices.Contains(statuses, c.Status) {
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(a, b *model.Certificate) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ARN, b.ARN))
	})
	return out, nil
}

// DeleteCertificate deletes the certificate unless a load balancer listener or an
// API Gateway custom domain name uses it.
func (s *Service) DeleteCertificate(ctx context.Context, arn string) error {
	for {
		_, rev, err := s.load(ctx, arn)
		if err != nil {
			return err
		}
		users, err := s.users(ctx, arn)
		if err != nil {
			return err
		}
		if len(users) > 0 {
			return model.BadRequest(codeInUse, "Certificate %s is in use.", arn)
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

// users reads the store (not the feed, so a caller's own writes count) for the
// resources that use the certificate.
func (s *Service) users(ctx context.Context, arn string) ([]string, error) {
	listeners, err := store.LoadAll[model.Listener](ctx, s.st, model.Prefix(model.KindListener))
	if err != nil {
		return nil, fmt.Errorf("list listeners: %w", err)
	}
	domains, err := store.LoadAll[model.DomainName](ctx, s.st, model.Prefix(model.KindDomainName))
	if err != nil {
		return nil, fmt.Errorf("list domain names: %w", err)
	}
	snap := &model.Snapshot{Listeners: map[string]*model.Listener{}, DomainNames: map[string]*model.DomainName{}}
	for _, l := range listeners {
		snap.Listeners[l.ARN] = l
	}
	for _, d := range domains {
		snap.DomainNames[d.Name] = d
	}
	return InUseBy(snap, arn), nil
}

// InUseBy returns the ARNs of the resources in snap that use the certificate:
// load balancers whose listeners serve it and API Gateway custom domain names,
// sorted, as DescribeCertificate reports InUseBy. Pure.
func InUseBy(snap *model.Snapshot, arn string) []string {
	set := map[string]bool{}
	for _, l := range snap.Listeners {
		for _, c := range l.Certificates {
			if c.CertificateARN == arn {
				set[l.LoadBalancerARN] = true
			}
		}
	}
	region := ""
	if parts := strings.SplitN(arn, ":", 6); len(parts) == 6 {
		region = parts[3]
	}
	for _, d := range snap.DomainNames {
		if d.CertificateARN == arn || d.RegionalCertificateARN == arn {
			set[fmt.Sprintf("arn:aws:apigateway:%s::/domainnames/%s", region, d.Name)] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
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
	parsed, err := parseImport(certPEM, keyPEM, chainPEM, time.Now())
	if err != nil {
		return nil, err
	}
	now := time.Now()
	c := &model.Certificate{
		ARN:                     arn,
		DomainName:              parsed.domain,
		SubjectAlternativeNames: parsed.names,
		Type:                    typeImported,
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
		c.ARN = fmt.Sprintf("arn:aws:acm:%s:%s:certificate/%s", s.env.Region, s.env.Account, model.UUID())
		if _, err := store.Save(ctx, s.st, model.Key(model.KindCertificate, c.ARN), c, 0); err != nil {
			return nil, fmt.Errorf("save certificate %s: %w", c.ARN, err)
		}
		return c, nil
	}
	// Reimport: the certificate keeps its ARN, creation time and tags.
	stored, err := store.Update(ctx, s.st, model.Key(model.KindCertificate, arn), func(v *model.Certificate) error {
		if v.Type != typeImported {
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
		return model.BadRequest(codeValidation, "1 validation error detected: Value '%s' at 'tags.member.key' failed to satisfy constraint: Member must have length between 1 and %d", k, maxTagKeyLen)
	case !tagPattern.MatchString(k):
		return model.BadRequest(codeValidation, "1 validation error detected: Value '%s' at 'tags.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", k, tagPatternText)
	case utf8.RuneCountInString(v) > maxTagValueLen:
		return model.BadRequest(codeValidation, "1 validation error detected: Value '%s' at 'tags.member.value' failed to satisfy constraint: Member must have length less than or equal to %d", v, maxTagValueLen)
	case !tagPattern.MatchString(v):
		return model.BadRequest(codeValidation, "1 validation error detected: Value '%s' at 'tags.member.value' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", v, tagPatternText)
	case strings.HasPrefix(strings.ToLower(k), "aws:"):
		// Best match: ACM reserves the aws: prefix; its exact text is not documented.
		return model.BadRequest(codeInvalidTag, "The tag key %s is reserved: tag keys cannot start with aws:.", k)
	}
	return nil
}
