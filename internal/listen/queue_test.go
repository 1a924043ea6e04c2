package listen

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// A connection given is the one accepted; after Close, Accept ends with
// net.ErrClosed and a connection given is closed, not left waiting.
func TestQueue(t *testing.T) {
	q := NewQueue(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 443})
	if got := q.Addr().String(); got != "127.0.0.1:443" {
		t.Errorf("Addr: got %s", got)
	}
	ours, theirs := net.Pipe()
	defer theirs.Close()
	go q.Give(ours)
	c, err := q.Accept()
	if err != nil || c != ours {
		t.Fatalf("Accept: got %v, %v; want the connection given", c, err)
	}
	q.Close()
	q.Close() // twice is fine
	if _, err := q.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept after Close: got %v, want net.ErrClosed", err)
	}
	late, peer := net.Pipe()
	defer peer.Close()
	q.Give(late) // returns at once: nobody will accept
	_ = peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := peer.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("a connection given after Close: its peer read %v, want EOF (closed)", err)
	}
}
