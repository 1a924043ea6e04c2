package certs

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"gatehouse/internal/live"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
	"gatehouse/internal/testutil"
)

// fakeZone is an authoritative DNS server on loopback whose CNAMEs the test
// creates and changes while the service runs.
type fakeZone struct {
	addr string

	mu      sync.Mutex
	cnames  map[string]string // canonical name → target
	queries map[string]int    // canonical name → CNAME queries seen
}

func startFakeZone(t *testing.T, ip string) *fakeZone {
	t.Helper()
	pc, err := net.ListenPacket("udp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	z := &fakeZone{addr: pc.LocalAddr().String(), cnames: map[string]string{}, queries: map[string]int{}}
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, Handler: z, NotifyStartedFunc: func() { close(started) }}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.ActivateAndServe(); err != nil {
			t.Errorf("dns server: %v", err)
		}
	}()
	<-started
	t.Cleanup(func() {
		srv.Shutdown()
		<-done
	})
	return z
}

func (z *fakeZone) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	m.Authoritative = true
	if len(r.Question) == 1 {
		q := r.Question[0]
		name := model.DomainKey(q.Name)
		z.mu.Lock()
		if q.Qtype == dns.TypeCNAME {
			z.queries[name]++
		}
		target, ok := z.cnames[name]
		z.mu.Unlock()
		switch {
		case !ok:
			m.Rcode = dns.RcodeNameError
		case q.Qtype == dns.TypeCNAME:
			m.Answer = append(m.Answer, &dns.CNAME{
				Hdr:    dns.RR_Header{Name: q.Name, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: 300},
				Target: target,
			})
		}
	}
	w.WriteMsg(m)
}

func (z *fakeZone) set(name, target string) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.cnames[model.DomainKey(name)] = target
}

func (z *fakeZone) count(name string) int {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.queries[model.DomainKey(name)]
}

