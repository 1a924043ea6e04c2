package accelerator

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"gatehouse/internal/handoff"
	"gatehouse/internal/testutil"
)

// inProcessNode registers a load balancer node served "in this process" for
// ip:port: it speaks lbNode's protocol on the connections handed to it,
// naming the source the accelerator gave as the client. take reports
// whether to accept a connection (false: the node's listener is closing).
func inProcessNode(t *testing.T, reg *handoff.Registry, name, ip string, port int, take func() bool) {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	remove := reg.AddConn(netip.AddrPortFrom(netip.MustParseAddr(ip), uint16(port)), func(c net.Conn, source netip.AddrPort) bool {
		if !take() {
			return false
		}
		mu.Lock()
		conns[c] = true
		mu.Unlock()
		wg.Go(func() {
			defer c.Close()
			br := bufio.NewReader(c)
			if _, err := br.ReadString('\n'); err != nil {
				return
			}
			fmt.Fprintf(c, "%s:%s\n", name, source.Addr())
			for {
				line, err := br.ReadString('\n')
				if err != nil {
					return
				}
				fmt.Fprintf(c, "%s:%s", name, line)
			}
		})
		return true
	})
	t.Cleanup(func() {
		remove()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
}

func (f *fixture) handoffs() float64 {
	f.t.Helper()
	var m dto.Metric
	if err := f.svc.metrics.handedOff.Write(&m); err != nil {
		f.t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// TestHandoffToNode: a node this process serves gets the client connection
// itself, with the client's address as metadata, and the flow is the
// accelerator's as a dialed one is: tracked, counted, and cut by a change
// that removes its endpoint. Nothing listens on the in-process node's
// address, so a flow that works was handed over, not dialed.
func TestHandoffToNode(t *testing.T) {
	always := func() bool { return true }
	never := func() bool { return false }
	tests := []struct {
		name      string
		preserve  bool
		take      func() bool
		realLB2   bool // lb2 is a socket node (lbNode) rather than in process
		want      string
		handoffs  float64
		removeLB1 bool
	}{
		{name: "client address as metadata", preserve: true, take: always, want: "lb1:" + clientIP, handoffs: 1},
		{name: "without preservation the node sees the static IP", take: always, want: "lb1:" + staticIP1, handoffs: 1},
		{name: "a node that cannot take it now: the next endpoint, dialed", preserve: true, take: never, realLB2: true, want: "lb2:" + clientIP},
		{name: "endpoint removed cuts the handed-off flow", preserve: true, take: always, want: "lb1:" + clientIP, handoffs: 1, removeLB1: true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port := 41500 + i
			reg := handoff.New()
			f := newFixture(t, true, func(d *Deps) { d.Handoff = reg })
			inProcessNode(t, reg, "lb1", lb1IP, port, tt.take)
			if tt.realLB2 {
				lbNode(t, "lb2", lb2IP, port)
			}
			lb1, lb2 := f.putLB("lb1", true, lb1IP), f.putLB("lb2", true, lb2IP)
			first := ep(lb1, 255)
			if !tt.preserve {
				first = noPreservation(lb1)
			}
			second := ep(lb2, 0)
			if tt.realLB2 {
				second = ep(lb2, 1)
			}
			_, g := f.setup(port, "", first, second)

			c, reply, err := dial(clientIP, staticIP1, port)
			if err != nil {
				t.Fatal(err)
			}
			defer c.c.Close()
			if reply != tt.want {
				t.Fatalf("first reply: got %q, want %q", reply, tt.want)
			}
			if got := f.handoffs(); got != tt.handoffs {
				t.Errorf("handoffs_total: got %v, want %v", got, tt.handoffs)
			}
			if n := f.flowCount(); n != 1 {
				t.Errorf("tracked flows: got %d, want 1", n)
			}
			if !tt.removeLB1 {
				if got, err := c.roundTrip("again"); err != nil || got[4:] != "again" {
					t.Fatalf("second line: got %q, %v; want the node's echo of %q", got, err, "again")
				}
				c.c.Close()
				f.waitFlows("the flow untracked once the client left", 0)
				return
			}
			if err := f.svc.RemoveEndpoints(f.ctx, g.ARN, []string{lb1}); err != nil {
				t.Fatal(err)
			}
			f.waitServed(f.rev())
			if got, err := c.roundTrip("after"); !closedByPeer(err) {
				t.Fatalf("handed-off flow once its endpoint is removed: got %q, %v; want the connection closed", got, err)
			}
			f.waitFlows("the cut flow untracked", 0)
			if got := f.closedCount("config"); got != 1 {
				t.Errorf("flows_closed_total{reason=config}: got %v, want 1", got)
			}
		})
	}
}

// A stop closes handed-off flows as it closes dialed ones, and Run returns.
func TestHandoffFlowClosedOnStop(t *testing.T) {
	const port = 41520
	reg := handoff.New()
	f := newFixture(t, false, func(d *Deps) { d.Handoff = reg })
	inProcessNode(t, reg, "lb1", lb1IP, port, func() bool { return true })
	lb1 := f.putLB("lb1", true, lb1IP)
	ctx, cancel := context.WithCancel(f.ctx)
	done := make(chan error, 1)
	go func() { done <- f.svc.Run(ctx) }()
	f.setup(port, "", ep(lb1, 255))
	c, _, err := dial(clientIP, staticIP1, port)
	if err != nil {
		t.Fatal(err)
	}
	defer c.c.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got, err := c.roundTrip("after stop"); !closedByPeer(err) {
		t.Fatalf("handed-off flow after the stop: got %q, %v; want the connection closed", got, err)
	}
	testutil.Eventually(t, "no flow left", func() (bool, string) { n := f.flowCount(); return n == 0, fmt.Sprint(n) })
}

// The idle sweep reads a handed-off flow's counters from the client socket
// alone and closes it once idle, as it closes a dialed flow.
func TestHandoffFlowIdleSweep(t *testing.T) {
	const port = 41521
	reg := handoff.New()
	f := newFixture(t, true, func(d *Deps) { d.Handoff = reg; d.IdleTimeout = 300 * time.Millisecond })
	inProcessNode(t, reg, "lb1", lb1IP, port, func() bool { return true })
	f.setup(port, "", ep(f.putLB("lb1", true, lb1IP), 255))
	c, _, err := dial(clientIP, staticIP1, port)
	if err != nil {
		t.Fatal(err)
	}
	defer c.c.Close()
	f.waitFlows("the idle flow closed", 0)
	if got := f.closedCount("idle"); got != 1 {
		t.Errorf("flows_closed_total{reason=idle}: got %v, want 1", got)
	}
	if got, err := c.roundTrip("after idle"); !closedByPeer(err) {
		t.Fatalf("idle handed-off flow: got %q, %v; want the connection closed", got, err)
	}
}
