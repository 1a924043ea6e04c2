package certs

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"

	"gatehouse/internal/model"
	"gatehouse/internal/paging"
	"gatehouse/internal/store"
)

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

// enumText prints an enum as AWS's validation messages do: "[A, B]" (the
// Includes filters' message quotes a list, which model.Enum does not).
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
	if in.NextToken != "" && !validListToken(in.NextToken) {
		// UNVERIFIED: ACM's code and text for a token it did not issue.
		return nil, model.BadRequest(codeInvalidArgs, "The NextToken %s is not valid.", model.Clip(in.NextToken))
	}
	keyTypes := in.KeyTypes
	if len(keyTypes) == 0 {
		keyTypes = defaultKeyTypes
	}
	all, err := store.LoadAll[model.Certificate](ctx, s.st, model.Prefix(model.KindCertificate))
	if err != nil {
		return nil, fmt.Errorf("list certificates: %w", err)
	}
	users, err := s.usersByCert(ctx)
	if err != nil {
		return nil, err
	}
	// Parsing every certificate's X.509 is the costly part of a listing: it is
	// done for all only when a usage filter needs it, else for the page alone.
	usageFilter := len(in.KeyUsages) > 0 || len(in.ExtendedKeyUsages) > 0
	// Each item carries its key, formatted once rather than at every
	// comparison of the sort.
	type item struct {
		Listed
		key string
	}
	var matching []item
	for _, c := range all {
		if len(in.Statuses) > 0 && !slices.Contains(in.Statuses, c.Status) || !slices.Contains(keyTypes, c.KeyAlgorithm) {
			continue
		}
		l := Listed{Certificate: c, InUse: len(users[c.ARN]) > 0}
		if usageFilter {
			l.Details = DetailsOf(c)
			if !anyIn(in.KeyUsages, l.Details.KeyUsages) || !anyIn(in.ExtendedKeyUsages, l.Details.ExtendedKeyUsageNames()) {
				continue
			}
		}
		matching = append(matching, item{l, listKey(c)})
	}
	keyset := paging.Keyset[item]{Key: func(i item) string { return i.key }, Desc: in.SortOrder == sortOrderDescending}
	// ok is always true: validListToken took the token, and Page takes every
	// token that holds a key.
	page, next, _ := keyset.Page(matching, in.NextToken, limit)
	out := &ListOutput{Certificates: make([]Listed, 0, len(page)), NextToken: next}
	for _, i := range page {
		if !usageFilter {
			i.Details = DetailsOf(i.Certificate)
		}
		out.Certificates = append(out.Certificates, i.Listed)
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
			return model.Enum(codeValidation, fmt.Sprintf("certificateStatuses.%d.member", i+1), st, certificateStatuses)
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
	if in.MaxItems != nil {
		if err := model.Range(codeValidation, "maxItems", *in.MaxItems, 1, maxListItems); err != nil {
			return err
		}
	}
	if in.SortBy != "" && in.SortBy != sortByCreatedAt {
		return model.Enum(codeValidation, "sortBy", in.SortBy, []string{sortByCreatedAt})
	}
	if in.SortOrder != "" && in.SortOrder != sortOrderAscending && in.SortOrder != sortOrderDescending {
		return model.Enum(codeValidation, "sortOrder", in.SortOrder, []string{sortOrderAscending, sortOrderDescending})
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

// listKeyTime formats a creation time in the list key: fixed width, so that
// keys order as (CreatedAt, ARN) do.
const listKeyTime = "2006-01-02T15:04:05.000000000Z"

// listKey is a certificate's position in ListCertificates' order, which a
// NextToken holds: its creation time (UTC) and ARN.
func listKey(c *model.Certificate) string {
	return c.CreatedAt.UTC().Format(listKeyTime) + " " + c.ARN
}

// validListToken reports whether token holds a list key, as every token
// ListCertificates issues does; paging.Keyset alone would take any base64.
func validListToken(token string) bool {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return false
	}
	created, arn, ok := strings.Cut(string(b), " ")
	if _, err := time.Parse(listKeyTime, created); !ok || err != nil || checkARN(arn) != nil {
		return false
	}
	return true
}
