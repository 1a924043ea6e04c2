package accelerator

import (
	"context"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/model"
)

func TestProxyClientIPPreservation(t *testing.T) {
	const port = 41001
	f := newFixture(t, true)
	lb1, lb2 := f.twoLBs(port)
	acc, g := f.setup(port, "", ep(lb1, 128), ep(lb2, 128))

	if got, want := acc.IPSets[0].IPAddresses, []string{staticIP1, staticIP2}; !slices.Equal(got, want) {
		t.Fatalf("got static IPs %v, want %v (one from each pool)", got, want)
	}
	off := false
	tests := []struct {
		name     string
		preserve *bool
		wantIP   func(static string) string
	}{
		{"default preserves the client IP", nil, func(string) string { return clientIP }},
		{"preservation off shows the static IP", &off, func(static string) string { return static }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eps := []model.EndpointInput{
				{EndpointID: lb1, ClientIPPreservationEnabled: tt.preserve},
				{EndpointID: lb2, ClientIPPreservationEnabled: tt.preserve},
			}
			if _, err := f.svc.UpdateEndpointGroup(f.ctx, g.ARN, UpdateEndpointGroupInput{Endpoints: eps}); err != nil {
				t.Fatal(err)
			}
			f.waitStatus(acc.ARN, deployed)
			f.waitTable(f.rev())
			for _, static := range acc.IPSets[0].IPAddresses {
				reply := mustDial(t, clientIP, static, port)
				name, ip, _ := strings.Cut(reply, ":")
				if name != "lb1" && name != "lb2" {
					t.Errorf("via %s: got reply %q, want one from lb1 or lb2", static, reply)
				}
				if want := tt.wantIP(static); ip != want {
					t.Errorf("via %s: got client IP %q at the load balancer, want %q", static, ip, want)
				}
			}
		})
	}
}

func TestHealthChangeMovesNewConnections(t *testing.T) {
	const port = 41002
	f := newFixture(t, true)
	lb1, lb2 := f.twoLBs(port)
	f.setup(port, "", ep(lb1, 128), ep(lb2, 128))

	// An established flow on lb1.
	var old *conn
	for range 200 {
		c, reply, err := dial(clientIP, staticIP1, port)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(reply, "lb1:") {
			old = c
			break
		}
		c.c.Close()
	}
	if old == nil {
		t.Fatal("no connection reached lb1 in 200 tries with equal weights")
	}
	defer old.c.Close()

	f.waitTable(f.setHealth("lb1", false))
	for i := range 20 {
		if reply := mustDial(t, clientIP, staticIP1, port); !strings.HasPrefix(reply, "lb2:") {
			t.Fatalf("new connection %d with lb1 unhealthy: got %q, want lb2", i, reply)
		}
	}
	if got, err := old.roundTrip("still-there"); err != nil || got != "lb1:still-there" {
		t.Fatalf("established flow after lb1 turned unhealthy: got %q, %v; want %q", got, err, "lb1:still-there")
	}

	// Every endpoint unhealthy: fail open to all endpoints with weight > 0.
	f.waitTable(f.setHealth("lb2", false))
	seen := map[string]bool{}
	for range 40 {
		reply := mustDial(t, clientIP, staticIP2, port)
		name, _, _ := strings.Cut(reply, ":")
		seen[name] = true
	}
	if !seen["lb1"] || !seen["lb2"] {
		t.Errorf("fail open: got connections to %v, want both lb1 and lb2", seen)
	}
}

