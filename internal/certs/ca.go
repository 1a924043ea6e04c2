package certs

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// CA file names inside the data directory.
const (
	caCertFile = "ca.pem"
	caKeyFile  = "ca-key.pem"
)

// caValidity is the root's lifetime: long enough that nobody has to rotate it
// in the life of an installation, as a private root is usually set up.
const caValidity = 10 * 365 * 24 * time.Hour

// backdate is how far NotBefore lies in the past, so that peers whose clocks run
// a little behind still accept a certificate issued a moment ago.
const backdate = time.Hour

// CA is gatehouse's built-in certificate authority: one ECDSA P-256 root that
// signs every certificate gatehouse issues. It is immutable and safe for
// concurrent use.
type CA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

// LoadOrCreateCA loads the root CA from dataDir (ca.pem and ca-key.pem), or
// creates and writes one on the first start. It keeps the CA on disk only, for
// tests and tools without a store; the daemon uses LoadOrCreateSharedCA. A
// file that exists but does not parse is an error naming the file: it is never
// replaced, since every client that trusts the old root would stop trusting
// gatehouse.
func LoadOrCreateCA(dataDir string) (*CA, error) {
	certPath := filepath.Join(dataDir, caCertFile)
	keyPath := filepath.Join(dataDir, caKeyFile)
	certPEM, certErr := os.ReadFile(certPath)
	keyPEM, keyErr := os.ReadFile(keyPath)
	switch {
	case certErr == nil && keyErr == nil:
		return parseCA(certPath, certPEM, keyPath, keyPEM)
	case errors.Is(certErr, fs.ErrNotExist) && errors.Is(keyErr, fs.ErrNotExist):
		return createCA(dataDir, certPath, keyPath)
	case certErr != nil && !errors.Is(certErr, fs.ErrNotExist):
		return nil, fmt.Errorf("read CA certificate: %w", certErr)
	case keyErr != nil && !errors.Is(keyErr, fs.ErrNotExist):
		return nil, fmt.Errorf("read CA key: %w", keyErr)
	case certErr != nil:
		return nil, fmt.Errorf("CA key %s exists without its certificate %s; restore it or remove both to create a new CA", keyPath, certPath)
	default:
		return nil, fmt.Errorf("CA certificate %s exists without its key %s; restore it or remove both to create a new CA", certPath, keyPath)
	}
}

func parseCA(certPath string, certPEM []byte, keyPath string, keyPEM []byte) (*CA, error) {
	cert, err := parseCACertificate(certPath, certPEM)
	if err != nil {
		return nil, err
	}
	kblock, _ := pem.Decode(keyPEM)
	if kblock == nil {
		return nil, fmt.Errorf("parse CA key %s: no PEM block", keyPath)
	}
	k, err := parsePrivateKey(kblock)
	if err != nil {
		return nil, fmt.Errorf("parse CA key %s: %w", keyPath, err)
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("parse CA key %s: not an ECDSA key", keyPath)
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || !pub.Equal(&key.PublicKey) {
		return nil, fmt.Errorf("CA key %s does not match certificate %s", keyPath, certPath)
	}
	return &CA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})}, nil
}

// parseCACertificate parses the first PEM block of certPEM as a CA
// certificate; certPath names its source in errors.
func parseCACertificate(certPath string, certPEM []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("parse CA certificate %s: no PEM CERTIFICATE block", certPath)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse CA certificate %s: %w", certPath, err)
	}
	if !cert.IsCA {
		return nil, fmt.Errorf("parse CA certificate %s: not a CA certificate", certPath)
	}
	return cert, nil
}

func createCA(dataDir, certPath, keyPath string) (*CA, error) {
	ca, keyPEM, err := generateCA()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	// The key goes first: a crash between the two writes leaves a key without a
	// certificate, which the next start reports instead of silently replacing.
	if err := writeFileAtomic(keyPath, keyPEM, 0o600); err != nil {
		return nil, err
	}
	if err := writeFileAtomic(certPath, ca.pem, 0o644); err != nil {
		return nil, err
	}
	return ca, nil
}

// writeFileAtomic writes data to a temporary file beside path and renames it,
// so a reader never sees a half-written file.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op once renamed
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// Certificate returns the root certificate.
func (ca *CA) Certificate() *x509.Certificate { return ca.cert }

// PEM returns the root certificate PEM-encoded, for clients to trust.
func (ca *CA) PEM() []byte { return bytes.Clone(ca.pem) }

// Issue signs a new ECDSA P-256 server certificate for names (DNS names,
// wildcards allowed, or IP addresses), valid from an hour ago until notAfter
// (never beyond the root's own expiry). It returns the leaf and its key
// PEM-encoded, and the parsed leaf.
func (ca *CA) Issue(names []string, notAfter time.Time) (certPEM, keyPEM string, leaf *x509.Certificate, err error) {
	if len(names) == 0 {
		return "", "", nil, errors.New("issue certificate: no names")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", nil, fmt.Errorf("generate key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return "", "", nil, err
	}
	if notAfter.After(ca.cert.NotAfter) {
		notAfter = ca.cert.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		NotBefore:             time.Now().Add(-backdate),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	// The common name is informational (clients match SANs), and RFC 5280 caps it
	// at 64 octets, as ACM does for the first domain name.
	if len(names[0]) <= 64 {
		tmpl.Subject.CommonName = names[0]
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return "", "", nil, fmt.Errorf("sign certificate for %s: %w", names[0], err)
	}
	leaf, err = x509.ParseCertificate(der)
	if err != nil {
		return "", "", nil, fmt.Errorf("parse new certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", nil, fmt.Errorf("encode key: %w", err)
	}
	certPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	keyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	return certPEM, keyPEM, leaf, nil
}

// randomSerial returns a random positive 128-bit serial number. The top bit is
// cleared so that its DER encoding is exactly 16 bytes, the length ACM shows.
func randomSerial() (*big.Int, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("generate serial: %w", err)
	}
	b[0] &= 0x7f
	b[0] |= 0x40 // never a leading zero byte, so the serial always shows 16 octets
	return new(big.Int).SetBytes(b), nil
}

// formatSerial renders a serial as ACM shows it: lowercase hex octets separated
// by colons ("0f:ac:b0:…").
func formatSerial(n *big.Int) string {
	b := n.Bytes()
	if len(b) == 0 {
		b = []byte{0}
	}
	const hexdigits = "0123456789abcdef"
	out := make([]byte, 0, len(b)*3)
	for i, c := range b {
		if i > 0 {
			out = append(out, ':')
		}
		out = append(out, hexdigits[c>>4], hexdigits[c&0xf])
	}
	return string(out)
}

// parsePrivateKey parses a PEM block holding a PKCS#8, PKCS#1 (RSA) or SEC 1
// (EC) private key.
func parsePrivateKey(b *pem.Block) (any, error) {
	switch b.Type {
	case "RSA PRIVATE KEY":
		return x509.ParsePKCS1PrivateKey(b.Bytes)
	case "EC PRIVATE KEY":
		return x509.ParseECPrivateKey(b.Bytes)
	case "PRIVATE KEY":
		return x509.ParsePKCS8PrivateKey(b.Bytes)
	default:
		return nil, fmt.Errorf("unsupported PEM block %q", b.Type)
	}
}
