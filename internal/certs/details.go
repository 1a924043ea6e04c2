package certs

import (
	"crypto/x509"
	"encoding/pem"
	"strings"

	"gatehouse/internal/model"
)

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
