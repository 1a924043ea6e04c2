package listen_test

import (
	"net"
	"testing"

	"gatehouse/internal/listen"
)

// tcpPair is a connected pair of loopback sockets.
func tcpPair(b *testing.B) (server, client *net.TCPConn) {
	b.Helper()
	l, err := net.Listen("tcp", "127.109.250.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	s, err := l.Accept()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close(); s.Close() })
	return s.(*net.TCPConn), c.(*net.TCPConn)
}

// The price of one quick ACK: a setsockopt, paid at most a few times per
// connection (listen.Opening).
func BenchmarkQuickAck(b *testing.B) {
	s, _ := tcpPair(b)
	b.ReportAllocs()
	for b.Loop() {
		listen.QuickAck(s)
	}
}

// The price on every write once a connection is open: one atomic load.
func BenchmarkOpeningAfterWriteOnceOpen(b *testing.B) {
	s, _ := tcpPair(b)
	var o listen.Opening
	for range 10 {
		o.AfterWrite(s)
	}
	b.ReportAllocs()
	for b.Loop() {
		o.AfterWrite(s)
	}
}
