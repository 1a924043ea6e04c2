package listen_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"net/http"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"gatehouse/internal/listen"
)

// selfSigned is a throwaway ECDSA certificate for a test TLS server.
func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "quickack.test"},
		DNSNames:     []string{"quickack.test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// handshaken is what a test TLS server reports once its handshake with a
// client is over: by then it has read the client's last handshake bytes.
type handshaken struct {
	err error
}

// tlsServe is a Serve that terminates TLS on each connection (wrap adapts the
// accepted connection first, as a service would), reports the end of the
// handshake, then answers one HTTP request with 200 and closes.
func tlsServe(cert tls.Certificate, wrap func(net.Conn) net.Conn, done chan<- handshaken) listen.Serve {
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	return func(l net.Listener) {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				tc := tls.Server(wrap(c), cfg)
				tc.SetDeadline(time.Now().Add(ioLimit))
				err := tc.Handshake()
				done <- handshaken{err}
				if err != nil {
					return
				}
				if _, err := http.ReadRequest(bufio.NewReader(tc)); err != nil {
					return
				}
				tc.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
			}()
		}
	}
}

// unacked is the number of segments c has sent that its peer has not ACKed.
func unacked(t *testing.T, c *net.TCPConn) uint32 {
	t.Helper()
	raw, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var info *unix.TCPInfo
	if cerr := raw.Control(func(fd uintptr) {
		info, err = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
	}); cerr != nil {
		t.Fatal(cerr)
	}
	if err != nil {
		t.Fatalf("TCP_INFO: %v", err)
	}
	return info.Unacked
}

// A client that leaves Nagle on holds its request until the server ACKs the
// client's last handshake bytes (TLS 1.3: its Finished, after which Go's
// server has nothing to send). Linux delays that ACK by 40 ms unless the
// server's socket was told otherwise after its handshake write. The server
// reads the Finished before its handshake returns; with Opening's quick ACK
// the ACK has left by the end of that read, so the client sees nothing
// unacknowledged once the server reports the handshake over. Without it the
// Finished stays unacknowledged until the delayed-ACK timer fires.
func TestFirstRequestNotHeldByDelayedACK(t *testing.T) {
	cert := selfSigned(t)
	rawConn := func(c net.Conn) net.Conn {
		tc, ok := listen.TCPConn(c)
		if !ok {
			t.Errorf("accepted %T: no socket under it", c)
			return c
		}
		return tc
	}
	asAccepted := func(c net.Conn) net.Conn { return c }
	cases := []struct {
		name    string
		budget  bool
		wrap    func(net.Conn) net.Conn // what the service terminates TLS on
		version uint16
		resumed bool // a second connection that resumes the first one's session
	}{
		{"set without budget, TLS 1.3", false, asAccepted, tls.VersionTLS13, false},
		{"set without budget, TLS 1.2", false, asAccepted, tls.VersionTLS12, false},
		{"set with budget, TLS 1.3", true, asAccepted, tls.VersionTLS13, false},
		{"set with budget, TLS 1.2", true, asAccepted, tls.VersionTLS12, false},
		// Resumed, the server writes once (ServerHello, ChangeCipherSpec,
		// Finished) and the client answers with its Finished, then the request.
		{"set with budget, TLS 1.2 resumed", true, asAccepted, tls.VersionTLS12, true},
		{"set with budget, TLS 1.3 resumed", true, asAccepted, tls.VersionTLS13, true},
		// A connection handed over in process arrives as the bare socket.
		{"bare socket under OpeningConn, TLS 1.3", false, func(c net.Conn) net.Conn { return listen.OpeningConn(rawConn(c)) }, tls.VersionTLS13, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan handshaken, 1)
			serve := tlsServe(cert, tc.wrap, done)
			set := listen.NewSet(serve)
			if tc.budget {
				set = listen.NewLimitedSet(listen.NewBudget("test", listen.Limits{Total: 10}, nil, nil), serve)
			}
			defer set.Close()
			addr := freeAddr(t, "127.109.250.1")
			if failed := set.Reconcile(context.Background(), []string{addr}); failed != nil {
				t.Fatal(failed.Err())
			}

			cfg := clientConfig(tc.version)
			state := exchange(t, addr, cfg, done)
			if tc.resumed {
				state = exchange(t, addr, cfg, done)
				if !state.DidResume {
					t.Errorf("second connection: got a full handshake, want the session resumed")
				}
			}
		})
	}
}

