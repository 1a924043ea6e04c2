package nameserver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"gatehouse/internal/live"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// TestZoneDeleteRacesRecordCreateOnTwoNodes races, on two services ("nodes")
// sharing one store, DeleteHostedZone on one against a CREATE of a record set
// in the same zone on the other, many rounds. A user must never be left with a
// record set whose zone is gone: exactly one of the two wins, and the loser
// gets Route 53's answer (HostedZoneNotEmpty or NoSuchHostedZone).
func TestZoneDeleteRacesRecordCreateOnTwoNodes(t *testing.T) {
	backends := []struct {
		name   string
		open   func(t *testing.T) store.Store
		rounds int
	}{
		{name: "mem", rounds: 300, open: func(*testing.T) store.Store { return store.NewMem() }},
		{name: "bolt", rounds: 60, open: func(t *testing.T) store.Store {
			b, err := store.OpenBolt(t.TempDir())
			if err != nil {
				t.Fatalf("OpenBolt: %v", err)
			}
			return b
		}},
	}
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			st := be.open(t)
			t.Cleanup(func() { st.Close() })
			node := func() *Service {
				return New(Deps{Store: st, Feed: live.NewFeed(model.EmptySnapshot()), Env: model.DefaultEnv})
			}
			a, b := node(), node()

			orphans, bothWon := 0, 0
			for round := range be.rounds {
				name := fmt.Sprintf("race%d.test", round)
				z, _, err := a.CreateHostedZone(ctx, name, "ref-"+name, "")
				if err != nil {
					t.Fatalf("round %d: CreateHostedZone: %v", round, err)
				}
				var delErr, createErr error
				var wg sync.WaitGroup
				startLine := make(chan struct{})
				wg.Go(func() {
					<-startLine
					_, delErr = a.DeleteHostedZone(ctx, z.ID)
				})
				wg.Go(func() {
					<-startLine
					_, createErr = b.ChangeRecordSets(ctx, z.ID, []Change{create("www."+name, "A", 60, "192.0.2.1")})
				})
				close(startLine)
				wg.Wait()

				if delErr != nil && !isAWSError(delErr, "HostedZoneNotEmpty") {
					t.Errorf("round %d: DeleteHostedZone: got %v, want success or HostedZoneNotEmpty", round, delErr)
				}
				if createErr != nil && !isAWSError(createErr, "NoSuchHostedZone") {
					t.Errorf("round %d: ChangeRecordSets: got %v, want success or NoSuchHostedZone", round, createErr)
				}
				if delErr == nil && createErr == nil {
					bothWon++
				}

				_, zerr := st.Get(ctx, model.Key(model.KindHostedZone, z.ID))
				sets, _, err := st.List(ctx, recordSetPrefix(z.ID))
				if err != nil {
					t.Fatalf("round %d: list record sets: %v", round, err)
				}
				if errors.Is(zerr, store.ErrNotFound) && len(sets) > 0 {
					orphans++
					t.Errorf("round %d: zone %s deleted but %d record sets left: %s", round, z.ID, len(sets), keys(sets))
				}
				if delErr != nil {
					// The record set won: clean up so the zone count stays small.
					if _, err := a.ChangeRecordSets(ctx, z.ID, []Change{{Action: "DELETE", Set: model.RecordSet{Name: "www." + name, Type: "A", TTL: 60, Records: []string{"192.0.2.1"}}}}); err != nil {
						t.Fatalf("round %d: clean up record set: %v", round, err)
					}
					if _, err := a.DeleteHostedZone(ctx, z.ID); err != nil {
						t.Fatalf("round %d: clean up zone: %v", round, err)
					}
				}
				if t.Failed() && orphans >= 3 {
					break // enough evidence
				}
			}
			if orphans != 0 || bothWon != 0 {
				t.Errorf("orphaned zones: got %d, want 0; rounds where both calls succeeded: got %d, want 0", orphans, bothWon)
			}
		})
	}
}

func isAWSError(err error, code string) bool {
	var me *model.Error
	return errors.As(err, &me) && me.Code == code
}

func keys(kvs []store.KV) string {
	ks := make([]string, len(kvs))
	for i, kv := range kvs {
		ks[i] = kv.Key
	}
	return strings.Join(ks, ", ")
}
