package accelerator

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"gatehouse/internal/model"
	"gatehouse/internal/testutil"
)

// waitServed waits until the data plane serves rev with every side effect
// done: sockets reconciled, flows cut, status written.
func (f *fixture) waitServed(rev int64) {
	f.t.Helper()
	testutil.Eventually(f.t, fmt.Sprintf("served rev %d", rev), func() (bool, string) {
		served := f.svc.Served()
		return served >= rev, fmt.Sprintf("served %d", served)
	})
}

// closedCount is the flows_closed_total counter for reason.
func (f *fixture) closedCount(reason string) float64 {
	f.t.Helper()
	var m dto.Metric
	if err := f.svc.metrics.closed.WithLabelValues(reason).Write(&m); err != nil {
		f.t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// flowCount is how many flows the service tracks.
func (f *fixture) flowCount() int {
	f.svc.mu.Lock()
	defer f.svc.mu.Unlock()
	return len(f.svc.flows)
}

// waitFlows waits until the service tracks n flows.
func (f *fixture) waitFlows(what string, n int) {
	f.t.Helper()
	testutil.Eventually(f.t, what, func() (bool, string) {
		got := f.flowCount()
		return got == n, fmt.Sprintf("%d flows", got)
	})
}

// closedByPeer reports whether err is what a reader sees on a connection its
// peer closed: EOF, or a reset if it had unread bytes.
func closedByPeer(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

func TestConfigChangeCutsFlows(t *testing.T) {
	off := false
	zero := 0.0
	tests := []struct {
		name   string
		change func(f *fixture, acc *model.Accelerator, l *model.GAListener, g *model.EndpointGroup, lb1, lb2 string)
		cut    bool
	}{
		{"accelerator disabled", func(f *fixture, acc *model.Accelerator, _ *model.GAListener, _ *model.EndpointGroup, _, _ string) {
			if _, err := f.svc.UpdateAccelerator(f.ctx, acc.ARN, UpdateAcceleratorInput{Enabled: &off}); err != nil {
				f.t.Fatal(err)
			}
		}, true},
		{"endpoint removed from its group", func(f *fixture, _ *model.Accelerator, _ *model.GAListener, g *model.EndpointGroup, lb1, _ string) {
			if err := f.svc.RemoveEndpoints(f.ctx, g.ARN, []string{lb1}); err != nil {
				f.t.Fatal(err)
			}
		}, true},
		{"endpoint group deleted", func(f *fixture, _ *model.Accelerator, _ *model.GAListener, g *model.EndpointGroup, _, _ string) {
			if err := f.svc.DeleteEndpointGroup(f.ctx, g.ARN); err != nil {
				f.t.Fatal(err)
			}
		}, true},
		{"listener deleted", func(f *fixture, _ *model.Accelerator, l *model.GAListener, g *model.EndpointGroup, _, _ string) {
			if err := f.svc.DeleteEndpointGroup(f.ctx, g.ARN); err != nil {
				f.t.Fatal(err)
			}
			if err := f.svc.DeleteListener(f.ctx, l.ARN); err != nil {
				f.t.Fatal(err)
			}
		}, true},
		{"listener no longer covers the port", func(f *fixture, _ *model.Accelerator, l *model.GAListener, _ *model.EndpointGroup, _, _ string) {
			p := l.PortRanges[0].FromPort + 100
			if _, err := f.svc.UpdateListener(f.ctx, l.ARN, "", []model.PortRange{{FromPort: p, ToPort: p}}, ""); err != nil {
				f.t.Fatal(err)
			}
		}, true},
		{"weight change keeps the flow", func(f *fixture, _ *model.Accelerator, _ *model.GAListener, g *model.EndpointGroup, lb1, lb2 string) {
			if _, err := f.svc.UpdateEndpointGroup(f.ctx, g.ARN, UpdateEndpointGroupInput{Endpoints: []model.EndpointInput{ep(lb1, 0), ep(lb2, 255)}}); err != nil {
				f.t.Fatal(err)
			}
		}, false},
		{"traffic dial change keeps the flow", func(f *fixture, _ *model.Accelerator, _ *model.GAListener, g *model.EndpointGroup, _, _ string) {
			if _, err := f.svc.UpdateEndpointGroup(f.ctx, g.ARN, UpdateEndpointGroupInput{TrafficDialPercentage: &zero}); err != nil {
				f.t.Fatal(err)
			}
		}, false},
		{"health change keeps the flow", func(f *fixture, _ *model.Accelerator, _ *model.GAListener, _ *model.EndpointGroup, _, _ string) {
			f.setHealth("lb1", false)
		}, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port := 41030 + i
			f := newFixture(t, true)
			lb1, lb2 := f.twoLBs(port)
			acc, g := f.setup(port, "", ep(lb1, 255), ep(lb2, 0))
			ls, err := f.svc.ListListeners(f.ctx, acc.ARN)
			if err != nil {
				t.Fatal(err)
			}
			c, reply, err := dial(clientIP, staticIP1, port)
			if err != nil {
				t.Fatal(err)
			}
			defer c.c.Close()
			if want := "lb1:" + clientIP; reply != want {
				t.Fatalf("before the change: got %q, want %q", reply, want)
			}

			tt.change(f, acc, ls[0], g, lb1, lb2)
			f.waitServed(f.rev())

			got, err := c.roundTrip("after")
			if !tt.cut {
				if err != nil || got != "lb1:after" {
					t.Fatalf("established flow after the change: got %q, %v; want %q", got, err, "lb1:after")
				}
				if n := f.flowCount(); n != 1 {
					t.Errorf("got %d tracked flows, want 1", n)
				}
				return
			}
			if !closedByPeer(err) {
				t.Fatalf("established flow once the change is served: got %q, %v; want the connection closed (EOF or reset)", got, err)
			}
			f.waitFlows("the cut flow untracked", 0)
			if got := f.closedCount("config"); got != 1 {
				t.Errorf("got flows_closed_total{reason=config} %v, want 1", got)
			}
		})
	}
}

// rudeNode accepts connections on ip:port and runs serve on each.
func rudeNode(t *testing.T, ip string, port int, serve func(*net.TCPConn)) {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, fmt.Sprint(port)))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { serve(c.(*net.TCPConn)) })
		}
	})
	t.Cleanup(func() {
		l.Close()
		wg.Wait()
	})
}

