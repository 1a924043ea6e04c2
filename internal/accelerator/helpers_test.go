package accelerator

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	proxyproto "github.com/pires/go-proxyproto"

	"gatehouse/internal/live"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
	"gatehouse/internal/testutil"
)

// Test addresses: all inside this package's loopback range 127.0.15.0/24.
var testPools = []netip.Prefix{
	netip.MustParsePrefix("127.0.15.0/26"),
	netip.MustParsePrefix("127.0.15.64/26"),
}

const (
	clientIP = "127.0.15.150" // where test clients dial from
	lb1IP    = "127.0.15.200"
	lb2IP    = "127.0.15.201"
	deadIP   = "127.0.15.210" // a "node" nothing listens on
	// The first accelerator of a fresh store gets these (ipam skips 4 addresses).
	staticIP1 = "127.0.15.4"
	staticIP2 = "127.0.15.68"
)

type fixture struct {
	t   testing.TB
	ctx context.Context
	st  store.Store
	svc *Service
}

// newFixture runs a service with the mem store and a live feed until the test ends.
func newFixture(t testing.TB, run bool, mut ...func(*Deps)) *fixture {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	st := store.NewMem()
	snap, err := live.Load(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	feed := live.NewFeed(snap)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if tt, ok := t.(*testing.T); ok && testing.Verbose() {
		log = slog.New(slog.NewTextHandler(tt.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	d := Deps{Store: st, Feed: feed, Log: log, Env: model.DefaultEnv, Pools: testPools, DialTimeout: 2 * time.Second}
	for _, m := range mut {
		m(&d)
	}
	svc := New(d)
	var wg sync.WaitGroup
	wg.Go(func() { live.Watch(ctx, st, feed, log) })
	if run {
		wg.Go(func() {
			if err := svc.Run(ctx); err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		st.Close()
	})
	return &fixture{t: t, ctx: ctx, st: st, svc: svc}
}

func lbARN(name string) string {
	return "arn:aws:elasticloadbalancing:us-west-2:000000000000:loadbalancer/app/" + name + "/0123456789abcdef"
}

func tgARN(name string) string {
	return "arn:aws:elasticloadbalancing:us-west-2:000000000000:targetgroup/" + name + "/0123456789abcdef"
}

// putLB simulates a load balancer: its record, a listener forwarding to its
// target group, and that group's health. It returns the LB's ARN.
func (f *fixture) putLB(name string, healthy bool, nodes ...string) string {
	f.t.Helper()
	lb := &model.LoadBalancer{ARN: lbARN(name), Name: name, Type: "application", Scheme: "internet-facing", State: "active"}
	for _, ip := range nodes {
		lb.Nodes = append(lb.Nodes, model.LBNode{IP: ip})
	}
	l := &model.Listener{
		ARN:             "arn:aws:elasticloadbalancing:us-west-2:000000000000:listener/app/" + name + "/0123456789abcdef/0123456789abcdef",
		LoadBalancerARN: lb.ARN, Protocol: "HTTPS", Port: 443,
		DefaultActions: []model.Action{{Type: "forward", TargetGroupARN: tgARN(name)}},
	}
	f.save(model.Key(model.KindLoadBalancer, lb.ARN), lb)
	f.save(model.Key(model.KindListener, l.ARN), l)
	f.setHealth(name, healthy)
	return lb.ARN
}

// setHealth writes the LB's target group health and returns the store revision.
func (f *fixture) setHealth(name string, healthy bool) int64 {
	f.t.Helper()
	state := model.TargetHealthy
	if !healthy {
		state = model.TargetUnhealthy
	}
	return f.save(model.Key(model.KindTargetHealth, tgARN(name)), &model.TargetHealth{
		TargetGroupARN: tgARN(name),
		Targets:        []model.TargetState{{ID: "127.0.15.220", Port: 443, State: state}},
	})
}

func (f *fixture) save(key string, v any) int64 {
	f.t.Helper()
	rev, err := store.Save(f.ctx, f.st, key, v, store.Any)
	if err != nil {
		f.t.Fatal(err)
	}
	return rev
}

// rev is the store's current revision.
func (f *fixture) rev() int64 {
	_, rev, err := f.st.List(f.ctx, "none/")
	if err != nil {
		f.t.Fatal(err)
	}
	return rev
}

// waitTable waits until the data plane serves a table of at least rev.
func (f *fixture) waitTable(rev int64) {
	f.t.Helper()
	testutil.Eventually(f.t, fmt.Sprintf("table rev %d", rev), func() (bool, string) {
		got := f.svc.table.Rev()
		return got >= rev, fmt.Sprintf("rev %d", got)
	})
}

// waitStatus waits until the accelerator's stored status satisfies ok.
func (f *fixture) waitStatus(arn string, ok func(*model.Accelerator) bool) *model.Accelerator {
	f.t.Helper()
	var acc *model.Accelerator
	testutil.Eventually(f.t, "accelerator status", func() (bool, string) {
		var err error
		acc, err = f.svc.DescribeAccelerator(f.ctx, arn)
		if err != nil {
			return false, err.Error()
		}
		return ok(acc), f.statusReport(acc)
	})
	return acc
}

func deployed(a *model.Accelerator) bool { return a.Status == model.AcceleratorDeployed }

// statusReport says, if a wait for an accelerator's status gives up, where
// the status and the data plane were.
func (f *fixture) statusReport(acc *model.Accelerator) string {
	return fmt.Sprintf("%s %q (store rev %d, served %d)", acc.Status, acc.StatusReason, f.rev(), f.svc.Served())
}

// setup creates an accelerator with a TCP listener on port and one endpoint
// group holding the given endpoints, and waits until it is DEPLOYED.
func (f *fixture) setup(port int, affinity string, eps ...model.EndpointInput) (*model.Accelerator, *model.EndpointGroup) {
	f.t.Helper()
	acc := testutil.Must[*model.Accelerator](f.t)(f.svc.CreateAccelerator(f.ctx, CreateAcceleratorInput{Name: "edge"}))
	l := testutil.Must[*model.GAListener](f.t)(f.svc.CreateListener(f.ctx, acc.ARN, "TCP", []model.PortRange{{FromPort: port, ToPort: port}}, affinity))
	g := testutil.Must[*model.EndpointGroup](f.t)(f.svc.CreateEndpointGroup(f.ctx, CreateEndpointGroupInput{ListenerARN: l.ARN, Region: "us-west-2", Endpoints: eps}))
	acc = f.waitStatus(acc.ARN, deployed)
	f.waitTable(f.rev())
	return acc, g
}

// twoLBs runs the test nodes lb1 and lb2 on port and stores healthy load
// balancers for them; it returns their ARNs.
func (f *fixture) twoLBs(port int) (lb1, lb2 string) {
	f.t.Helper()
	lbNode(f.t, "lb1", lb1IP, port)
	lbNode(f.t, "lb2", lb2IP, port)
	return f.putLB("lb1", true, lb1IP), f.putLB("lb2", true, lb2IP)
}

func ep(arn string, weight int) model.EndpointInput {
	return model.EndpointInput{EndpointID: arn, Weight: &weight}
}

// lbNode is a test "load balancer node": it reads an optional PROXY v2 header
// and answers the first line with "<name>:<client ip>", then echoes each line
// as "<name>:<line>".
func lbNode(t testing.TB, name, ip string, port int) {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, fmt.Sprint(port)))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = true
			mu.Unlock()
			wg.Go(func() {
				defer c.Close()
				pc := proxyproto.NewConn(c, proxyproto.WithPolicy(proxyproto.USE))
				br := bufio.NewReader(pc)
				if _, err := br.ReadString('\n'); err != nil {
					return
				}
				host, _, _ := net.SplitHostPort(pc.RemoteAddr().String())
				fmt.Fprintf(pc, "%s:%s\n", name, host)
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					fmt.Fprintf(pc, "%s:%s", name, line)
				}
			})
		}
	})
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
}

