package certs

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// keyPairRecord is the store value of the CA and of each internal certificate:
// the certificate and its private key, PEM-encoded, as ACM certificates keep
// theirs in model.Certificate.
type keyPairRecord struct {
	CertificatePEM string
	PrivateKeyPEM  string
}

// caStoreKey is the CA's one record in the store.
var caStoreKey = model.Key(model.KindCertificateAuthority, "root")

// internalStoreKey is the record of the internal certificate for names.
func internalStoreKey(names []string) string {
	return model.Key(model.KindCertificateAuthority, "internal/"+strings.Join(names, ","))
}

// internalRenewBefore is how long before its expiry an internal certificate is
// replaced at start, so a node never presents one that is about to lapse.
const internalRenewBefore = 30 * 24 * time.Hour

// LoadOrCreateSharedCA returns the CA kept in the store, so that every node
// sharing the store signs with, and serves certificates under, the same root.
// If the store holds none, the data directory's ca.pem and ca-key.pem are
// imported (an install that predates the shared CA keeps its root), or else a
// new CA is created; either is written create-only, and a node that loses
// that race to another uses the winner's.
//
// The key's home is the store: a new CA's key is never written to disk, and
// an imported ca-key.pem is left where it was (deleting a user's key file is
// not ours to do). ca.pem, the certificate only, is written to dataDir if
// missing, for clients to trust. A ca.pem (or ca-key.pem) that belongs to
// another CA than the store's is an error rather than overwritten: clients
// that trust it would silently stop trusting gatehouse.
func LoadOrCreateSharedCA(ctx context.Context, st store.Store, dataDir string) (*CA, error) {
	certPath := filepath.Join(dataDir, caCertFile)
	keyPath := filepath.Join(dataDir, caKeyFile)
	certPEM, err := readIfExists(certPath)
	if err != nil {
		return nil, fmt.Errorf("read CA certificate: %w", err)
	}
	keyPEM, err := readIfExists(keyPath)
	if err != nil {
		return nil, fmt.Errorf("read CA key: %w", err)
	}
	if keyPEM != nil && certPEM == nil {
		return nil, fmt.Errorf("CA key %s exists without its certificate %s; restore it or remove both to use the store's CA", keyPath, certPath)
	}
	var onDisk *CA
	if certPEM != nil && keyPEM != nil {
		if onDisk, err = parseCA(certPath, certPEM, keyPath, keyPEM); err != nil {
			return nil, err
		}
	}

	ca, err := loadStoredCA(ctx, st)
	if errors.Is(err, store.ErrNotFound) {
		ca, err = createStoredCA(ctx, st, onDisk, keyPEM, certPath, certPEM, keyPath)
	}
	if err != nil {
		return nil, err
	}

	if certPEM == nil {
		if err := os.MkdirAll(dataDir, 0o755); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
		if err := writeFileAtomic(certPath, ca.pem, 0o644); err != nil {
			return nil, err
		}
		return ca, nil
	}
	diskCert, err := parseCACertificate(certPath, certPEM)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(diskCert.Raw, ca.cert.Raw) {
		return nil, fmt.Errorf("CA certificate %s is not the store's CA (%s, serial %s); remove %s and %s to use the store's", certPath,
			ca.cert.Subject.CommonName, formatSerial(ca.cert.SerialNumber), certPath, keyPath)
	}
	return ca, nil
}

// createStoredCA writes the first CA to a store that holds none: the data
// directory's (onDisk with its key as found there) or a new one. A create that
// loses to another node's returns the winner's.
func createStoredCA(ctx context.Context, st store.Store, onDisk *CA, keyPEM []byte, certPath string, certPEM []byte, keyPath string) (*CA, error) {
	ca := onDisk
	switch {
	case onDisk != nil:
	case certPEM != nil:
		return nil, fmt.Errorf("CA certificate %s exists without its key %s and the store holds no CA; restore the key or remove the certificate to create a new CA", certPath, keyPath)
	default:
		var err error
		if ca, keyPEM, err = generateCA(); err != nil {
			return nil, err
		}
	}
	rec := keyPairRecord{CertificatePEM: string(ca.pem), PrivateKeyPEM: string(keyPEM)}
	_, err := store.Save(ctx, st, caStoreKey, rec, 0)
	if errors.Is(err, store.ErrConflict) {
		return loadStoredCA(ctx, st)
	}
	if err != nil {
		return nil, fmt.Errorf("save CA: %w", err)
	}
	return ca, nil
}

