package testutil

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"strconv"
	"testing"
)

func TestSelfSignedServesTLS(t *testing.T) {
	certPEM, keyPEM, cert := SelfSigned(t, "api.example.test", "www.example.test")
	if _, err := tls.X509KeyPair(certPEM, keyPEM); err != nil {
		t.Fatalf("key pair: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	for _, name := range []string{"api.example.test", "www.example.test"} {
		if _, err := cert.Verify(x509.VerifyOptions{DNSName: name, Roots: pool}); err != nil {
			t.Errorf("verify %s: %v", name, err)
		}
	}
}

func TestReplaceRestores(t *testing.T) {
	v := 1
	t.Run("inner", func(t *testing.T) {
		Replace(t, &v, 2)
		if v != 2 {
			t.Errorf("during the test: got %d, want 2", v)
		}
	})
	if v != 1 {
		t.Errorf("after the test: got %d, want 1", v)
	}
}

func TestEventually(t *testing.T) {
	n := 0
	Eventually(t, "counter", func() (bool, string) { n++; return n >= 3, "below 3" })
	if n != 3 {
		t.Errorf("polls: got %d, want 3", n)
	}
}

// TestFreePort: the port is below the ephemeral range and free for both
// protocols when asked for both.
func TestFreePort(t *testing.T) {
	port := FreePort(t, "127.0.0.1", true)
	if port < 1024 || port >= 32768 {
		t.Fatalf("got port %d, want one in [1024, 32768)", port)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("tcp %s: %v", addr, err)
	}
	l.Close()
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		t.Fatalf("udp %s: %v", addr, err)
	}
	pc.Close()
}