// noPreservation is an endpoint that gets no PROXY header, so a test node
// sees exactly the client's bytes.
func noPreservation(arn string) model.EndpointInput {
	off := false
	return model.EndpointInput{EndpointID: arn, ClientIPPreservationEnabled: &off}
}

func TestEndpointClosesBeforeClientSpeaks(t *testing.T) {
	const port = 41050
	// A balancer that gives up on a silent client: it closes at once.
	rudeNode(t, lb1IP, port, func(c *net.TCPConn) { c.Close() })
	f := newFixture(t, true) // FinTimeout stays 60s: only closing at once passes
	lb1 := f.putLB("lb1", true, lb1IP)
	f.setup(port, "", noPreservation(lb1))

	c := dialStatic(t, port)
	c.SetReadDeadline(time.Now().Add(testutil.WaitLimit))
	if n, err := c.Read(make([]byte, 1)); n != 0 || !errors.Is(err, io.EOF) {
		t.Fatalf("silent client after the endpoint closed: got %d bytes, %v; want EOF", n, err)
	}
	f.waitFlows("the flow untracked", 0)
}

func TestHalfClosedFlows(t *testing.T) {
	tests := []struct {
		name string
		// node serves the endpoint side (stop closes once the client is
		// done and the flow untracked); client drives the client side and
		// returns what it saw.
		node   func(c *net.TCPConn, stop <-chan struct{}) error
		client func(c *net.TCPConn) error
		// finTimeout: whether the flow must end by the FIN timeout.
		finTimeout bool
	}{
		{
			name: "client half-closes, endpoint answers and closes",
			node: func(c *net.TCPConn, _ <-chan struct{}) error {
				defer c.Close()
				req, _ := io.ReadAll(c) // until the client's FIN
				fmt.Fprintf(c, "got %s", req)
				return nil
			},
			client: func(c *net.TCPConn) error {
				io.WriteString(c, "request")
				c.CloseWrite()
				got, err := io.ReadAll(c)
				if err != nil || string(got) != "got request" {
					return fmt.Errorf("got answer %q, %v; want %q then EOF", got, err, "got request")
				}
				return nil
			},
		},
		{
			name: "client half-closes, endpoint stays silent",
			node: func(c *net.TCPConn, stop <-chan struct{}) error {
				defer c.Close()
				io.ReadAll(c)
				// Silent and open until the accelerator has given up on the
				// flow; then writing must fail, as the other end is closed.
				<-stop
				deadline := time.Now().Add(testutil.WaitLimit)
				for time.Now().Before(deadline) {
					if _, err := io.WriteString(c, "late"); err != nil {
						return nil
					}
					time.Sleep(5 * time.Millisecond)
				}
				return errors.New("the accelerator's endpoint side is still open")
			},
			client: func(c *net.TCPConn) error {
				io.WriteString(c, "request")
				c.CloseWrite()
				if got, err := io.ReadAll(c); err != nil || len(got) != 0 {
					return fmt.Errorf("got %q, %v; want EOF", got, err)
				}
				return nil
			},
			finTimeout: true,
		},
		{
			name: "endpoint answers and half-closes, client stays silent",
			node: func(c *net.TCPConn, _ <-chan struct{}) error {
				defer c.Close()
				line := make([]byte, len("request"))
				io.ReadFull(c, line)
				fmt.Fprintf(c, "got %s", line)
				c.CloseWrite()
				// The accelerator must close its endpoint side.
				c.SetReadDeadline(time.Now().Add(testutil.WaitLimit))
				if _, err := c.Read(make([]byte, 1)); !closedByPeer(err) {
					return fmt.Errorf("got %v, want EOF or reset", err)
				}
				return nil
			},
			client: func(c *net.TCPConn) error {
				io.WriteString(c, "request")
				got, err := io.ReadAll(c)
				if err != nil || string(got) != "got request" {
					return fmt.Errorf("got %q, %v; want %q then EOF", got, err, "got request")
				}
				// The client says nothing more and never closes: the
				// accelerator must close its side.
				c.SetReadDeadline(time.Now().Add(testutil.WaitLimit))
				if _, err := c.Read(make([]byte, 1)); !closedByPeer(err) {
					return fmt.Errorf("after the FIN timeout: got %v, want EOF or reset", err)
				}
				return nil
			},
			finTimeout: true,
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port := 41051 + i
			nodeDone := make(chan error, 1)
			stop := make(chan struct{})
			rudeNode(t, lb1IP, port, func(c *net.TCPConn) { nodeDone <- tt.node(c, stop) })
			f := newFixture(t, true, func(d *Deps) { d.FinTimeout = 100 * time.Millisecond })
			lb1 := f.putLB("lb1", true, lb1IP)
			f.setup(port, "", noPreservation(lb1))

			c := dialStatic(t, port)
			c.SetDeadline(time.Now().Add(testutil.WaitLimit))
			if err := tt.client(c); err != nil {
				t.Fatal(err)
			}
			f.waitFlows("the flow untracked", 0)
			close(stop)
			select {
			case err := <-nodeDone:
				if err != nil {
					t.Errorf("endpoint side: %v", err)
				}
			case <-time.After(2 * testutil.WaitLimit):
				t.Fatal("the endpoint's connection was not closed")
			}
			want := 0.0
			if tt.finTimeout {
				want = 1
			}
			if got := f.closedCount("fin_timeout"); got != want {
				t.Errorf("got flows_closed_total{reason=fin_timeout} %v, want %v", got, want)
			}
		})
	}
}