// loadStoredCA returns the store's CA, or an error wrapping store.ErrNotFound.
func loadStoredCA(ctx context.Context, st store.Store) (*CA, error) {
	rec, _, err := store.Load[keyPairRecord](ctx, st, caStoreKey)
	if err != nil {
		return nil, fmt.Errorf("load CA: %w", err)
	}
	return parseCA("store "+caStoreKey, []byte(rec.CertificatePEM), "store "+caStoreKey, []byte(rec.PrivateKeyPEM))
}

// readIfExists returns the file's contents, or nil if it does not exist.
func readIfExists(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

// generateCA creates a new root in memory and returns it with its key PEM.
func generateCA() (*CA, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate CA key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "gatehouse root CA", Organization: []string{"gatehouse"}},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(caValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		// Only leaves below the root: gatehouse never creates intermediates.
		MaxPathLenZero: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("create CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("parse new CA certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("encode CA key: %w", err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	return &CA{cert: cert, key: key, pem: certPEM}, keyPEM, nil
}

// InternalCertificate returns the certificate for names that is not an ACM
// resource (the execute-api endpoint's wildcard), kept in the store so that
// every node presents the same one: the first node to start issues it with a
// create-only write, the others load it. One that no longer chains to the CA or
// expires within internalRenewBefore is replaced (compare-and-swap, so nodes
// starting together still agree on one).
func (s *Service) InternalCertificate(ctx context.Context, names ...string) (tls.Certificate, error) {
	if s.ca == nil || s.st == nil {
		return tls.Certificate{}, errors.New("internal certificate: no CA or store")
	}
	key := internalStoreKey(names)
	// Each round either returns or lost a write to another node, whose
	// certificate the next round loads; a handful is plenty.
	for range 5 {
		rec, rev, err := store.Load[keyPairRecord](ctx, s.st, key)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return tls.Certificate{}, fmt.Errorf("internal certificate: %w", err)
		}
		if err == nil {
			if c, ok := s.usableInternal(rec); ok {
				return c, nil
			}
		}
		certPEM, keyPEM, _, err := s.ca.Issue(names, s.now().Add(Validity))
		if err != nil {
			return tls.Certificate{}, err
		}
		_, err = store.Save(ctx, s.st, key, keyPairRecord{CertificatePEM: certPEM, PrivateKeyPEM: keyPEM}, rev)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("save internal certificate: %w", err)
		}
		s.metrics.issued.WithLabelValues("internal").Inc()
		return s.internalPair(certPEM, keyPEM)
	}
	return tls.Certificate{}, fmt.Errorf("internal certificate %s: kept losing concurrent writes", key)
}

// usableInternal reports whether a stored internal certificate can still be
// served: it parses, is signed by this CA and is not about to expire.
func (s *Service) usableInternal(rec *keyPairRecord) (tls.Certificate, bool) {
	c, err := s.internalPair(rec.CertificatePEM, rec.PrivateKeyPEM)
	if err != nil {
		s.log.Warn("stored internal certificate unusable; reissuing", "err", err)
		return tls.Certificate{}, false
	}
	if c.Leaf.CheckSignatureFrom(s.ca.cert) != nil || s.now().Add(internalRenewBefore).After(c.Leaf.NotAfter) {
		return tls.Certificate{}, false
	}
	return c, true
}

// internalPair builds the served chain: the leaf, then the CA.
func (s *Service) internalPair(certPEM, keyPEM string) (tls.Certificate, error) {
	c, err := tls.X509KeyPair(append([]byte(certPEM), s.ca.pem...), []byte(keyPEM))
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		return tls.Certificate{}, err
	}
	c.Leaf = leaf
	return c, nil
}
