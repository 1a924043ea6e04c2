package balancer

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// largestWrites records, per kind, the largest value written through it.
type largestWrites struct {
	store.Store
	mu     sync.Mutex
	bytes  map[model.Kind]int
	totals map[model.Kind]int
}

func (w *largestWrites) note(key string, v []byte) {
	k, _ := model.SplitKey(key)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.bytes[k] = max(w.bytes[k], len(v))
	w.totals[k] += len(v)
}

func (w *largestWrites) Put(ctx context.Context, key string, value []byte, expect int64) (int64, error) {
	w.note(key, value)
	return w.Store.Put(ctx, key, value, expect)
}

func (w *largestWrites) Txn(ctx context.Context, conds []store.Cond, ops []store.Op) (int64, error) {
	for _, op := range ops {
		if !op.Delete {
			w.note(op.Key, op.Value)
		}
	}
	return w.Store.Txn(ctx, conds, ops)
}

// TestRecordSizesAtQuotas fills one load balancer to ALB's quotas with the
// largest values the operations accept (100 rules on a listener, 5 condition
// values and 50 tags per rule, 1,000 targets in a group, 50 tags and 25 extra
// certificates) and checks the largest record each kind writes: each stays
// its own size, far under the store's value limit, where the listener that
// held its rules inside it would have passed it. It logs the sizes (go test
// -v -run TestRecordSizesAtQuotas).
func TestRecordSizesAtQuotas(t *testing.T) {
	ctx := context.Background()
	st, _, _ := twoNodes(t)
	w := &largestWrites{Store: st, bytes: map[model.Kind]int{}, totals: map[model.Kind]int{}}
	svc := New(Deps{Store: w, Env: model.DefaultEnv, MaxLoadBalancers: 1000, MaxTargetGroups: 1000})

	// 50 tags of the longest key and value, each distinct.
	tags := func(prefix string) map[string]string {
		m := map[string]string{}
		for i := range model.MaxTags {
			k := fmt.Sprintf("%s%03d", prefix, i)
			m[k+strings.Repeat("k", model.MaxTagKeyLen-len(k))] = strings.Repeat("v", model.MaxTagValueLen)
		}
		return m
	}
	long := func(n int, c string) string { return strings.Repeat(c, n) }
	lb, err := svc.CreateLoadBalancer(ctx, CreateLBInput{Name: long(32, "l"), SubnetIDs: []string{subnetA, subnetB}, Tags: tags("lb")})
	if err != nil {
		t.Fatal(err)
	}
	tg, err := svc.CreateTargetGroup(ctx, CreateTGInput{Name: long(32, "t"), Protocol: "HTTP", TargetType: "ip", VpcID: testVPC, Port: 80, Tags: tags("tg")})
	if err != nil {
		t.Fatal(err)
	}
	targets := make([]model.Target, maxTargetsPerGroup)
	for i := range targets {
		targets[i] = model.Target{ID: "127.0.14.255", Port: 64000 + i%1000}
	}
	if err := svc.RegisterTargets(ctx, tg.ARN, targets); err != nil {
		t.Fatal(err)
	}
	certs := make([]string, maxCertificates+1)
	for i := range certs {
		certs[i] = fmt.Sprintf("arn:aws:acm:us-west-2:000000000000:certificate/%08d-2222-4333-8444-555555555555", i)
		putCert(t, st, certs[i])
	}
	body := &model.FixedResponse{StatusCode: "200", ContentType: "text/plain", MessageBody: long(maxFixedBody, "b")}
	l, err := svc.CreateListener(ctx, CreateListenerInput{LoadBalancerARN: lb.ARN, Protocol: "HTTPS", Port: 443,
		Certificates:   []model.ListenerCertificate{{CertificateARN: certs[0]}},
		DefaultActions: []model.Action{{Type: "fixed-response", FixedResponse: body}}, Tags: tags("l")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddListenerCertificates(ctx, l.ARN, certs[1:]); err != nil {
		t.Fatal(err)
	}
	var embedded []model.Rule // the rules as an older gatehouse kept them, inside the listener
	for i := range maxRules {
		conds := []model.Condition{
			{Field: "host-header", Values: []string{long(128, "h")}},
			{Field: "path-pattern", Values: []string{"/" + long(127, "p")}},
			{Field: "http-header", HeaderName: long(40, "n"), Values: []string{long(128, "v")}},
			{Field: "query-string", QueryStrings: []model.QueryString{{Key: long(128, "q"), Value: long(128, "w")}}},
			{Field: "http-request-method", Values: []string{long(40, "M")}},
		}
		r, err := svc.CreateRule(ctx, CreateRuleInput{ListenerARN: l.ARN, Priority: maxPriority - i, Conditions: conds,
			Actions: []model.Action{{Type: "fixed-response", FixedResponse: body}}, Tags: tags("r")})
		if err != nil {
			t.Fatalf("rule %d: %v", i, err)
		}
		embedded = append(embedded, r.Rule)
	}
	// The health report of the full group, as the leader writes it: every
	// target failing with the longest description.
	report := model.TargetHealth{TargetGroupARN: tg.ARN}
	for _, tt := range targets {
		report.Targets = append(report.Targets, model.TargetState{ID: "255.255.255.255", Port: tt.Port, State: model.TargetUnhealthy,
			Reason: model.ReasonResponseCodeMismatch, Description: "Health checks failed with these codes: [599]"})
	}
	reportBytes, _ := json.Marshal(report)
	w.note(model.Key(model.KindTargetHealth, tg.ARN), reportBytes)

	old := *l
	old.Rules = embedded
	oldBytes, _ := json.Marshal(old)

	kinds := make([]string, 0, len(w.bytes))
	for k := range w.bytes {
		kinds = append(kinds, string(k))
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		t.Logf("largest %-20s %8d bytes", k, w.bytes[model.Kind(k)])
	}
	t.Logf("the listener with its %d rules inside it (the older shape): %d bytes", maxRules, len(oldBytes))
	t.Logf("registering %d targets wrote %d bytes of target records", maxTargetsPerGroup, w.totals[model.KindTarget])

	// Every record the operations write is its own size: none grows with
	// its siblings. The health report does, with the group's targets, and
	// stays far below the store's limit.
	const (
		ownSize = 32 << 10
		// etcdRequest is etcd's default request limit (1.5 MiB), which
		// one value must fit in whatever store.MaxValueBytes says.
		etcdRequest = 3 << 19
	)
	for _, k := range kinds {
		limit := ownSize
		if model.Kind(k) == model.KindTargetHealth {
			limit = etcdRequest / 6 // 256 KiB
		}
		if got := w.bytes[model.Kind(k)]; got > limit {
			t.Errorf("largest %s record: got %d bytes, want at most %d", k, got, limit)
		}
	}
	if len(oldBytes) <= etcdRequest {
		t.Errorf("the older listener shape at the quotas: got %d bytes; this test no longer fills the quotas", len(oldBytes))
	}
}
