package certs

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gatehouse/internal/live"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
	"gatehouse/internal/testutil"
)

// runNode starts, on the shared store st, what one cluster node runs of
// certs: its own feed, its own resolver and a Leader flag the test flips. stop
// ends it (and is called again, harmlessly, when the test ends).
func runNode(t *testing.T, st store.Store, ca *CA, resolver string, leader *atomic.Bool) (s *Service, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	snap, err := live.Load(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	feed := live.NewFeed(snap)
	log := slog.New(slog.DiscardHandler)
	s = New(Deps{Store: st, Feed: feed, Log: log, Env: testEnv, CA: ca, Resolver: resolver, Interval: 20 * time.Millisecond, Leader: leader.Load})
	var wg sync.WaitGroup
	wg.Go(func() { live.Watch(ctx, st, feed, log) })
	wg.Go(func() {
		if err := s.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	stop = func() {
		cancel()
		wg.Wait()
	}
	t.Cleanup(stop)
	return s, stop
}

// TestOnlyTheLeaderValidates: two nodes on one store; a certificate requested
// on the follower is validated and issued by the leader alone, and when the
// leader goes, the follower that becomes leader issues what is still pending.
func TestOnlyTheLeaderValidates(t *testing.T) {
	st := store.NewMem()
	defer st.Close()
	ca := testutil.Must[*CA](t)(LoadOrCreateCA(t.TempDir()))
	followerZone, leaderZone := startFakeZone(t, "127.0.11.21"), startFakeZone(t, "127.0.11.22")
	var followerLeads, leaderLeads atomic.Bool
	leaderLeads.Store(true)
	follower, _ := runNode(t, st, ca, followerZone.addr, &followerLeads)
	_, stopLeader := runNode(t, st, ca, leaderZone.addr, &leaderLeads)
	ctx := context.Background()

	request := func(domain string) *model.Certificate {
		c, err := follower.RequestCertificate(ctx, RequestInput{DomainName: domain})
		if err != nil {
			t.Fatal(err)
		}
		rr := c.Validations[0].ResourceRecord
		followerZone.set(rr.Name, rr.Value)
		leaderZone.set(rr.Name, rr.Value)
		return c
	}

	first := request("one.example.test")
	testutil.Eventually(t, "the leader issues the follower's request", statusIs(t, st, first.ARN, model.CertIssued))
	if n := followerZone.count(first.Validations[0].ResourceRecord.Name); n != 0 {
		t.Errorf("follower's validation queries: got %d, want 0 (only the leader validates)", n)
	}

	stopLeader()
	leaderLeads.Store(false)
	second := request("two.example.test")
	followerLeads.Store(true)
	testutil.Eventually(t, "the new leader issues the pending certificate", statusIs(t, st, second.ARN, model.CertIssued))
	if n := leaderZone.count(second.Validations[0].ResourceRecord.Name); n != 0 {
		t.Errorf("stopped leader's validation queries: got %d, want 0", n)
	}
}