// fdKinds counts this process's open file descriptors by kind: "socket",
// "pipe", "anon_inode" and so on (the part of the /proc/self/fd link before ':').
func fdKinds(t *testing.T) map[string]int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	out := map[string]int{}
	for _, e := range ents {
		link, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil {
			continue // the directory's own fd, closed by now
		}
		kind, _, found := strings.Cut(link, ":")
		if !found {
			kind = "file"
		}
		out[kind]++
	}
	return out
}

func TestIdleFlowsHoldNoPipes(t *testing.T) {
	const (
		port  = 41060
		flows = 50
	)
	lbNode(t, "lb1", lb1IP, port)
	f := newFixture(t, true)
	lb1 := f.putLB("lb1", true, lb1IP)
	f.setup(port, "", ep(lb1, 128))

	before := fdKinds(t)
	var conns []*conn
	defer func() {
		for _, c := range conns {
			c.c.Close()
		}
	}()
	for range flows {
		// Each flow moves bytes both ways, then goes idle.
		c, _, err := dial(clientIP, staticIP1, port)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	f.waitFlows("every flow tracked", flows)
	after := fdKinds(t)

	// This process holds four sockets per flow: the test client and the test
	// node, and the accelerator's two (client and endpoint side).
	if got, want := after["socket"]-before["socket"], 4*flows; got != want {
		t.Errorf("got %d more sockets with %d idle flows, want %d (4 per flow, 2 of them the accelerator's)", got, flows, want)
	}
	if got := after["pipe"] - before["pipe"]; got > 0 {
		t.Errorf("got %d more pipes with %d idle flows, want none", got, flows)
	}
}
