package listen_test

import (
	"context"
	"net"
	"strings"
	"testing"

	"gatehouse/internal/listen"
)

func echoServe(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		c.Write([]byte("hi"))
		c.Close()
	}
}

func TestReconcileKeepsOpenSocketsAndReportsBusyPorts(t *testing.T) {
	ctx := context.Background()
	set := listen.NewSet(echoServe)
	defer set.Close()

	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := free.Addr().String()
	free.Close()

	err = set.Reconcile(ctx, []string{a, busy.Addr().String()}).Err()
	if err == nil || !strings.Contains(err.Error(), "address already in use") || !strings.Contains(err.Error(), busy.Addr().String()) {
		t.Fatalf("busy port: got %v, want an error naming %s and 'address already in use'", err, busy.Addr())
	}
	if got := set.Addrs(); len(got) != 1 || got[0] != a {
		t.Fatalf("open after partial failure: got %v, want [%s]", got, a)
	}
	// Hold a connection across a reconcile that keeps the address.
	c, err := net.Dial("tcp", a)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if failed := set.Reconcile(ctx, []string{a}); failed != nil {
		t.Fatal(failed.Err())
	}
	buf := make([]byte, 2)
	if _, err := c.Read(buf); err != nil || string(buf) != "hi" {
		t.Fatalf("connection across reconcile: got %q, %v", buf, err)
	}
	if failed := set.Reconcile(ctx, nil); failed != nil {
		t.Fatal(failed.Err())
	}
	if _, err := net.Dial("tcp", a); err == nil {
		t.Fatal("address still accepts after it left the set")
	}
}
