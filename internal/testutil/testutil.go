// Package testutil is the support every package's tests share: polling for a
// state that arrives asynchronously, unwrapping a result that must not fail,
// self-signed certificates, free ports, and replacing a value for one test.
// It is imported by tests only.
package testutil

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	mrand "math/rand/v2"
	"net"
	"strconv"
	"testing"
	"time"
)

// FreePort returns a port free on ip for TCP, and for UDP too when udp, for
// a server a test starts next. It is picked below the kernel's ephemeral
// range (32768 up, by default): a port from that range, free when checked,
// can become a connection's local port or another test's ":0" listener
// before the server binds it (CI saw "address already in use" so); none is
// handed out here.
func FreePort(t testing.TB, ip string, udp bool) int {
	t.Helper()
	for range 100 {
		port := 20000 + mrand.IntN(12000)
		addr := net.JoinHostPort(ip, strconv.Itoa(port))
		var pc net.PacketConn
		if udp {
			var err error
			if pc, err = net.ListenPacket("udp", addr); err != nil {
				continue
			}
		}
		l, err := net.Listen("tcp", addr)
		if pc != nil {
			pc.Close()
		}
		if err == nil {
			l.Close()
			return port
		}
	}
	t.Fatalf("no free port on %s", ip)
	return 0
}

// WaitLimit bounds every Eventually: long enough for a loaded 2-core CI
// machine, never a measure of speed (no test asserts timing).
const WaitLimit = 30 * time.Second

// pollEvery is how often Eventually looks again.
const pollEvery = 5 * time.Millisecond

// Eventually polls cond until it holds and fails t if it does not within
// WaitLimit, with what and the last state cond described ("got …").
func Eventually(t testing.TB, what string, cond func() (ok bool, got string)) {
	t.Helper()
	EventuallyWithin(t, WaitLimit, what, cond)
}

// EventuallyWithin is Eventually with its own bound, for states that take
// long by design (a health check's interval times its threshold).
func EventuallyWithin(t testing.TB, limit time.Duration, what string, cond func() (ok bool, got string)) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		ok, got := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still %s after %v", what, got, limit)
		}
		time.Sleep(pollEvery)
	}
}

// Must returns a function that unwraps a (value, error) pair and fails t on
// the error: v := testutil.Must[*T](t)(op(ctx, in)).
func Must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// Replace sets *p to v for the rest of the test and restores it after.
func Replace[T any](t testing.TB, p *T, v T) {
	t.Helper()
	old := *p
	*p = v
	t.Cleanup(func() { *p = old })
}

// SelfSigned is a self-signed ECDSA P-256 certificate for names (the first is
// the subject), valid from an hour ago for a day, usable as its own CA: its
// PEM certificate and key and the parsed certificate.
func SelfSigned(t testing.TB, names ...string) (certPEM, keyPEM []byte, cert *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: names[0]},
		DNSNames:              names,
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err = x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), cert
}
