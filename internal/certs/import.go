package certs

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"gatehouse/internal/model"
)

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
	now := s.now()
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
		c.ARN = s.newARN()
		return s.create(ctx, c, nil)
	}
	// Reimport: the certificate keeps its ARN, creation time and tags.
	return s.update(ctx, arn, func(v *model.Certificate) error {
		if v.Type != model.CertImported {
			// Best match for AWS's text, which is not documented.
			return model.BadRequest(codeValidation, "Certificate %s is not an imported certificate; only imported certificates can be reimported.", arn)
		}
		created, oldTags := v.CreatedAt, v.Tags
		*v = *c
		v.CreatedAt, v.Tags = created, oldTags
		return nil
	})
}

// checkBlobLen applies the API model's length bounds to a PEM blob: ACM counts
// its bytes and, as for any blob, does not echo it in the message.
func checkBlobLen(field string, b []byte, max int) *model.Error {
	if len(b) == 0 {
		return sizeViolation(field, "Member must have length greater than or equal to 1")
	}
	if len(b) > max {
		return sizeViolation(field, fmt.Sprintf("Member must have length less than or equal to %d", max))
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
