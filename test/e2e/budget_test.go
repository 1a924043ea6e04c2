package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/globalaccelerator"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/miekg/dns"

	"gatehouse/internal/daemon"
	"gatehouse/internal/listen"
	"gatehouse/internal/testutil"
)

// Issue 7: idle TCP connections to one static IP must not take the file
// descriptors the rest of gatehouse needs. With a cap of 200 connections per
// static IP and 80 per client IP, 300 idle connections from three client IPs
// to one static IP get 200 places; the other 100 are reset at once, while the
// other static IP, the load balancer, the endpoint, DNS and the AWS API all
// keep answering. Closing the connections gives every file descriptor back.
func TestConnectionBudget(t *testing.T) {
	needRoot(t)
	const (
		perListener = 200
		perSource   = 80
		perClient   = 100 // connections each flooding client IP opens
		fdSlack     = 20  // descriptors that may come and go meanwhile (probes, DNS)
	)
	flooders := []string{"127.40.250.1", "127.40.250.2", "127.40.250.3"}
	r := start(t, addressPlan("127.40.0.0/16", "127.81.1.0/24", "127.81.2.0/24"), func(c *daemon.Config) {
		c.Caps.StaticIP = listen.Limits{Total: 2 * perListener, PerListener: perListener, PerSource: perSource}
	})
	r.apply(t, loadExample(t))
	ips := acceleratorIPs(t, r.d.Store)
	flooded, other := ips[0], ips[1]
	api := sdkClients(r.cfg.AWSListen)

	// Everything a user reaches, each through its own listener class.
	checks := func(t *testing.T) {
		t.Helper()
		if code, _, _ := get(t, client(t, r.cfg.DataDir, other, ""), "/"); code != 200 {
			t.Errorf("GET / via the other static IP %s: got %d, want 200", other, code)
		}
		lbs := testutil.Must[*elbv2.DescribeLoadBalancersOutput](t)(api.elb.DescribeLoadBalancers(context.Background(), &elbv2.DescribeLoadBalancersInput{}))
		if len(lbs.LoadBalancers) != 1 {
			t.Fatalf("load balancers: got %d, want 1", len(lbs.LoadBalancers))
		}
		nodes := resolve(t, r.cfg.DNSListen, aws.ToString(lbs.LoadBalancers[0].DNSName))
		if code, _, _ := get(t, client(t, r.cfg.DataDir, nodes[0], ""), "/"); code != 200 {
			t.Errorf("GET / straight to load balancer node %s: got %d, want 200", nodes[0], code)
		}
		eps := testutil.Must[*ec2.DescribeVpcEndpointsOutput](t)(api.ec2.DescribeVpcEndpoints(context.Background(), &ec2.DescribeVpcEndpointsInput{}))
		if len(eps.VpcEndpoints) != 1 || len(eps.VpcEndpoints[0].DnsEntries) == 0 {
			t.Fatalf("vpc endpoints: got %+v, want 1 with a DNS name", eps.VpcEndpoints)
		}
		interfaces := resolve(t, r.cfg.DNSListen, aws.ToString(eps.VpcEndpoints[0].DnsEntries[0].DnsName))
		if code, _, _ := get(t, client(t, r.cfg.DataDir, interfaces[0], ""), "/"); code != 200 {
			t.Errorf("GET / straight to endpoint interface %s: got %d, want 200", interfaces[0], code)
		}
		if got := resolve(t, r.cfg.DNSListen, domain); len(got) != 2 {
			t.Errorf("dig %s over UDP: got %v, want the two static IPs", domain, got)
		}
		m := new(dns.Msg)
		m.SetQuestion(dns.Fqdn(domain), dns.TypeA)
		in, _, err := (&dns.Client{Net: "tcp"}).Exchange(m, r.cfg.DNSListen)
		if err != nil || in.Rcode != dns.RcodeSuccess || len(addresses(in)) != 2 {
			t.Errorf("dig +tcp %s: got %v, %v; want the two static IPs", domain, in, err)
		}
		testutil.Must[*sts.GetCallerIdentityOutput](t)(api.sts.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}))
		testutil.Must[*globalaccelerator.ListAcceleratorsOutput](t)(api.ga.ListAccelerators(context.Background(), &globalaccelerator.ListAcceleratorsInput{}))
	}

	// The baseline is taken once every client has been used (pools, SDK).
	checks(t)
	baseline := openFDs(t)

	// The flood: idle connections that send nothing. A refused one is reset,
	// which its reader sees as ECONNRESET (or the dial itself does).
	var conns []net.Conn
	ended := make(chan error, len(flooders)*perClient)
	resetAtDial := 0
	for _, src := range flooders {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
		for range perClient {
			c, err := d.Dial("tcp", net.JoinHostPort(flooded, "443"))
			if errors.Is(err, syscall.ECONNRESET) {
				resetAtDial++
				continue
			}
			if err != nil {
				t.Fatalf("dial %s from %s: %v", flooded, src, err)
			}
			conns = append(conns, c)
			go func() {
				_, err := c.Read(make([]byte, 1))
				ended <- err
			}()
		}
	}
	closeAll := func() {
		for _, c := range conns {
			c.Close()
		}
		conns = nil
	}
	defer closeAll()

	// 80 + 80 + 40 places; the first client's and the second's last 20 hit
	// the per-source cap, the third's last 60 the per-listener cap.
	wantRefused := map[string]float64{listen.ReasonSourceCap: 2 * (perClient - perSource), listen.ReasonListenerCap: 3*perClient - perListener - 2*(perClient-perSource)}
	resets := resetAtDial
	eventually(t, fmt.Sprintf("%d connections reset over the caps", 3*perClient-perListener), func() (bool, string) {
		for {
			select {
			case err := <-ended:
				if errors.Is(err, syscall.ECONNRESET) {
					resets++
				}
				continue
			default:
			}
			break
		}
		return resets >= 3*perClient-perListener, fmt.Sprintf("%d reset", resets)
	})
	if resets != 3*perClient-perListener {
		t.Fatalf("connections reset: got %d, want %d", resets, 3*perClient-perListener)
	}
	eventually(t, fmt.Sprintf("%d static IP connections open", perListener), func() (bool, string) {
		open := metric(t, r, `gatehouse_listen_open_connections{class="static_ip"}`)
		return open == perListener, fmt.Sprintf("%v open", open)
	})
	for reason, want := range wantRefused {
		name := fmt.Sprintf(`gatehouse_listen_refused_total{class="static_ip",reason=%q}`, reason)
		if got := metric(t, r, name); got != want {
			t.Errorf("%s: got %v, want %v", name, got, want)
		}
	}
	peak := openFDs(t)

	t.Run("everything else answers while one static IP is full", checks)

	closeAll()
	var after int
	eventually(t, "the file descriptors are given back", func() (bool, string) {
		// Go keeps splice pipes in a sync.Pool; they are closed when the pool
		// is collected, which takes two collections.
		runtime.GC()
		runtime.GC()
		after = openFDs(t)
		if after > baseline+fdSlack {
			return false, fmt.Sprintf("%d descriptors open, baseline %d + slack %d", after, baseline, fdSlack)
		}
		open := metric(t, r, `gatehouse_listen_open_connections{class="static_ip"}`)
		return open == 0, fmt.Sprintf("%v static IP connections open", open)
	})
	t.Logf("open file descriptors: baseline %d, with %d connections held %d, after closing %d", baseline, perListener, peak, after)
}

// openFDs counts the process's open file descriptors: the daemon runs in the
// test process, so this is the daemon's count plus the test's own sockets.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// metric reads one sample from the daemon's /metrics, as a scraper would; a
// sample that is not there reads as 0.
func metric(t *testing.T, r *running, sample string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + r.cfg.MetricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), sample+" "); ok {
			v, err := strconv.ParseFloat(rest, 64)
			if err != nil {
				t.Fatalf("%s: %v", sample, err)
			}
			return v
		}
	}
	io.Copy(io.Discard, resp.Body)
	return 0
}
