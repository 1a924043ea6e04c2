package nameserver

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// SOA and NS defaults of a new hosted zone, as Route 53 creates them.
const (
	soaTTL     = 900
	nsTTL      = 172800
	soaTimers  = "1 7200 900 1209600 86400"
	hostmaster = "awsdns-hostmaster.amazon.com."
)

// CreateHostedZone creates a public hosted zone with Route 53's SOA and NS record
// sets. The CallerReference can be used once only, ever. The change is INSYNC
// once the DNS server answers for the zone.
func (s *Service) CreateHostedZone(ctx context.Context, name, callerReference, comment string) (*model.HostedZone, *ChangeInfo, error) {
	if err := model.Length(codeInvalidInput, "name", name, 0, maxDNSName); err != nil {
		return nil, nil, err
	}
	if err := model.Length(codeInvalidInput, "callerReference", callerReference, 1, maxCallerReference); err != nil {
		return nil, nil, err
	}
	if err := model.Length(codeInvalidInput, "hostedZoneConfig.comment", comment, 0, maxComment); err != nil {
		return nil, nil, err
	}
	zn, ok := zoneName(name)
	if !ok {
		return nil, nil, invalidDomainName()
	}

	// The zone, its SOA and NS and its caller reference are one Txn: it also
	// requires the reference unused and no zone created since the count, so
	// neither a reused reference nor the quota can slip between check and
	// write, whichever node the other request reached.
	st := s.d.Store
	refKey := model.Key(model.KindCallerReference, callerReference)
	for attempt := 1; ; attempt++ {
		zonesPrefix := model.Prefix(model.KindHostedZone)
		zones, listRev, err := st.List(ctx, zonesPrefix)
		if err != nil {
			return nil, nil, fmt.Errorf("count hosted zones: %w", err)
		}
		if len(zones) >= maxHostedZones {
			return nil, nil, tooManyHostedZones()
		}
		z := &model.HostedZone{
			ID:              "Z" + model.RandomUpperID(20),
			Name:            zn,
			CallerReference: callerReference,
			Comment:         comment,
			NameServers:     delegationSet(),
			CreatedAt:       time.Now().UTC(),
		}
		soa := &model.RecordSet{ZoneID: z.ID, Name: zn, Type: "SOA", TTL: soaTTL,
			Records: []string{z.NameServers[0] + " " + hostmaster + " " + soaTimers}}
		ns := &model.RecordSet{ZoneID: z.ID, Name: zn, Type: "NS", TTL: nsTTL, Records: slices.Clone(z.NameServers)}
		zoneKey := model.Key(model.KindHostedZone, z.ID)
		conds := []store.Cond{store.KeyIs(refKey, 0), store.NoneAfter(zonesPrefix, listRev), store.KeyIs(zoneKey, 0)}
		ops := []store.Op{
			store.Put(refKey, mustJSON(z.ID)),
			store.Put(zoneKey, mustJSON(z)),
			store.Put(recordSetKey(soa), mustJSON(soa)),
			store.Put(recordSetKey(ns), mustJSON(ns)),
		}
		rev, err := st.Txn(ctx, conds, ops)
		if errors.Is(err, store.ErrConflict) {
			// Which condition failed decides: a used reference is the caller's
			// error; a zone created meanwhile only means counting again.
			if _, gerr := st.Get(ctx, refKey); gerr == nil {
				return nil, nil, model.Conflict("HostedZoneAlreadyExists", "A hosted zone has already been created with the specified caller reference.")
			}
			if attempt < maxRetries {
				continue
			}
		}
		if err != nil {
			return nil, nil, fmt.Errorf("create hosted zone %s: %w", zn, err)
		}
		return z, s.changeDone(ctx, rev), nil
	}
}

// GetHostedZone returns one hosted zone; id may carry the "/hostedzone/" prefix.
func (s *Service) GetHostedZone(ctx context.Context, id string) (*model.HostedZone, error) {
	z, _, err := s.loadZone(ctx, id)
	return z, err
}

// ListHostedZones returns every hosted zone in ListHostedZonesByName order: by
// name with the labels reversed, then by ID.
func (s *Service) ListHostedZones(ctx context.Context) ([]*model.HostedZone, error) {
	zones, err := store.LoadAll[model.HostedZone](ctx, s.d.Store, model.Prefix(model.KindHostedZone))
	if err != nil {
		return nil, fmt.Errorf("list hosted zones: %w", err)
	}
	slices.SortFunc(zones, func(a, b *model.HostedZone) int {
		return cmp.Or(cmp.Compare(reversedName(a.Name), reversedName(b.Name)), cmp.Compare(a.ID, b.ID))
	})
	return zones, nil
}

// DeleteHostedZone deletes a zone that holds nothing but its SOA and NS record
// sets, which go with it in the same store revision, conditioned on no record
// set having been created since they were listed (a batch on another node).
func (s *Service) DeleteHostedZone(ctx context.Context, id string) (*ChangeInfo, error) {
	return s.batch(ctx, id, "delete hosted zone", true, func(z *model.HostedZone, zrev int64, sets map[string]*stored) ([]write, error) {
		writes := []write{}
		for _, cur := range sets {
			if cur.set.Name != z.Name || (cur.set.Type != "SOA" && cur.set.Type != "NS") {
				return nil, model.BadRequest("HostedZoneNotEmpty", "The specified hosted zone contains non-required resource record sets and so cannot be deleted.")
			}
			writes = append(writes, write{key: cur.key, old: cur})
		}
		return append(writes, write{key: model.Key(model.KindHostedZone, z.ID), old: &stored{rev: zrev, raw: mustJSON(z)}}), nil
	})
}

