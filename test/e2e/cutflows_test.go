package e2e

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/globalaccelerator"
	gatypes "github.com/aws/aws-sdk-go-v2/service/globalaccelerator/types"

	"gatehouse/internal/testutil"
)

// keepAlive is one HTTPS connection to the API through a static IP, on which
// requests go one after the other, as a browser's or SDK's pooled connection.
type keepAlive struct {
	c  *tls.Conn
	br *bufio.Reader
}

func dialKeepAlive(t *testing.T, dataDir, ip string) *keepAlive {
	t.Helper()
	pool := caPool(t, dataDir)
	d := &net.Dialer{Timeout: 5 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", net.JoinHostPort(ip, "443"), &tls.Config{RootCAs: pool, ServerName: domain})
	if err != nil {
		t.Fatalf("dial %s:443: %v", ip, err)
	}
	t.Cleanup(func() { c.Close() })
	return &keepAlive{c: c, br: bufio.NewReader(c)}
}

// get sends GET path on the connection and returns the status code.
func (k *keepAlive) get(path string) (int, error) {
	k.c.SetDeadline(time.Now().Add(waitLimit))
	if _, err := fmt.Fprintf(k.c, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, domain); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(k.br, nil)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, err
	}
	if resp.Close {
		return resp.StatusCode, errors.New("the server asked to close the connection")
	}
	return resp.StatusCode, nil
}

// TestDisableAcceleratorCutsKeepAliveFlows is issue 7's done-when: a client
// holding a keep-alive connection through a static IP gets no answer once the
// accelerator is disabled (update-accelerator --no-enabled), and the
// connection is closed.
func TestDisableAcceleratorCutsKeepAliveFlows(t *testing.T) {
	needRoot(t)
	r := start(t, addressPlan("127.41.0.0/16", "127.82.1.0/24", "127.82.2.0/24"))
	r.apply(t, loadExample(t))
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	ga := sdkClients(r.cfg.AWSListen).ga
	accs := testutil.Must[*globalaccelerator.ListAcceleratorsOutput](t)(ga.ListAccelerators(ctx, &globalaccelerator.ListAcceleratorsInput{}))
	if len(accs.Accelerators) != 1 {
		t.Fatalf("list-accelerators: got %d accelerators, want the example's one", len(accs.Accelerators))
	}
	acc := accs.Accelerators[0]
	ips := acc.IpSets[0].IpAddresses

	// One keep-alive connection per static IP, each answering twice.
	var conns []*keepAlive
	for _, ip := range ips {
		k := dialKeepAlive(t, r.cfg.DataDir, ip)
		for i := range 2 {
			if code, err := k.get("/"); err != nil || code != 200 {
				t.Fatalf("via %s, request %d on one connection: got %d, %v; want 200", ip, i+1, code, err)
			}
		}
		conns = append(conns, k)
	}

	testutil.Must[*globalaccelerator.UpdateAcceleratorOutput](t)(ga.UpdateAccelerator(ctx, &globalaccelerator.UpdateAcceleratorInput{
		AcceleratorArn: acc.AcceleratorArn, Enabled: aws.Bool(false)}))
	eventually(t, "the accelerator DEPLOYED disabled", func() (bool, string) {
		out, err := ga.DescribeAccelerator(ctx, &globalaccelerator.DescribeAcceleratorInput{AcceleratorArn: acc.AcceleratorArn})
		if err != nil {
			return false, err.Error()
		}
		return out.Accelerator.Status == gatypes.AcceleratorStatusDeployed, "status " + string(out.Accelerator.Status)
	})

	for i, k := range conns {
		code, err := k.get("/")
		if err == nil {
			t.Errorf("via %s after disabling: got %d on the kept-alive connection, want no answer", ips[i], code)
			continue
		}
		if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
			t.Errorf("via %s after disabling: got %v, want the connection closed (EOF or reset)", ips[i], err)
		}
	}
}
