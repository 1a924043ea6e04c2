package model

import (
	"crypto/tls"
	"time"
)

// Certificate status values, as ACM reports them.
const (
	CertPendingValidation = "PENDING_VALIDATION"
	CertIssued            = "ISSUED"
	CertFailed            = "FAILED"
	CertTimedOut          = "VALIDATION_TIMED_OUT"
)

// Certificate types, as ACM reports them.
const (
	CertAmazonIssued = "AMAZON_ISSUED" // requested, issued by gatehouse's CA
	CertImported     = "IMPORTED"
)

// Certificate is an ACM certificate. Requested certificates are issued by the
// built-in CA once every domain's validation record answers in DNS.
type Certificate struct {
	ARN                     string
	DomainName              string
	SubjectAlternativeNames []string // includes DomainName first, as ACM reports it
	ValidationMethod        string   // "DNS"
	Type                    string   // CertAmazonIssued or CertImported
	Status                  string
	KeyAlgorithm            string // "EC_prime256v1"
	Validations             []DomainValidation
	CreatedAt               time.Time
	IssuedAt                time.Time         `json:",omitzero"`
	ImportedAt              time.Time         `json:",omitzero"`
	NotBefore               time.Time         `json:",omitzero"`
	NotAfter                time.Time         `json:",omitzero"`
	Serial                  string            `json:",omitempty"` // colon-separated hex, as ACM shows it
	CertificatePEM          string            `json:",omitempty"`
	ChainPEM                string            `json:",omitempty"`
	PrivateKeyPEM           string            `json:",omitempty"`
	Tags                    map[string]string `json:",omitempty"`
	// IdempotencyToken is the token RequestCertificate was called with: a repeat
	// within an hour returns this certificate instead of requesting a new one.
	IdempotencyToken string `json:",omitempty"`
}

// DomainValidation is one domain's DNS validation: the CNAME that must answer.
type DomainValidation struct {
	DomainName       string
	ValidationDomain string
	ValidationStatus string // PENDING_VALIDATION, SUCCESS, FAILED
	ResourceRecord   ResourceRecord
}

// ResourceRecord is the validation CNAME: Name → Value, both fully qualified.
type ResourceRecord struct {
	Name  string
	Type  string // "CNAME"
	Value string
}

// TLS returns the certificate as a tls.Certificate (leaf, chain and key), for the
// services that serve it. It fails while the certificate has no key pair yet
// (pending validation); callers serve only ISSUED certificates.
func (c *Certificate) TLS() (tls.Certificate, error) {
	return tls.X509KeyPair([]byte(c.CertificatePEM+c.ChainPEM), []byte(c.PrivateKeyPEM))
}

// TLSCache keeps, from one compile of a snapshot to the next, the key pairs
// of the certificates it served: a snapshot shares unchanged records with its
// predecessor, so a certificate that did not change is the same pointer and
// is not parsed again. (Parsing every certificate on every change was a
// tenth of what a deployment allocated.) One goroutine at a time.
type TLSCache struct {
	last, used map[*Certificate]*tls.Certificate
}

// TLS is c.TLS(), parsed once while c stays in the snapshots.
func (k *TLSCache) TLS(c *Certificate) (*tls.Certificate, error) {
	tc := k.used[c]
	if tc == nil {
		tc = k.last[c]
	}
	if tc == nil {
		parsed, err := c.TLS()
		if err != nil {
			return nil, err
		}
		tc = &parsed
	}
	if k.used == nil {
		k.used = map[*Certificate]*tls.Certificate{}
	}
	k.used[c] = tc
	return tc, nil
}

// Done ends a compile: the certificates it did not ask for are forgotten.
func (k *TLSCache) Done() { k.last, k.used = k.used, nil }