// conn is a test client connection through the accelerator.
type conn struct {
	c  net.Conn
	br *bufio.Reader
}

// dial connects from src to dst:port, says hello and returns the connection
// with the node's first answer ("lb1:<client ip>").
func dial(src, dst string, port int) (*conn, string, error) {
	d := net.Dialer{Timeout: testutil.WaitLimit, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	c, err := d.Dial("tcp", net.JoinHostPort(dst, fmt.Sprint(port)))
	if err != nil {
		return nil, "", err
	}
	c.SetDeadline(time.Now().Add(testutil.WaitLimit))
	cc := &conn{c: c, br: bufio.NewReader(c)}
	reply, err := cc.roundTrip("ping")
	if err != nil {
		c.Close()
		return nil, "", err
	}
	return cc, reply, nil
}

func (c *conn) roundTrip(line string) (string, error) {
	if _, err := fmt.Fprintf(c.c, "%s\n", line); err != nil {
		return "", err
	}
	reply, err := c.br.ReadString('\n')
	return strings.TrimSuffix(reply, "\n"), err
}

// dialStatic connects to the first static IP on port (from any local address)
// and closes the connection when the test ends.
func dialStatic(tb testing.TB, port int) *net.TCPConn {
	tb.Helper()
	c := testutil.Must[net.Conn](tb)(net.Dial("tcp", net.JoinHostPort(staticIP1, fmt.Sprint(port))))
	tb.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

// mustDial is dial that fails the test on error and closes the connection.
func mustDial(t testing.TB, src, dst string, port int) string {
	t.Helper()
	c, reply, err := dial(src, dst, port)
	if err != nil {
		t.Fatalf("dial %s:%d from %s: %v", dst, port, src, err)
	}
	c.c.Close()
	return reply
}

func modelErrCode(err error) string {
	var me *model.Error
	if errors.As(err, &me) {
		return me.Code
	}
	return fmt.Sprintf("not a *model.Error: %v", err)
}
