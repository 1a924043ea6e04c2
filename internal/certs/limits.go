package certs

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"gatehouse/internal/model"
)

// DefaultMaxCertificates is ACM's quota per account and region, which ACM
// counts separately for the certificates it issues ("Number of ACM
// certificates") and for imported ones ("Number of imported certificates"):
// 2,500 each (ACM User Guide, "Quotas"). Deps.MaxCertificates overrides it.
const DefaultMaxCertificates = 2500

// checkQuota refuses a new certificate of type typ once the account holds
// the quota of that type. create decides it on a listing and writes only if
// no certificate changed since, so concurrent creates never overshoot it.
func (s *Service) checkQuota(all []*model.Certificate, typ string) error {
	n := 0
	for _, c := range all {
		if c.Type == typ {
			n++
		}
	}
	if n < s.maxCertificates {
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

// Limits from the ACM API model (botocore acm/2015-12-08).
const (
	maxDomainLen      = 253
	maxFirstDomainLen = 64 // RFC 5280 common name, as ACM enforces on DomainName
	maxSANs           = 100
	maxTokenLen       = 32
	minARNLen         = 20
	maxARNLen         = 2048
	maxCertificateLen = 32768
	maxPrivateKeyLen  = 5120
	maxChainLen       = 2097152
	maxNextTokenLen   = 10000
	idempotencyWindow = time.Hour
	validationSuffix  = "acm-validations.aws."
	domainPatternText = `(\*\.)?(((?!-)[A-Za-z0-9-]{0,62}[A-Za-z0-9])\.)+((?!-)[A-Za-z0-9-]{1,62}[A-Za-z0-9])`
	arnPatternText    = `arn:[\w+=/,.@-]+:acm:[\w+=/,.@-]*:[0-9]+:[\w+=,.@-]+(/[\w+=,.@-]+)*`
	tagPatternText    = `[\p{L}\p{Z}\p{N}_.:\/=+\-@]*`
	tokenPatternText  = `\w+`
)

// validationMethodEnum is the API model's ValidationMethod enum.
var validationMethodEnum = []string{"EMAIL", "DNS", "HTTP"}

// certificateStatuses is the API model's CertificateStatus enum.
var certificateStatuses = []string{"PENDING_VALIDATION", "ISSUED", "INACTIVE", "EXPIRED", "VALIDATION_TIMED_OUT", "REVOKED", "FAILED"}

// The model's patterns, anchored. Go has no lookahead, so the domain pattern is
// checked by validDomain instead.
var (
	arnPattern   = regexp.MustCompile(`^` + arnPatternText + `$`)
	tagPattern   = regexp.MustCompile(`^` + tagPatternText + `$`)
	tokenPattern = regexp.MustCompile(`^` + tokenPatternText + `$`)
)

// checkARN applies the API model's ARN constraints, then requires an ACM
// certificate ARN ("arn:<partition>:acm:<region>:<account>:certificate/<id>").
func checkARN(arn string) *model.Error {
	if arn == "" {
		return missing("certificateArn")
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