// runService starts the store watch and the certs service on st, and stops both
// when the test ends.
func runService(t *testing.T, st store.Store, resolver string) *Service {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	snap, err := live.Load(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	feed := live.NewFeed(snap)
	log := slog.New(slog.DiscardHandler)
	ca := testutil.Must[*CA](t)(LoadOrCreateCA(t.TempDir()))
	s := New(Deps{Store: st, Feed: feed, Log: log, Env: testEnv, CA: ca, Resolver: resolver, Interval: 20 * time.Millisecond})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		live.Watch(ctx, st, feed, log)
	}()
	go func() {
		defer wg.Done()
		if err := s.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	return s
}

func loadCert(t *testing.T, st store.Store, arn string) *model.Certificate {
	t.Helper()
	c, _, err := store.Load[model.Certificate](context.Background(), st, model.Key(model.KindCertificate, arn))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// statusIs is a condition for testutil.Eventually: the certificate's status is want.
func statusIs(t *testing.T, st store.Store, arn, want string) func() (bool, string) {
	return func() (bool, string) {
		got := loadCert(t, st, arn).Status
		return got == want, got
	}
}

// queriesReach is a condition for testutil.Eventually: the zone has seen at
// least n CNAME queries for name.
func queriesReach(z *fakeZone, name string, n int) func() (bool, string) {
	return func() (bool, string) {
		got := z.count(name)
		return got >= n, fmt.Sprintf("%d queries", got)
	}
}

func TestValidationIssues(t *testing.T) {
	st := store.NewMem()
	defer st.Close()
	zone := startFakeZone(t, "127.0.11.1")
	s := runService(t, st, zone.addr)
	ctx := context.Background()

	c, err := s.RequestCertificate(ctx, RequestInput{
		DomainName:              "api.example.test",
		SubjectAlternativeNames: []string{"*.api.example.test", "www.example.test"},
	})
	if err != nil {
		t.Fatal(err)
	}
	apiRR, wwwRR := c.Validations[0].ResourceRecord, c.Validations[2].ResourceRecord

	// No records yet: the service asks, and the certificate stays pending.
	testutil.Eventually(t, "queries for the missing record", queriesReach(zone, apiRR.Name, 2))
	if got := loadCert(t, st, c.ARN).Status; got != model.CertPendingValidation {
		t.Fatalf("without records: got %s, want PENDING_VALIDATION", got)
	}

	// A wrong target keeps it pending. Two more queries after the change prove a
	// full check ran on the wrong answer (checks run one after another).
	zone.set(apiRR.Name, "_wrong.acm-validations.aws.")
	zone.set(wwwRR.Name, wwwRR.Value)
	n := zone.count(apiRR.Name)
	testutil.Eventually(t, "queries for the wrong record", queriesReach(zone, apiRR.Name, n+2))
	got := loadCert(t, st, c.ARN)
	if got.Status != model.CertPendingValidation {
		t.Fatalf("with a wrong CNAME: got %s, want PENDING_VALIDATION", got.Status)
	}
	if got.CertificatePEM != "" {
		t.Errorf("with a wrong CNAME: got a certificate, want none")
	}
	// The domain whose record is right shows SUCCESS already, the others not.
	wantStatus := []string{"PENDING_VALIDATION", "PENDING_VALIDATION", "SUCCESS"}
	for i, v := range got.Validations {
		if v.ValidationStatus != wantStatus[i] {
			t.Errorf("%s: got ValidationStatus %s, want %s", v.DomainName, v.ValidationStatus, wantStatus[i])
		}
	}

	// The right target (in any case) issues it.
	zone.set(apiRR.Name, strings.ToUpper(apiRR.Value))
	testutil.Eventually(t, "issuance", statusIs(t, st, c.ARN, model.CertIssued))

	got = loadCert(t, st, c.ARN)
	for _, v := range got.Validations {
		if v.ValidationStatus != "SUCCESS" {
			t.Errorf("%s: got ValidationStatus %s, want SUCCESS", v.DomainName, v.ValidationStatus)
		}
	}
	if got.IssuedAt.IsZero() || got.Serial == "" || got.PrivateKeyPEM == "" {
		t.Errorf("issued certificate: got IssuedAt %v Serial %q key set %v, want all set", got.IssuedAt, got.Serial, got.PrivateKeyPEM != "")
	}
	if d := got.NotAfter.Sub(got.IssuedAt); d < 394*24*time.Hour || d > 396*24*time.Hour {
		t.Errorf("validity: got %v, want 395 days", d)
	}
	if got.ChainPEM != string(s.ca.PEM()) {
		t.Errorf("ChainPEM: got %q, want the CA certificate", got.ChainPEM)
	}
	tc, err := got.TLS()
	if err != nil {
		t.Fatalf("TLS(): %v", err)
	}
	leaf, err := x509.ParseCertificate(tc.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if got.Serial != formatSerial(leaf.SerialNumber) {
		t.Errorf("Serial: got %q, want the leaf's %q", got.Serial, formatSerial(leaf.SerialNumber))
	}
	pool := x509.NewCertPool()
	pool.AddCert(s.ca.Certificate())
	for _, host := range []string{"api.example.test", "x.api.example.test", "www.example.test"} {
		if _, err := leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: pool}); err != nil {
			t.Errorf("verify %s: %v", host, err)
		}
	}
	if _, err := leaf.Verify(x509.VerifyOptions{DNSName: "example.test", Roots: pool}); err == nil {
		t.Errorf("verify example.test: got ok, want a name mismatch")
	}
}

func TestValidationServesTLS(t *testing.T) {
	// The issued certificate works for a real TLS handshake by a client trusting
	// only the CA: what the balancer and gateway will do with it.
	st := store.NewMem()
	defer st.Close()
	zone := startFakeZone(t, "127.0.11.2")
	s := runService(t, st, zone.addr)
	c, err := s.RequestCertificate(context.Background(), RequestInput{DomainName: "tls.example.test"})
	if err != nil {
		t.Fatal(err)
	}
	rr := c.Validations[0].ResourceRecord
	zone.set(rr.Name, rr.Value)
	testutil.Eventually(t, "issuance", statusIs(t, st, c.ARN, model.CertIssued))
	tc, err := loadCert(t, st, c.ARN).TLS()
	if err != nil {
		t.Fatal(err)
	}
	handshake(t, "127.0.11.2", tc, s.ca, "tls.example.test")

	internal, err := s.IssueInternal("*.execute-api.us-west-2.amazonaws.com")
	if err != nil {
		t.Fatalf("IssueInternal: %v", err)
	}
	if internal.Leaf == nil || len(internal.Certificate) != 2 {
		t.Fatalf("IssueInternal: got leaf %v and %d certificates, want leaf and chain of 2", internal.Leaf != nil, len(internal.Certificate))
	}
	handshake(t, "127.0.11.2", internal, s.ca, "abc123.execute-api.us-west-2.amazonaws.com")
}

// handshake serves cert on a loopback listener and connects with a client that
// trusts only ca, asking for host.
func handshake(t *testing.T, ip string, cert tls.Certificate, ca *CA, host string) {
	t.Helper()
	ln, err := tls.Listen("tcp", net.JoinHostPort(ip, "0"), &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		done <- conn.(*tls.Conn).Handshake()
	}()
	pool := x509.NewCertPool()
	pool.AddCert(ca.Certificate())
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", ln.Addr().String(), &tls.Config{RootCAs: pool, ServerName: host})
	if err != nil {
		t.Fatalf("TLS handshake as %s: %v", host, err)
	}
	conn.Close()
	if err := <-done; err != nil {
		t.Errorf("server handshake: %v", err)
	}
}

func TestValidationTimesOut(t *testing.T) {
	zone := startFakeZone(t, "127.0.11.3")
	ctx := context.Background()

	// Two certificates requested before the service starts: one 73 hours ago.
	s0, st := newOpsService(t)
	old, err := s0.RequestCertificate(ctx, RequestInput{DomainName: "old.example.test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Update(ctx, st, model.Key(model.KindCertificate, old.ARN), func(c *model.Certificate) error {
		c.CreatedAt = c.CreatedAt.Add(-73 * time.Hour)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	fresh, err := s0.RequestCertificate(ctx, RequestInput{DomainName: "fresh.example.test"})
	if err != nil {
		t.Fatal(err)
	}

	runService(t, st, zone.addr)
	testutil.Eventually(t, "timeout", statusIs(t, st, old.ARN, model.CertTimedOut))
	// Its record is never asked for; the fresh one's is, and it stays pending.
	testutil.Eventually(t, "queries for the fresh record", queriesReach(zone, fresh.Validations[0].ResourceRecord.Name, 2))
	if got := loadCert(t, st, fresh.ARN).Status; got != model.CertPendingValidation {
		t.Errorf("fresh certificate: got %s, want PENDING_VALIDATION", got)
	}
	if n := zone.count(old.Validations[0].ResourceRecord.Name); n != 0 {
		t.Errorf("timed-out certificate: got %d queries, want 0", n)
	}
}

func TestRunNeedsDeps(t *testing.T) {
	st := store.NewMem()
	defer st.Close()
	ca, err := LoadOrCreateCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	feed := live.NewFeed(model.EmptySnapshot())
	tests := []struct {
		name string
		d    Deps
	}{
		{"no CA", Deps{Store: st, Feed: feed, Resolver: "127.0.11.4:53"}},
		{"no resolver", Deps{Store: st, Feed: feed, CA: ca}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := New(tt.d).Run(context.Background()); err == nil {
				t.Errorf("Run: got nil, want an error")
			}
		})
	}
}
