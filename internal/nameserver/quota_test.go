package nameserver

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"gatehouse/internal/model"
)

// TestHostedZoneQuota fills the account to Route 53's hosted zone quota; the
// next create answers TooManyHostedZones and leaves no zone behind.
func TestHostedZoneQuota(t *testing.T) {
	ctx := context.Background()
	s, _ := newOps(t)
	for i := range maxHostedZones {
		if _, _, err := s.CreateHostedZone(ctx, fmt.Sprintf("z%d.example.test", i), fmt.Sprintf("ref-%d", i), ""); err != nil {
			t.Fatalf("zone %d: %v", i, err)
		}
	}
	_, _, err := s.CreateHostedZone(ctx, "one-too-many.example.test", "ref-over", "")
	wantError(t, err, http.StatusBadRequest, "TooManyHostedZones", "Limits Exceeded: MAX_HOSTED_ZONES_BY_OWNER - Cannot create more hosted zones.")
	zones, err := s.ListHostedZones(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(zones) != maxHostedZones {
		t.Errorf("zones: got %d, want %d", len(zones), maxHostedZones)
	}
	// Once a zone is deleted, the refused request can be repeated as it was:
	// its caller reference was not used up.
	if _, err := s.DeleteHostedZone(ctx, zones[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateHostedZone(ctx, "one-too-many.example.test", "ref-over", ""); err != nil {
		t.Errorf("create after a delete: %v", err)
	}
}

// TestRecordSetQuota fills a zone to 10,000 record sets (SOA and NS count);
// a batch that would add one more fails as a whole with InvalidChangeBatch,
// while one that replaces a set in the full zone still passes.
func TestRecordSetQuota(t *testing.T) {
	ctx := context.Background()
	s, _ := newOps(t)
	z, _, err := s.CreateHostedZone(ctx, "example.test", "ref", "")
	if err != nil {
		t.Fatal(err)
	}
	a := func(action, name, ip string) Change {
		return Change{Action: action, Set: model.RecordSet{Name: name, Type: "A", TTL: 60, Records: []string{ip}}}
	}
	n := 2 // SOA and NS
	for n < maxRecordSets {
		batch := make([]Change, 0, maxChanges)
		for len(batch) < maxChanges && n < maxRecordSets {
			batch = append(batch, a("CREATE", fmt.Sprintf("h%d.example.test", n), "192.0.2.1"))
			n++
		}
		if _, err := s.ChangeRecordSets(ctx, z.ID, batch); err != nil {
			t.Fatalf("fill to %d: %v", n, err)
		}
	}
	_, err = s.ChangeRecordSets(ctx, z.ID, []Change{
		a("UPSERT", "h2.example.test", "192.0.2.2"),
		a("CREATE", "over.example.test", "192.0.2.3"),
	})
	wantError(t, err, http.StatusBadRequest, "InvalidChangeBatch", "["+tooManyRecordSets+"]")
	sets, err := s.ListRecordSets(ctx, z.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(sets) != maxRecordSets {
		t.Errorf("record sets: got %d, want %d", len(sets), maxRecordSets)
	}
	if _, err := s.ChangeRecordSets(ctx, z.ID, []Change{a("UPSERT", "h2.example.test", "192.0.2.2")}); err != nil {
		t.Errorf("UPSERT in a full zone: %v", err)
	}
}
