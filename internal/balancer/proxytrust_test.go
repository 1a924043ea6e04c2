package balancer

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/pires/go-proxyproto"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
	"gatehouse/internal/testutil"
)

// Static IPs of this test, in the package's range: the "pool" is
// 127.0.14.240/29 (the trusted prefix the other tests add); only heldIP
// belongs to an accelerator.
const (
	heldIP   = "127.0.14.242"
	unheldIP = "127.0.14.243"
)

// TestProxyTrustFollowsAccelerators: with no operator-given trusted proxies, a
// PROXY header is used only from a static IP an accelerator holds; from a pool
// address no accelerator holds, or one whose accelerator was deleted, the
// connection is refused.
func TestProxyTrustFollowsAccelerators(t *testing.T) {
	e := newEnv(t, func(d *Deps) { d.TrustedProxies = nil })
	_, port := backend(t)
	lb := e.createLB(t, "trust")
	tg, err := e.svc.CreateTargetGroup(e.ctx, CreateTGInput{Name: "trust-targets", Protocol: "HTTPS", TargetType: "ip", VpcID: testVPC, Port: port})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RegisterTargets(e.ctx, tg.ARN, []model.Target{{ID: targetIP}}); err != nil {
		t.Fatal(err)
	}
	const lport = 18450
	node := e.httpsForward(t, lb, tg.ARN, lport)

	const accARN = "arn:aws:globalaccelerator::000000000000:accelerator/11111111-2222-4333-8444-555555555555"
	acc := &model.Accelerator{ARN: accARN, Name: "edge", IPAddressType: "IPV4", Enabled: true,
		IPSets: []model.IPSet{{IPFamily: "IPv4", IPAddresses: []string{heldIP}}}}
	if _, err := store.Save(e.ctx, e.st, model.Key(model.KindAccelerator, accARN), acc, 0); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, "PROXY header used from the accelerator's static IP", func() (bool, string) {
		xff, err := tryProxied(e, heldIP, node, lport)
		if err != nil {
			return false, err.Error()
		}
		return xff == "203.0.113.7", "X-Forwarded-For " + xff
	})

	cases := []struct {
		name, src string
		used      bool
	}{
		{"static IP an accelerator holds", heldIP, true},
		{"pool address no accelerator holds", unheldIP, false},
		{"client address", clientIP, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			xff, err := tryProxied(e, tc.src, node, lport)
			switch {
			case tc.used && (err != nil || xff != "203.0.113.7"):
				t.Fatalf("from %s: got X-Forwarded-For %q, err %v; want 203.0.113.7 (the PROXY header's source)", tc.src, xff, err)
			case !tc.used && err == nil:
				t.Fatalf("from %s: got an answer (X-Forwarded-For %q) after a PROXY header, want the connection refused", tc.src, xff)
			}
		})
	}

	t.Run("accelerator deleted", func(t *testing.T) {
		if _, err := e.st.Delete(e.ctx, model.Key(model.KindAccelerator, accARN), store.Any); err != nil {
			t.Fatal(err)
		}
		testutil.Eventually(t, "PROXY header refused from the deleted accelerator's IP", func() (bool, string) {
			xff, err := tryProxied(e, heldIP, node, lport)
			return err != nil, "still answered, X-Forwarded-For " + xff
		})
	})
}

// tryProxied sends one request over a connection from src that opens with a
// PROXY v2 header naming 203.0.113.7 as the client, and returns the
// X-Forwarded-For the target saw; an error when the balancer refused the
// connection or answered other than 200.
func tryProxied(e *env, src, node string, port int) (string, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", net.JoinHostPort(node, strconv.Itoa(port)))
	if err != nil {
		return "", err
	}
	defer c.Close()
	if _, err := proxyHeader(node, port).WriteTo(c); err != nil {
		return "", err
	}
	res, err := e.getOverTLS(c)
	if err != nil {
		return "", err
	}
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("got status %d, want 200", res.StatusCode)
	}
	return res.Header.Get("Echo-XFF"), nil
}

// proxyHeader is the PROXY v2 header an accelerator would send for a client
// 203.0.113.7 reaching node:port.
func proxyHeader(node string, port int) *proxyproto.Header {
	return proxyproto.HeaderProxyFromAddrs(2,
		&net.TCPAddr{IP: net.ParseIP("203.0.113.7"), Port: 40000},
		&net.TCPAddr{IP: net.ParseIP(node), Port: port})
}
