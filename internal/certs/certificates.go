package certs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// Values ACM reports.
const (
	methodDNS         = "DNS"
	validationPending = "PENDING_VALIDATION"
	validationSuccess = "SUCCESS"
	keyAlgorithmEC256 = "EC_prime256v1"
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
		return nil, model.Enum(codeValidation, "validationMethod", in.ValidationMethod, validationMethodEnum)
	}
	switch {
	case in.KeyAlgorithm == "" || in.KeyAlgorithm == keyAlgorithmEC256:
	case slices.Contains(keyTypeEnum, in.KeyAlgorithm):
		// Not ACM's behaviour (it issues RSA_2048 and EC_secp384r1 too): gatehouse's
		// CA issues P-256 keys only, so it refuses rather than report another.
		return nil, model.BadRequest(codeInvalidParameter, "KeyAlgorithm %s is not supported; gatehouse issues %s certificates only.", in.KeyAlgorithm, keyAlgorithmEC256)
	default:
		return nil, model.Enum(codeValidation, "keyAlgorithm", in.KeyAlgorithm, keyTypeEnum)
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
	now := s.now()
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
	return s.create(ctx, c, func(all []*model.Certificate) *model.Certificate {
		if in.IdempotencyToken == "" {
			return nil
		}
		for _, had := range all {
			if had.IdempotencyToken == in.IdempotencyToken && had.Type == model.CertAmazonIssued && now.Sub(had.CreatedAt) < idempotencyWindow {
				return had
			}
		}
		return nil
	})
}

// create stores c, a new certificate, unless the account already holds its
// type's quota or earlier (given all certificates, it returns one to answer
// instead: an idempotent repeat). Both rules span every certificate record,
// so the write is one store Txn conditioned on no certificate having been
// created or changed since the listing they were decided on; on a conflict
// they are decided again. Two nodes creating at once thus neither overshoot
// the quota nor both create for one idempotency token.
func (s *Service) create(ctx context.Context, c *model.Certificate, earlier func(all []*model.Certificate) *model.Certificate) (*model.Certificate, error) {
	prefix := model.Prefix(model.KindCertificate)
	key := model.Key(model.KindCertificate, c.ARN)
	b, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode certificate %s: %w", c.ARN, err)
	}
	for {
		all, rev, err := store.LoadAllAt[model.Certificate](ctx, s.st, prefix)
		if err != nil {
			return nil, fmt.Errorf("list certificates: %w", err)
		}
		if earlier != nil {
			if had := earlier(all); had != nil {
				return had, nil
			}
		}
		if err := s.checkQuota(all, c.Type); err != nil {
			return nil, err
		}
		_, err = s.st.Txn(ctx, []store.Cond{store.NoneAfter(prefix, rev), store.KeyIs(key, 0)}, []store.Op{store.Put(key, b)})
		switch {
		case errors.Is(err, store.ErrConflict):
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			continue
		case err != nil:
			return nil, fmt.Errorf("save certificate %s: %w", c.ARN, err)
		}
		return c, nil
	}
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
		return nil, missing("domainName")
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
		return nil, sizeViolation("subjectAlternativeNames", fmt.Sprintf("Member must have length less than or equal to %d", maxSANs))
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
	return store.LoadOr[model.Certificate](ctx, s.st, model.Key(model.KindCertificate, arn), func() error { return s.notFound(arn) })
}

// update applies fn to the certificate with the ARN (retrying on a concurrent
// change), answering ACM's not-found error if there is none.
func (s *Service) update(ctx context.Context, arn string, fn func(*model.Certificate) error) (*model.Certificate, error) {
	return store.UpdateOr(ctx, s.st, model.Key(model.KindCertificate, arn), func() error { return s.notFound(arn) }, fn)
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

// DeleteCertificate deletes the certificate unless a load balancer listener or an
// API Gateway custom domain name uses it.
//
// "Not in use" spans records of other kinds, so a check followed by a delete
// would race: a listener created between the check and the delete would serve
// a certificate that is gone, on one node or on several. The delete is
// therefore one store Txn conditioned on the certificate being unchanged and
// on no listener or domain name having been created or changed since the
// listings that found no user; any of those failing is a conflict, and the
// decision is taken again on fresh state.
func (s *Service) DeleteCertificate(ctx context.Context, arn string) error {
	key := model.Key(model.KindCertificate, arn)
	for {
		_, rev, err := s.load(ctx, arn)
		if err != nil {
			return err
		}
		users, unchanged, err := s.usersByCertAt(ctx)
		if err != nil {
			return err
		}
		if len(users[arn]) > 0 {
			return model.BadRequest(codeInUse, "Certificate %s in account %s is in use.", arn, s.env.Account)
		}
		conds := append(unchanged, store.KeyIs(key, rev))
		_, err = s.st.Txn(ctx, conds, []store.Op{store.Del(key)})
		switch {
		case errors.Is(err, store.ErrConflict):
			// The certificate changed (issued, retagged, deleted) or a user may
			// have appeared: decide again; load answers not-found if it is gone.
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
	users, _, err := s.usersByCertAt(ctx)
	return users, err
}

// usersByCertAt is usersByCert that also returns the conditions under which
// its answer still holds: no listener and no domain name created or changed
// since the listings it was read from (a deletion only removes users, so it
// does not matter).
func (s *Service) usersByCertAt(ctx context.Context) (map[string][]string, []store.Cond, error) {
	listenerPrefix := model.Prefix(model.KindListener)
	listeners, listenersRev, err := store.LoadAllAt[model.Listener](ctx, s.st, listenerPrefix)
	if err != nil {
		return nil, nil, fmt.Errorf("list listeners: %w", err)
	}
	domainPrefix := model.Prefix(model.KindDomainName)
	domains, domainsRev, err := store.LoadAllAt[model.DomainName](ctx, s.st, domainPrefix)
	if err != nil {
		return nil, nil, fmt.Errorf("list domain names: %w", err)
	}
	unchanged := []store.Cond{store.NoneAfter(listenerPrefix, listenersRev), store.NoneAfter(domainPrefix, domainsRev)}
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
	return users, unchanged, nil
}