// relayServe is a Serve that relays each connection to backend byte for byte,
// as the accelerator does: its socket to the client is the one that must ACK
// the client's Finished, which only passes through it. It quick-ACKs after
// reading from the client, as the accelerator's copy loop does.
func relayServe(backend string) listen.Serve {
	return func(l net.Listener) {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				client, _ := listen.TCPConn(c)
				up, err := net.DialTimeout("tcp", backend, ioLimit)
				if err != nil {
					return
				}
				defer up.Close()
				go io.Copy(client, up)
				var opening listen.Opening
				buf := make([]byte, 32<<10)
				for {
					n, err := client.Read(buf)
					if n > 0 {
						opening.AfterRead(client)
						if _, werr := up.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						up.(*net.TCPConn).CloseWrite()
						return
					}
				}
			}()
		}
	}
}

// A relay (the accelerator's static IPs) sees the client's Finished pass by:
// its own socket to the client must ACK it at once. The backend's handshake
// ends after the relay read the Finished and passed it on.
func TestRelayFirstRequestNotHeldByDelayedACK(t *testing.T) {
	done := make(chan handshaken, 1)
	backend, err := net.Listen("tcp", "127.109.250.2:0")
	if err != nil {
		t.Fatal(err)
	}
	go tlsServe(selfSigned(t), func(c net.Conn) net.Conn { return c }, done)(backend)
	defer backend.Close()
	set := listen.NewSet(relayServe(backend.Addr().String()))
	defer set.Close()
	addr := freeAddr(t, "127.109.250.1")
	if failed := set.Reconcile(context.Background(), []string{addr}); failed != nil {
		t.Fatal(failed.Err())
	}
	exchange(t, addr, clientConfig(tls.VersionTLS13), done)
}

// clientConfig is a test client's: one TLS version, no verification, a
// session cache for resumption.
func clientConfig(version uint16) *tls.Config {
	return &tls.Config{InsecureSkipVerify: true, MinVersion: version, MaxVersion: version, ClientSessionCache: tls.NewLRUClientSessionCache(1)}
}

// exchange connects to addr with Nagle on, completes a TLS handshake with cfg,
// waits for the server to report its end of it, checks that the server's side
// ACKed everything the client sent, and makes one request.
func exchange(t *testing.T, addr string, cfg *tls.Config, done <-chan handshaken) tls.ConnectionState {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, ioLimit)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sock := c.(*net.TCPConn)
	sock.SetNoDelay(false) // Nagle on, as the clients that stall leave it
	client := tls.Client(sock, cfg)
	client.SetDeadline(time.Now().Add(ioLimit))
	if err := client.Handshake(); err != nil {
		t.Fatalf("client handshake: %v", err)
	}
	if h := <-done; h.err != nil {
		t.Fatalf("server handshake: %v", h.err)
	}
	if got := unacked(t, sock); got != 0 {
		t.Errorf("segments the server has not ACKed once it read the handshake: got %d, want 0 (its ACK is delayed: the request waits on Nagle)", got)
	}

	req, _ := http.NewRequest("GET", "https://quickack.test/", nil)
	if err := req.Write(client); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(client), req)
	if err != nil {
		t.Fatalf("response: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status: got %d, want 200", resp.StatusCode)
	}
	return client.ConnectionState()
}

// freeAddr is a loopback address with a port nothing listens on now.
func freeAddr(t *testing.T, ip string) string {
	t.Helper()
	l, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
