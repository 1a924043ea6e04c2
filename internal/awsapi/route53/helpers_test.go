package route53_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/smithy-go"
	"github.com/miekg/dns"

	"gatehouse/internal/awsapi/awsapitest"
	r53 "gatehouse/internal/awsapi/route53"
	"gatehouse/internal/live"
	"gatehouse/internal/model"
	"gatehouse/internal/nameserver"
	"gatehouse/internal/store"
)

// fixture is the Route 53 API on loopback over a mem store, with the
// nameserver's DNS server running and kept current by live.Watch, so that
// changes go INSYNC and can be queried.
type fixture struct {
	t      testing.TB
	ctx    context.Context
	st     store.Store
	ns     *nameserver.Service
	url    string
	client *route53.Client
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	st := store.NewMem()
	log := slog.New(slog.DiscardHandler)
	snap, err := live.Load(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	feed := live.NewFeed(snap)
	// 127.0.10.0/24 is the nameserver's loopback test range.
	ns := nameserver.New(nameserver.Deps{Store: st, Feed: feed, Log: log, Env: model.DefaultEnv, Listen: "127.0.10.53:0"})
	var wg sync.WaitGroup
	wg.Go(func() { live.Watch(ctx, st, feed, log) })
	wg.Go(func() {
		if err := ns.Run(ctx); err != nil {
			t.Errorf("nameserver Run: %v", err)
		}
	})
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		st.Close()
	})
	select {
	case <-ns.Ready():
	case <-time.After(10 * time.Second): // a safety net against hangs, not a timing assertion
		t.Fatal("nameserver did not start")
	}
	url, cfg := awsapitest.Start(t, r53.New(ns))
	return &fixture{t: t, ctx: ctx, st: st, ns: ns, url: url, client: route53.NewFromConfig(cfg)}
}

// resolve asks the nameserver for name's A records.
func (f *fixture) resolve(name string) []string {
	f.t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), dns.TypeA)
	resp, _, err := (&dns.Client{Timeout: 5 * time.Second}).Exchange(m, f.ns.Addr())
	if err != nil {
		f.t.Fatalf("query %s: %v", name, err)
	}
	var out []string
	for _, rr := range resp.Answer {
		if a, ok := rr.(*dns.A); ok {
			out = append(out, a.A.String())
		}
	}
	return out
}

// wantAPIError checks an SDK error's code and message ("" matches any).
func wantAPIError(t testing.TB, what string, err error, code, message string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("%s: got %v, want API error %s", what, err, code)
	}
	if ae.ErrorCode() != code || (message != "" && ae.ErrorMessage() != message) {
		t.Errorf("%s: got %s %q,\nwant %s %q", what, ae.ErrorCode(), ae.ErrorMessage(), code, message)
	}
}

// do sends a raw request signed for route53, as a client that bypasses the
// SDK's validation would, and returns the status and body.
func (f *fixture) do(method, path, body string) (int, []byte) {
	f.t.Helper()
	req, err := http.NewRequest(method, f.url+path, strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	status, _, b := awsapitest.Send(f.t, req, "route53")
	return status, b
}

// errorResponse is Route 53's error envelope.
type errorResponse struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Type      string   `xml:"Error>Type"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	RequestID string   `xml:"RequestId"`
}

func parseError(t testing.TB, body []byte) errorResponse {
	t.Helper()
	var e errorResponse
	if err := xml.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	return e
}

// accelerator stores an accelerator as the accelerator service would, so that
// an alias can name it.
func (f *fixture) accelerator(dnsName string, ips ...string) {
	f.t.Helper()
	acc := model.Accelerator{ARN: "arn:aws:globalaccelerator::000000000000:accelerator/" + model.RandomHex(8),
		Name: "edge", Enabled: true, DNSName: dnsName, IPSets: []model.IPSet{{IPFamily: "IPv4", IPAddresses: ips}}}
	if _, err := store.Save(f.ctx, f.st, model.Key(model.KindAccelerator, acc.ARN), acc, 0); err != nil {
		f.t.Fatal(err)
	}
}

// xmlBody is a request body in Route 53's namespace.
func xmlBody(root, inner string) string {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString(`<` + root + ` xmlns="https://route53.amazonaws.com/doc/2013-04-01/">`)
	b.WriteString(inner)
	b.WriteString(`</` + root + `>`)
	return b.String()
}
