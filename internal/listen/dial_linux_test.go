package listen

import (
	"net"
	"testing"
	"time"
)

// An outbound connection that used a port as its source port leaves a
// TIME_WAIT behind; a listener must still be able to bind that address and
// port (an accelerator re-enabled on its static IP).
func TestDialLeavesNoPortBehind(t *testing.T) {
	server, err := net.Listen("tcp", "127.0.23.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	go func() {
		for {
			c, err := server.Accept()
			if err != nil {
				return
			}
			// Wait for the client to close first: the client side then holds
			// the TIME_WAIT.
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			c.Read(make([]byte, 1))
			c.Close()
		}
	}()
	src := &net.TCPAddr{IP: net.ParseIP("127.0.23.2"), Port: 41999}
	d := net.Dialer{LocalAddr: src, Control: DialControl, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", server.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	l, err := net.Listen("tcp", src.String())
	if err != nil {
		t.Fatalf("listen on the source address of a closed outbound connection: %v", err)
	}
	l.Close()
}