// ListHostedZonesPage is one page of ListHostedZones: up to maxItems zones (0:
// 100) in ID order from the first whose ID is not below marker, and the ID of
// the zone the next page starts with ("" if this is the last page). Ordering by
// ID makes the marker, which Route 53 defines as a zone ID, a position that
// stays valid even if that zone is deleted between two pages.
func (s *Service) ListHostedZonesPage(ctx context.Context, marker string, maxItems int) ([]*model.HostedZone, string, error) {
	zones, err := s.ListHostedZones(ctx)
	if err != nil {
		return nil, "", err
	}
	slices.SortFunc(zones, func(a, b *model.HostedZone) int { return cmp.Compare(a.ID, b.ID) })
	marker = strings.TrimPrefix(marker, "/hostedzone/")
	page, next := fromMarker(zones, func(z *model.HostedZone) int { return cmp.Compare(z.ID, marker) }, maxItems, MaxZonesPage)
	if next == nil {
		return page, "", nil
	}
	return page, next.ID, nil
}

// ListHostedZonesByName is one page of zones in ListHostedZones order (by name
// with the labels reversed, then ID), from the first at or after dnsName and
// zoneID; both may be empty, but a zoneID needs a dnsName. It returns the name
// and ID of the zone the next page starts with ("" if none).
func (s *Service) ListHostedZonesByName(ctx context.Context, dnsName, zoneID string, maxItems int) (zones []*model.HostedZone, nextName, nextID string, err error) {
	zoneID = strings.TrimPrefix(zoneID, "/hostedzone/")
	if err := model.Length(codeInvalidInput, "dNSName", dnsName, 0, maxDNSName); err != nil {
		return nil, "", "", err
	}
	start := ""
	if dnsName != "" {
		n, ok := zoneName(dnsName)
		if !ok {
			return nil, "", "", invalidDomainName()
		}
		start = reversedName(n)
	} else if zoneID != "" {
		// UNVERIFIED wording; the API reference requires dnsname with hostedzoneid.
		return nil, "", "", invalidInput("The input is not valid: hostedzoneid requires dnsname")
	}
	all, err := s.ListHostedZones(ctx)
	if err != nil {
		return nil, "", "", err
	}
	zones, next := fromMarker(all, func(z *model.HostedZone) int {
		return cmp.Or(cmp.Compare(reversedName(z.Name), start), cmp.Compare(z.ID, zoneID))
	}, maxItems, MaxZonesPage)
	if next == nil {
		return zones, "", "", nil
	}
	return zones, next.Name, next.ID, nil
}

// UpdateHostedZoneComment replaces a zone's comment ("" removes it).
func (s *Service) UpdateHostedZoneComment(ctx context.Context, id, comment string) (*model.HostedZone, error) {
	if err := model.Length(codeInvalidInput, "comment", comment, 0, maxComment); err != nil {
		return nil, err
	}
	return s.updateZone(ctx, id, func(z *model.HostedZone) error { z.Comment = comment; return nil })
}

// updateZone changes a stored zone with fn (CAS, retried on a concurrent
// write); a refusal of fn's, already in Route 53's words, is returned as is.
func (s *Service) updateZone(ctx context.Context, id string, fn func(z *model.HostedZone) error) (*model.HostedZone, error) {
	z, _, err := s.loadZone(ctx, id) // validates the id and reports Route 53's error
	if err != nil {
		return nil, err
	}
	return store.UpdateOr(ctx, s.d.Store, model.Key(model.KindHostedZone, z.ID), zoneNotFound(z.ID), fn)
}

// loadZone reads a zone by id ("Z…" or "/hostedzone/Z…").
func (s *Service) loadZone(ctx context.Context, id string) (*model.HostedZone, int64, error) {
	id = strings.TrimPrefix(id, "/hostedzone/")
	if err := model.Length(codeInvalidInput, "id", id, 0, maxZoneID); err != nil {
		return nil, 0, err
	}
	if id == "" || strings.ContainsFunc(id, func(r rune) bool { return !('A' <= r && r <= 'Z' || '0' <= r && r <= '9') }) {
		return nil, 0, noSuchHostedZone(id)
	}
	return store.LoadOr[model.HostedZone](ctx, s.d.Store, model.Key(model.KindHostedZone, id), zoneNotFound(id))
}

// zoneNotFound is the store's not-found for zone id in Route 53's words.
func zoneNotFound(id string) func() error {
	return func() error { return noSuchHostedZone(id) }
}

// zoneName normalises a hosted zone name and reports whether Route 53 would
// accept it: letters, digits, '-' and '_' in labels of 1–63, not the root.
func zoneName(name string) (string, bool) {
	n := canonical(name)
	if n == "" || n == "." {
		return "", false
	}
	if _, ok := dns.IsDomainName(n); !ok {
		return "", false
	}
	for _, label := range dns.SplitDomainName(n) {
		if label == "" || len(label) > 63 || strings.ContainsFunc(label, func(r rune) bool {
			return !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '-' || r == '_')
		}) {
			return "", false
		}
	}
	return n, true
}

// delegationSet picks four name servers the way Route 53 names them: one per
// top-level domain, "ns-<n>.awsdns-<(n mod 512)/8>.<tld>." with n in that TLD's
// block of 512. The first (the .org one) is the SOA's primary.
func delegationSet() []string {
	blocks := []struct {
		base int
		tld  string
	}{{1024, "org"}, {1536, "co.uk"}, {0, "com"}, {512, "net"}}
	out := make([]string, len(blocks))
	for i, b := range blocks {
		k := rand.IntN(512)
		out[i] = fmt.Sprintf("ns-%d.awsdns-%02d.%s.", b.base+k, k/8, b.tld)
	}
	return out
}