func TestWeightsAndAffinity(t *testing.T) {
	const port = 41003
	f := newFixture(t, true)
	lb1, lb2 := f.twoLBs(port)
	acc, g := f.setup(port, "", ep(lb1, 0), ep(lb2, 128))

	for i := range 30 {
		if reply := mustDial(t, clientIP, staticIP1, port); !strings.HasPrefix(reply, "lb2:") {
			t.Fatalf("connection %d: got %q, want lb2 (lb1 has weight 0)", i, reply)
		}
	}

	// SOURCE_IP affinity: one client always reaches the same endpoint.
	ls, err := f.svc.ListListeners(f.ctx, acc.ARN)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.UpdateListener(f.ctx, ls[0].ARN, "", nil, "SOURCE_IP"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.UpdateEndpointGroup(f.ctx, g.ARN, UpdateEndpointGroupInput{Endpoints: []model.EndpointInput{ep(lb1, 128), ep(lb2, 128)}}); err != nil {
		t.Fatal(err)
	}
	f.waitStatus(acc.ARN, deployed)
	f.waitTable(f.rev())
	for _, src := range []string{clientIP, "127.0.15.151", "127.0.15.152"} {
		first, _, _ := strings.Cut(mustDial(t, src, staticIP1, port), ":")
		for i := range 10 {
			if got, _, _ := strings.Cut(mustDial(t, src, staticIP1, port), ":"); got != first {
				t.Fatalf("client %s connection %d: got %s, want %s (SOURCE_IP affinity)", src, i, got, first)
			}
		}
	}
}

func TestDialFallback(t *testing.T) {
	const port = 41004
	lbNode(t, "lb1", lb1IP, port)
	lbNode(t, "lb2", lb2IP, port)
	f := newFixture(t, true)
	// lb1 has a dead node first; lb3's only node is dead and it is the
	// heaviest; every connection must still get through.
	lb1 := f.putLB("lb1", true, deadIP, lb1IP)
	lb2 := f.putLB("lb2", true, lb2IP)
	lb3 := f.putLB("lb3", true, "127.0.15.211")
	f.setup(port, "", ep(lb1, 10), ep(lb2, 10), ep(lb3, 255))
	for i := range 20 {
		reply := mustDial(t, clientIP, staticIP2, port)
		if !strings.HasPrefix(reply, "lb1:") && !strings.HasPrefix(reply, "lb2:") {
			t.Fatalf("connection %d: got %q, want lb1 or lb2", i, reply)
		}
	}
}

func TestDisableEnableKeepsIPs(t *testing.T) {
	const port = 41005
	lbNode(t, "lb1", lb1IP, port)
	f := newFixture(t, true)
	lb1 := f.putLB("lb1", true, lb1IP)
	acc, _ := f.setup(port, "", ep(lb1, 128))
	ips := acc.IPSets[0].IPAddresses
	mustDial(t, clientIP, ips[0], port)

	off, on := false, true
	if _, err := f.svc.UpdateAccelerator(f.ctx, acc.ARN, UpdateAcceleratorInput{Enabled: &off}); err != nil {
		t.Fatal(err)
	}
	got := f.waitStatus(acc.ARN, deployed)
	if !slices.Equal(got.IPSets[0].IPAddresses, ips) {
		t.Fatalf("disabled: got IPs %v, want %v", got.IPSets[0].IPAddresses, ips)
	}
	for _, ip := range ips {
		if c, _, err := dial(clientIP, ip, port); err == nil {
			c.c.Close()
			t.Fatalf("disabled accelerator still accepts on %s:%d", ip, port)
		}
	}

	if _, err := f.svc.UpdateAccelerator(f.ctx, acc.ARN, UpdateAcceleratorInput{Enabled: &on}); err != nil {
		t.Fatal(err)
	}
	got = f.waitStatus(acc.ARN, deployed)
	if !slices.Equal(got.IPSets[0].IPAddresses, ips) {
		t.Fatalf("enabled again: got IPs %v, want %v", got.IPSets[0].IPAddresses, ips)
	}
	for _, ip := range ips {
		if reply := mustDial(t, clientIP, ip, port); reply != "lb1:"+clientIP {
			t.Errorf("enabled again via %s: got %q, want %q", ip, reply, "lb1:"+clientIP)
		}
	}
}

func TestBusyPortStatusReason(t *testing.T) {
	const port = 41006
	blocker, err := net.Listen("tcp", net.JoinHostPort(staticIP2, fmt.Sprint(port)))
	if err != nil {
		t.Fatal(err)
	}
	defer blocker.Close()
	// The retry that opens the port once it is freed comes in milliseconds.
	f := newFixture(t, true, func(d *Deps) { d.RetryInterval = 10 * time.Millisecond })
	acc, err := f.svc.CreateAccelerator(f.ctx, CreateAcceleratorInput{Name: "busy"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CreateListener(f.ctx, acc.ARN, "TCP", []model.PortRange{{FromPort: port, ToPort: port}}, ""); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("listen %s:%d: bind: address already in use", staticIP2, port)
	got := f.waitStatus(acc.ARN, func(a *model.Accelerator) bool { return a.StatusReason != "" })
	if got.Status != model.AcceleratorInProgress || !strings.Contains(got.StatusReason, want) {
		t.Fatalf("got status %s reason %q, want IN_PROGRESS with %q", got.Status, got.StatusReason, want)
	}
	// The port is freed: the retry opens it and the accelerator deploys.
	blocker.Close()
	got = f.waitStatus(acc.ARN, deployed)
	if got.StatusReason != "" {
		t.Errorf("deployed: got reason %q, want none", got.StatusReason)
	}
}

func TestTooManyPortsRejected(t *testing.T) {
	f := newFixture(t, true)
	acc, err := f.svc.CreateAccelerator(f.ctx, CreateAcceleratorInput{Name: "wide"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CreateListener(f.ctx, acc.ARN, "TCP", []model.PortRange{{FromPort: 42000, ToPort: 43100}}, ""); err != nil {
		t.Fatal(err)
	}
	got := f.waitStatus(acc.ARN, func(a *model.Accelerator) bool { return a.StatusReason != "" })
	if want := "gatehouse serves at most 1024"; got.Status != model.AcceleratorInProgress || !strings.Contains(got.StatusReason, want) {
		t.Fatalf("got status %s reason %q, want IN_PROGRESS naming %q", got.Status, got.StatusReason, want)
	}
}

func TestIdleFlowClosed(t *testing.T) {
	const port = 41007
	lbNode(t, "lb1", lb1IP, port)
	f := newFixture(t, true, func(d *Deps) { d.IdleTimeout = 200 * time.Millisecond })
	lb1 := f.putLB("lb1", true, lb1IP)
	f.setup(port, "", ep(lb1, 128))
	c, _, err := dial(clientIP, staticIP1, port)
	if err != nil {
		t.Fatal(err)
	}
	defer c.c.Close()
	// Say nothing: the sweep closes the flow and the client reads EOF.
	if n, err := c.br.ReadByte(); err != io.EOF {
		t.Fatalf("idle flow: got byte %q, err %v; want EOF", n, err)
	}
	if got := f.closedCount("idle"); got != 1 {
		t.Errorf("got flows_closed_total{reason=idle} %v, want 1", got)
	}
}

func TestShutdownClosesSockets(t *testing.T) {
	const port = 41008
	lbNode(t, "lb1", lb1IP, port)
	f := newFixture(t, false)
	lb1 := f.putLB("lb1", true, lb1IP)
	ctx, cancel := context.WithCancel(f.ctx)
	done := make(chan error, 1)
	go func() { done <- f.svc.Run(ctx) }()
	f.setup(port, "", ep(lb1, 128))
	c, _, err := dial(clientIP, staticIP1, port)
	if err != nil {
		t.Fatal(err)
	}
	defer c.c.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: got %v, want nil on shutdown", err)
	}
	if _, err := c.br.ReadByte(); err != io.EOF {
		t.Errorf("established flow after shutdown: got err %v, want EOF", err)
	}
	if c2, _, err := dial(clientIP, staticIP1, port); err == nil {
		c2.c.Close()
		t.Errorf("socket still open after Run returned")
	}
}
