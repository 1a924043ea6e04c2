package elbv2_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/smithy-go"

	"gatehouse/internal/awsapi/awsapitest"
	"gatehouse/internal/awsapi/elbv2"
	"gatehouse/internal/balancer"
	"gatehouse/internal/live"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
	"gatehouse/internal/testutil"
)

// Test addresses, all inside this package's range 127.0.52.0/24.
const (
	testVPC    = "vpc-elbapi"
	subnetA    = "subnet-elba" // 127.0.52.0/26: node IPs start at 127.0.52.4
	subnetB    = "subnet-elbb" // 127.0.52.64/26: node IPs start at 127.0.52.68
	subnetT    = "subnet-elbt" // 127.0.52.192/26: targets
	targetIP   = "127.0.52.200"
	clientIP   = "127.0.52.150"
	sgWeb      = "sg-0123456789abcdef0"
	testDomain = "api.example.test"
	otherHost  = "other.example.test"
)

var (
	certARN  = "arn:aws:acm:us-west-2:000000000000:certificate/11111111-2222-4333-8444-555555555555"
	cert2ARN = "arn:aws:acm:us-west-2:000000000000:certificate/66666666-7777-4888-9999-000000000000"
)

type env struct {
	ctx  context.Context
	st   store.Store
	svc  *balancer.Service
	elb  *elb.Client
	url  string
	cfg  aws.Config
	pool *x509.CertPool
}

// newEnv builds a mem store with a VPC, three subnets, a security group and
// two issued certificates, the balancer (running: sockets, health checks),
// and the AWS endpoint serving elasticloadbalancing.
func newEnv(t *testing.T) *env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	st := store.NewMem()
	put := func(k model.Kind, id string, v any) {
		if _, err := store.Save(ctx, st, model.Key(k, id), v, 0); err != nil {
			t.Fatal(err)
		}
	}
	put(model.KindVPC, testVPC, &model.VPC{ID: testVPC, CIDR: "127.0.52.0/24", State: "available"})
	put(model.KindSubnet, subnetA, &model.Subnet{ID: subnetA, VpcID: testVPC, CIDR: "127.0.52.0/26", AvailabilityZone: "us-west-2a"})
	put(model.KindSubnet, subnetB, &model.Subnet{ID: subnetB, VpcID: testVPC, CIDR: "127.0.52.64/26", AvailabilityZone: "us-west-2b"})
	put(model.KindSubnet, subnetT, &model.Subnet{ID: subnetT, VpcID: testVPC, CIDR: "127.0.52.192/26", AvailabilityZone: "us-west-2c"})
	put(model.KindSecurityGroup, sgWeb, &model.SecurityGroup{ID: sgWeb, Name: "web", VpcID: testVPC})
	pool := x509.NewCertPool()
	for _, c := range []struct{ arn, name string }{{certARN, testDomain}, {cert2ARN, otherHost}} {
		cert := selfSigned(t, c.name, pool)
		cert.ARN = c.arn
		put(model.KindCertificate, cert.ARN, cert)
	}

	snap, err := live.Load(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	feed := live.NewFeed(snap)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	// A second of health check interval is 20 ms here: checks every 5 s run
	// every 100 ms, so targets turn healthy without waiting on real seconds.
	svc := balancer.New(balancer.Deps{Store: st, Feed: feed, Log: log, Env: model.DefaultEnv,
		HealthCheckSecond: 20 * time.Millisecond, RetryInterval: 20 * time.Millisecond})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = live.Watch(ctx, st, feed, log) }()
	go func() {
		defer wg.Done()
		if err := svc.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); wg.Wait(); st.Close() })
	u, cfg := awsapitest.Start(t, elbv2.New(svc))
	return &env{ctx: ctx, st: st, svc: svc, elb: elb.NewFromConfig(cfg), url: u, cfg: cfg, pool: pool}
}

// selfSigned is an issued, imported certificate for name, added to pool.
func selfSigned(t *testing.T, name string, pool *x509.CertPool) *model.Certificate {
	t.Helper()
	certPEM, keyPEM, leaf := testutil.SelfSigned(t, name)
	pool.AddCert(leaf)
	return &model.Certificate{
		DomainName: name, SubjectAlternativeNames: []string{name}, Status: model.CertIssued, Type: "IMPORTED",
		CertificatePEM: string(certPEM), PrivateKeyPEM: string(keyPEM),
	}
}

// backend is an HTTPS target like an execute-api endpoint: 403 to a request
// whose Host is an IP (the health checks), 200 "hello from target" otherwise.
func backend(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(targetIP, "0"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.Host)
		if err != nil {
			host = r.Host
		}
		if _, err := netip.ParseAddr(host); err == nil {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		_, _ = w.Write([]byte("hello from target"))
	}))
	srv.Listener.Close()
	srv.Listener = l
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return l.Addr().(*net.TCPAddr).Port
}

// get sends GET https://addr/path with SNI and Host host, from clientIP.
func (e *env) get(addr, host, path string) (int, string, error) {
	d := &net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(clientIP)}}
	c := &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true,
			TLSClientConfig: &tls.Config{RootCAs: e.pool, ServerName: host}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	req, err := http.NewRequest(http.MethodGet, "https://"+addr+path, nil)
	if err != nil {
		return 0, "", err
	}
	req.Host = host
	res, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if loc := res.Header.Get("Location"); loc != "" {
		return res.StatusCode, loc, nil
	}
	return res.StatusCode, string(b), nil
}

// wantAPIError checks that err is the AWS error code with the message (when
// message is not empty).
func wantAPIError(t *testing.T, what string, err error, code, message string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Errorf("%s: got %v, want %s", what, err, code)
		return
	}
	if ae.ErrorCode() != code || message != "" && ae.ErrorMessage() != message {
		t.Errorf("%s: got %s %q, want %s %q", what, ae.ErrorCode(), ae.ErrorMessage(), code, message)
	}
}

// rawError is an awsQuery error response.
type rawError struct {
	Type      string `xml:"Error>Type"`
	Code      string `xml:"Error>Code"`
	Message   string `xml:"Error>Message"`
	RequestID string `xml:"RequestId"`
}

// post sends a form signed for elasticloadbalancing, as the SDK would, and
// returns the status and body.
func post(t testing.TB, endpoint, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, endpoint+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	status, _, b := awsapitest.Send(t, req, "elasticloadbalancing")
	return status, b
}

// form builds an awsQuery body for action from name/value pairs.
func form(action string, kv ...string) string {
	v := url.Values{"Action": {action}, "Version": {"2015-12-01"}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v.Encode()
}

func parseError(t testing.TB, b []byte) rawError {
	t.Helper()
	var e rawError
	if err := xml.Unmarshal(b, &e); err != nil {
		t.Fatalf("error body %q: %v", b, err)
	}
	return e
}
