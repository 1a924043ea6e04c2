package nameserver

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/miekg/dns"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// Change is one entry of a ChangeResourceRecordSets batch.
type Change struct {
	Action string // CREATE, DELETE or UPSERT
	Set    model.RecordSet
}

// ChangeInfo is Route 53's receipt for a change.
type ChangeInfo struct {
	ID          string // "C…", without the "/change/" prefix
	Status      string // ChangePending or ChangeInsync
	SubmittedAt time.Time
}

// Change statuses.
const (
	ChangePending = "PENDING"
	ChangeInsync  = "INSYNC"
)

// SOA and NS defaults of a new hosted zone, as Route 53 creates them.
const (
	soaTTL     = 900
	nsTTL      = 172800
	soaTimers  = "1 7200 900 1209600 86400"
	hostmaster = "awsdns-hostmaster.amazon.com."
	maxRetries = 5 // batches re-validated after a concurrent writer won a CAS
)

// Route 53 quotas ("Quotas on entities", Route 53 Developer Guide,
// DNSLimitations.html). Both are checked against the store under opMu, which
// serialises this node's writes; another node writing to the same store at the
// same moment can overshoot a quota by its one create, which is accepted.
const (
	maxHostedZones = 500    // hosted zones per account
	maxRecordSets  = 10_000 // record sets per hosted zone, SOA and NS included
)

// Route 53 errors a caller can cause. Messages are Route 53's own where it was
// observed (see the search notes in the package tests); the others say UNVERIFIED.
func noSuchHostedZone(id string) *model.Error {
	return model.NotFound("NoSuchHostedZone", "No hosted zone found with ID: %s", id)
}

// invalidDomainName: Route 53's message for malformed names varies with the
// fault; this is the InvalidDomainName description from its API reference
// (UNVERIFIED wording).
func invalidDomainName() *model.Error {
	return model.BadRequest("InvalidDomainName", "The specified domain name is not valid.")
}

// codeInvalidInput is Route 53's code for a request that fails its model's
// constraints.
const codeInvalidInput = "InvalidInput"

func invalidInput(format string, args ...any) *model.Error {
	return model.BadRequest(codeInvalidInput, format, args...)
}

// Lengths from the Route 53 API model (route53/2013-04-01): DNSName,
// Nonce (CallerReference) and ResourceDescription (comments). A DNS name is
// further held to 255 octets by the DNS itself (zoneName, dns.IsDomainName).
const (
	maxDNSName         = 1024
	maxZoneID          = 32 // ResourceId
	maxCallerReference = 128
	maxComment         = 256
)

// invalidChangeBatch reports every fault of a batch in one message, as Route 53
// does: the list in brackets, e.g. "[Tried to create resource record set
// [name='x.example.', type='A'] but it already exists]" (observed in AWS CLI and
// SDK output). UNVERIFIED: the ", " between several messages (Java's list form).
//
// Route 53 once answered with an <InvalidChangeBatch><Messages> document instead
// of <ErrorResponse>; the SDKs still parse that form, but botocore (the AWS CLI)
// does not, and today's Route 53 answers with the ErrorResponse envelope.
func invalidChangeBatch(msgs ...string) *model.Error {
	return model.BadRequest("InvalidChangeBatch", "[%s]", strings.Join(msgs, ", "))
}

// tooManyHostedZones is Route 53's answer at the hosted zone quota, observed in
// Terraform and OpenShift installer logs ("TooManyHostedZones: Limits Exceeded:
// MAX_HOSTED_ZONES_BY_OWNER - Cannot create more hosted zones.", status 400).
func tooManyHostedZones() *model.Error {
	return model.BadRequest("TooManyHostedZones", "Limits Exceeded: MAX_HOSTED_ZONES_BY_OWNER - Cannot create more hosted zones.")
}

// tooManyRecordSets is the batch fault at the record set quota. UNVERIFIED:
// Route 53 answers InvalidChangeBatch, but its text could not be found; this
// one is modelled on the hosted zone quota's, with the limit's GetHostedZoneLimit
// name (MAX_RRSETS_BY_ZONE).
const tooManyRecordSets = "Limits Exceeded: MAX_RRSETS_BY_ZONE - Cannot create more rrsets by zone."

// enumError is the AWS request-validation message for a value outside an enum.
func enumError(value, field string, allowed []string) *model.Error {
	return invalidInput("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy enum value set: [%s]",
		value, field, strings.Join(allowed, ", "))
}

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

	s.opMu.Lock()
	defer s.opMu.Unlock()
	st := s.d.Store
	zones, _, err := st.List(ctx, model.Prefix(model.KindHostedZone))
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
	refKey := model.Key(model.KindCallerReference, callerReference)
	if _, err := store.Save(ctx, st, refKey, z.ID, 0); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, nil, model.Conflict("HostedZoneAlreadyExists", "A hosted zone has already been created with the specified caller reference.")
		}
		return nil, nil, fmt.Errorf("create hosted zone %s: %w", zn, err)
	}
	soa := &model.RecordSet{ZoneID: z.ID, Name: zn, Type: "SOA", TTL: soaTTL,
		Records: []string{z.NameServers[0] + " " + hostmaster + " " + soaTimers}}
	ns := &model.RecordSet{ZoneID: z.ID, Name: zn, Type: "NS", TTL: nsTTL, Records: slices.Clone(z.NameServers)}
	writes := []write{
		{key: model.Key(model.KindHostedZone, z.ID), val: z},
		{key: recordSetKey(soa), val: soa},
		{key: recordSetKey(ns), val: ns},
	}
	rev, err := s.apply(ctx, writes)
	if err != nil {
		// Free the reference again: the request failed, so a retry with it must work.
		if _, derr := st.Delete(context.WithoutCancel(ctx), refKey, store.Any); derr != nil {
			s.log.Warn("release caller reference", "ref", callerReference, "err", derr)
		}
		return nil, nil, fmt.Errorf("create hosted zone %s: %w", zn, err)
	}
	return z, s.changeDone(ctx, rev), nil
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
// sets, which go with it.
func (s *Service) DeleteHostedZone(ctx context.Context, id string) (*ChangeInfo, error) {
	s.opMu.Lock()
	defer s.opMu.Unlock()
	for attempt := 1; ; attempt++ {
		z, zrev, err := s.loadZone(ctx, id)
		if err != nil {
			return nil, err
		}
		sets, err := s.loadSets(ctx, z.ID)
		if err != nil {
			return nil, err
		}
		writes := []write{}
		for _, cur := range sets {
			if cur.set.Name != z.Name || (cur.set.Type != "SOA" && cur.set.Type != "NS") {
				return nil, model.BadRequest("HostedZoneNotEmpty", "The specified hosted zone contains non-required resource record sets and so cannot be deleted.")
			}
			writes = append(writes, write{key: cur.key, old: cur})
		}
		writes = append(writes, write{key: model.Key(model.KindHostedZone, z.ID), old: &stored{rev: zrev, raw: mustJSON(z)}})
		rev, err := s.apply(ctx, writes)
		if errors.Is(err, store.ErrConflict) && attempt < maxRetries {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("delete hosted zone %s: %w", z.ID, err)
		}
		return s.changeDone(ctx, rev), nil
	}
}

// ChangeRecordSets applies a batch of record changes all-or-nothing, with Route
// 53's validation: the whole batch is checked (in order, against the zone as the
// earlier changes leave it) before anything is written.
func (s *Service) ChangeRecordSets(ctx context.Context, zoneID string, changes []Change) (*ChangeInfo, error) {
	s.opMu.Lock()
	defer s.opMu.Unlock()
	for attempt := 1; ; attempt++ {
		z, _, err := s.loadZone(ctx, zoneID)
		if err != nil {
			return nil, err
		}
		current, err := s.loadSets(ctx, z.ID)
		if err != nil {
			return nil, err
		}
		writes, merr := plan(z, current, changes)
		if merr != nil {
			return nil, merr
		}
		rev, err := s.apply(ctx, writes)
		if errors.Is(err, store.ErrConflict) && attempt < maxRetries {
			continue // someone else changed the zone between our read and write
		}
		if err != nil {
			return nil, fmt.Errorf("change record sets in %s: %w", z.ID, err)
		}
		return s.changeDone(ctx, rev), nil
	}
}

// ListRecordSets returns a zone's record sets in Route 53's order: by name with
// the labels reversed, then by type.
func (s *Service) ListRecordSets(ctx context.Context, zoneID string) ([]*model.RecordSet, error) {
	z, _, err := s.loadZone(ctx, zoneID)
	if err != nil {
		return nil, err
	}
	sets, err := store.LoadAll[model.RecordSet](ctx, s.d.Store, recordSetPrefix(z.ID))
	if err != nil {
		return nil, fmt.Errorf("list record sets of %s: %w", z.ID, err)
	}
	slices.SortFunc(sets, func(a, b *model.RecordSet) int {
		return cmp.Or(cmp.Compare(reversedName(a.Name), reversedName(b.Name)), cmp.Compare(a.Type, b.Type))
	})
	return sets, nil
}

// Page limits: Route 53 returns at most this many items per page, and as many
// when the request names no maxitems.
const (
	MaxZonesPage = 100
	MaxSetsPage  = 300
)

// pageSize is the size of a page: maxItems capped at limit (0: limit).
func pageSize(maxItems, limit int) int {
	if maxItems <= 0 || maxItems > limit {
		return limit
	}
	return maxItems
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
	i, _ := slices.BinarySearchFunc(zones, marker, func(z *model.HostedZone, m string) int { return cmp.Compare(z.ID, m) })
	page, next := cut(zones[i:], pageSize(maxItems, MaxZonesPage))
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
	i, _ := slices.BinarySearchFunc(all, start, func(z *model.HostedZone, start string) int {
		return cmp.Or(cmp.Compare(reversedName(z.Name), start), cmp.Compare(z.ID, zoneID))
	})
	zones, next := cut(all[i:], pageSize(maxItems, MaxZonesPage))
	if next == nil {
		return zones, "", "", nil
	}
	return zones, next.Name, next.ID, nil
}

// ListRecordSetsPage is one page of ListRecordSets: up to maxItems record sets
// (0: 300) from the first at or after startName and startType (both may be
// empty, but a type needs a name), and the name and type of the set the next
// page starts with ("" if none).
func (s *Service) ListRecordSetsPage(ctx context.Context, zoneID, startName, startType string, maxItems int) (sets []*model.RecordSet, nextName, nextType string, err error) {
	switch {
	case startType != "" && !slices.Contains(recordTypes, startType):
		return nil, "", "", enumError(startType, "type", recordTypes)
	case startType != "" && startName == "":
		// UNVERIFIED wording; the API reference requires name with type.
		return nil, "", "", invalidInput("The input is not valid: type requires name")
	}
	if err := model.Length(codeInvalidInput, "startRecordName", startName, 0, maxDNSName); err != nil {
		return nil, "", "", err
	}
	if startName != "" {
		if _, ok := dns.IsDomainName(startName); !ok {
			return nil, "", "", invalidDomainName()
		}
		startName = reversedName(canonical(startName))
	}
	all, err := s.ListRecordSets(ctx, zoneID)
	if err != nil {
		return nil, "", "", err
	}
	i, _ := slices.BinarySearchFunc(all, startName, func(rs *model.RecordSet, start string) int {
		return cmp.Or(cmp.Compare(reversedName(rs.Name), start), cmp.Compare(rs.Type, startType))
	})
	sets, next := cut(all[i:], pageSize(maxItems, MaxSetsPage))
	if next == nil {
		return sets, "", "", nil
	}
	return sets, next.Name, next.Type, nil
}

// cut splits a listing into a page of n items and the first item after it (nil
// if there is none).
func cut[T any](items []*T, n int) ([]*T, *T) {
	if len(items) <= n {
		return items, nil
	}
	return items[:n], items[n]
}

// RecordSetCounts is the number of record sets in each hosted zone (zone ID →
// count), as HostedZone.ResourceRecordSetCount reports it.
// The zone is the key's first part (recordSetKey), so nothing is decoded.
func (s *Service) RecordSetCounts(ctx context.Context) (map[string]int64, error) {
	kvs, _, err := s.d.Store.List(ctx, model.Prefix(model.KindRecordSet))
	if err != nil {
		return nil, fmt.Errorf("count record sets: %w", err)
	}
	counts := map[string]int64{}
	for _, kv := range kvs {
		_, id := model.SplitKey(kv.Key)
		zoneID, _, _ := strings.Cut(id, "/")
		counts[zoneID]++
	}
	return counts, nil
}

// UpdateHostedZoneComment replaces a zone's comment ("" removes it).
func (s *Service) UpdateHostedZoneComment(ctx context.Context, id, comment string) (*model.HostedZone, error) {
	if err := model.Length(codeInvalidInput, "comment", comment, 0, maxComment); err != nil {
		return nil, err
	}
	return s.updateZone(ctx, id, func(z *model.HostedZone) error { z.Comment = comment; return nil })
}

// NoSuchHealthCheck answers any health check ID: gatehouse has no health
// checks. UNVERIFIED wording (the API reference's description of the error).
func NoSuchHealthCheck(id string) *model.Error {
	return model.NotFound("NoSuchHealthCheck", "No health check exists with the ID %s.", model.Clip(id))
}

// Tag resource types (Route 53's TagResourceType).
var tagResourceTypes = []string{"healthcheck", "hostedzone"}

// Tag limits from the API model: ten keys to add or remove per request, keys
// up to 128 and values up to 256 characters; and Route 53's quota of 50 tags
// per hosted zone ("Tagging Amazon Route 53 resources").
const (
	maxTagChanges  = 10
	maxTagKey      = 128
	maxTagValue    = 256
	maxTagsPerZone = 50
)

// ChangeTags adds (or overwrites) and removes tags of a hosted zone. Removals
// apply first, so a key both removed and added ends up added.
func (s *Service) ChangeTags(ctx context.Context, resourceType, id string, add map[string]string, remove []string) error {
	if err := checkTagResource(resourceType, id); err != nil {
		return err
	}
	switch {
	case len(add) > maxTagChanges:
		return invalidInput("1 validation error detected: Value at 'addTags' failed to satisfy constraint: Member must have length less than or equal to %d", maxTagChanges)
	case len(remove) > maxTagChanges:
		return invalidInput("1 validation error detected: Value at 'removeTagKeys' failed to satisfy constraint: Member must have length less than or equal to %d", maxTagChanges)
	}
	for _, k := range slices.Sorted(maps.Keys(add)) {
		if err := model.Length(codeInvalidInput, "addTags.member.key", k, 0, maxTagKey); err != nil {
			return err
		}
		if err := model.Length(codeInvalidInput, "addTags.member.value", add[k], 0, maxTagValue); err != nil {
			return err
		}
	}
	for _, k := range remove {
		if err := model.Length(codeInvalidInput, "removeTagKeys.member", k, 0, maxTagKey); err != nil {
			return err
		}
	}
	_, err := s.updateZone(ctx, id, func(z *model.HostedZone) error {
		for _, k := range remove {
			delete(z.Tags, k)
		}
		for k, v := range add {
			if z.Tags == nil {
				z.Tags = map[string]string{}
			}
			z.Tags[k] = v
		}
		if len(z.Tags) > maxTagsPerZone {
			// UNVERIFIED text: Route 53 documents the quota (50 tags per
			// hosted zone) but not its answer at it.
			return invalidInput("The hosted zone can have at most %d tags.", maxTagsPerZone)
		}
		if len(z.Tags) == 0 {
			z.Tags = nil
		}
		return nil
	})
	return err
}

// ListTags returns the tags of a hosted zone.
func (s *Service) ListTags(ctx context.Context, resourceType, id string) (map[string]string, error) {
	if err := checkTagResource(resourceType, id); err != nil {
		return nil, err
	}
	z, _, err := s.loadZone(ctx, id)
	if err != nil {
		return nil, err
	}
	return z.Tags, nil
}

func checkTagResource(resourceType, id string) error {
	switch resourceType {
	case "hostedzone":
		return nil
	case "healthcheck":
		return NoSuchHealthCheck(id)
	}
	return enumError(resourceType, "resourceType", tagResourceTypes)
}

// updateZone changes a stored zone with fn (CAS, retried on a concurrent write).
func (s *Service) updateZone(ctx context.Context, id string, fn func(z *model.HostedZone) error) (*model.HostedZone, error) {
	z, _, err := s.loadZone(ctx, id) // validates the id and reports Route 53's error
	if err != nil {
		return nil, err
	}
	z, err = store.Update(ctx, s.d.Store, model.Key(model.KindHostedZone, z.ID), fn)
	if errors.Is(err, store.ErrNotFound) {
		return nil, noSuchHostedZone(strings.TrimPrefix(id, "/hostedzone/"))
	}
	var me *model.Error
	if errors.As(err, &me) {
		return nil, me // a refusal of fn's, already in Route 53's words
	}
	if err != nil {
		return nil, fmt.Errorf("update hosted zone %s: %w", id, err)
	}
	return z, nil
}

// GetChange reports a change this node accepted: INSYNC once its DNS server
// answers with it.
func (s *Service) GetChange(_ context.Context, id string) (*ChangeInfo, error) {
	id = strings.TrimPrefix(id, "/change/")
	s.changeMu.Lock()
	rec, ok := s.changes[id]
	s.changeMu.Unlock()
	if !ok {
		// UNVERIFIED wording: the API reference's description of NoSuchChange.
		return nil, model.NotFound("NoSuchChange", "A change with the specified change ID does not exist.")
	}
	info := rec.info
	if info.Status == ChangePending && (!s.running.Load() || s.tab.Rev() >= rec.rev) {
		info.Status = ChangeInsync
	}
	return &info, nil
}

// changeDone records a change and waits briefly until the local DNS server
// answers with it (INSYNC), else reports PENDING. Without a running server the
// store is the whole truth and the change is INSYNC at once.
func (s *Service) changeDone(ctx context.Context, rev int64) *ChangeInfo {
	info := ChangeInfo{ID: "C" + model.RandomUpperID(20), Status: ChangeInsync, SubmittedAt: time.Now().UTC()}
	if s.running.Load() && !s.waitServed(ctx, rev) {
		info.Status = ChangePending
	}
	s.changeMu.Lock()
	s.changes[info.ID] = changeRecord{info: info, rev: rev}
	s.order = append(s.order, info.ID)
	if len(s.order) > maxChangeInfos {
		delete(s.changes, s.order[0])
		s.order = s.order[1:]
	}
	s.changeMu.Unlock()
	return &info
}

type changeRecord struct {
	info ChangeInfo
	rev  int64
}

// stored is a record set (or zone) as read, with what is needed to write it back.
type stored struct {
	key string
	set *model.RecordSet
	raw []byte
	rev int64
}

// write is one planned store write: val nil deletes; old nil means "must not exist".
type write struct {
	key string
	val any
	old *stored
}

// apply performs the writes with CAS on the revisions they were planned from. If
// one fails, the ones done are undone, so a batch is never left half-written.
func (s *Service) apply(ctx context.Context, writes []write) (int64, error) {
	st := s.d.Store
	type done struct {
		w   write
		rev int64
	}
	var applied []done
	var last int64
	for _, w := range writes {
		var rev int64
		var err error
		switch {
		case w.val == nil:
			rev, err = st.Delete(ctx, w.key, w.old.rev)
			if errors.Is(err, store.ErrNotFound) {
				err = store.ErrConflict
			}
		case w.old == nil:
			rev, err = store.Save(ctx, st, w.key, w.val, 0)
		default:
			rev, err = store.Save(ctx, st, w.key, w.val, w.old.rev)
		}
		if err != nil {
			// Undo in reverse order, even if the caller has given up.
			uctx := context.WithoutCancel(ctx)
			for i := len(applied) - 1; i >= 0; i-- {
				d := applied[i]
				var uerr error
				switch {
				case d.w.old == nil:
					_, uerr = st.Delete(uctx, d.w.key, d.rev)
				case d.w.val == nil:
					_, uerr = st.Put(uctx, d.w.key, d.w.old.raw, 0)
				default:
					_, uerr = st.Put(uctx, d.w.key, d.w.old.raw, d.rev)
				}
				if uerr != nil {
					s.log.Error("undo partial record change", "key", d.w.key, "err", uerr)
				}
			}
			return 0, err
		}
		applied = append(applied, done{w, rev})
		last = rev
	}
	return last, nil
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
	z, rev, err := store.Load[model.HostedZone](ctx, s.d.Store, model.Key(model.KindHostedZone, id))
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, noSuchHostedZone(id)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("load hosted zone %s: %w", id, err)
	}
	return z, rev, nil
}

// loadSets reads a zone's record sets, keyed by record set id.
func (s *Service) loadSets(ctx context.Context, zoneID string) (map[string]*stored, error) {
	kvs, _, err := s.d.Store.List(ctx, recordSetPrefix(zoneID))
	if err != nil {
		return nil, fmt.Errorf("list record sets of %s: %w", zoneID, err)
	}
	out := make(map[string]*stored, len(kvs))
	for _, kv := range kvs {
		rs, err := decodeSet(kv.Value)
		if err != nil {
			return nil, fmt.Errorf("decode %s: %w", kv.Key, err)
		}
		out[model.RecordSetID(rs.ZoneID, rs.Name, rs.Type)] = &stored{key: kv.Key, set: rs, raw: kv.Value, rev: kv.ModRev}
	}
	return out, nil
}

func recordSetKey(rs *model.RecordSet) string {
	return model.Key(model.KindRecordSet, model.RecordSetID(rs.ZoneID, rs.Name, rs.Type))
}

func recordSetPrefix(zoneID string) string {
	return model.Key(model.KindRecordSet, zoneID+"/")
}

// plan validates a batch against the zone's record sets and returns the writes
// that apply it. Pure. Route 53 checks the request shape first (InvalidInput,
// first fault wins), then the batch (InvalidChangeBatch, every fault of the
// stage that found one).
func plan(z *model.HostedZone, current map[string]*stored, changes []Change) ([]write, *model.Error) {
	if len(changes) == 0 {
		return nil, invalidInput("1 validation error detected: Value '[]' at 'changeBatch.changes' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	if len(changes) > maxChanges {
		// UNVERIFIED: the limit on changes reported like the one on records.
		return nil, invalidChangeBatch(fmt.Sprintf("Number of records limit of %d exceeded.", maxChanges))
	}
	records, rdata := 0, 0
	for i, c := range changes {
		field := fmt.Sprintf("changeBatch.changes.%d.member", i+1)
		rs := c.Set
		// Route 53 counts an UPSERT's records and characters twice: it is a
		// DELETE and a CREATE ("Quotas on ChangeResourceRecordSets requests").
		weight := 1
		if c.Action == "UPSERT" {
			weight = 2
		}
		records += weight * len(rs.Records)
		for j, v := range rs.Records {
			if err := model.Length(codeInvalidInput, fmt.Sprintf("%s.resourceRecordSet.resourceRecords.%d.member.value", field, j+1), v, 0, maxValueLength); err != nil {
				return nil, err
			}
			rdata += weight * utf8.RuneCountInString(v)
		}
		if err := model.Length(codeInvalidInput, field+".resourceRecordSet.name", rs.Name, 0, maxDNSName); err != nil {
			return nil, err
		}
		if a := rs.Alias; a != nil {
			if err := model.Length(codeInvalidInput, field+".resourceRecordSet.aliasTarget.dNSName", a.DNSName, 0, maxDNSName); err != nil {
				return nil, err
			}
			if err := model.Length(codeInvalidInput, field+".resourceRecordSet.aliasTarget.hostedZoneId", a.HostedZoneID, 0, maxZoneID); err != nil {
				return nil, err
			}
		}
		switch {
		case !slices.Contains(changeActions, c.Action):
			return nil, enumError(c.Action, field+".action", changeActions)
		case !slices.Contains(recordTypes, rs.Type):
			return nil, enumError(rs.Type, field+".resourceRecordSet.type", recordTypes)
		case rs.TTL < 0:
			return nil, invalidInput("1 validation error detected: Value '%d' at '%s.resourceRecordSet.tTL' failed to satisfy constraint: Member must have value greater than or equal to 0", rs.TTL, field)
		case rs.TTL > maxTTL:
			return nil, invalidInput("1 validation error detected: Value '%d' at '%s.resourceRecordSet.tTL' failed to satisfy constraint: Member must have value less than or equal to %d", rs.TTL, field, maxTTL)
		case strings.TrimSpace(rs.Name) == "":
			return nil, invalidInput("1 validation error detected: Value null at '%s.resourceRecordSet.name' failed to satisfy constraint: Member must not be null", field)
		}
		hasAlias, hasRecords := rs.Alias != nil, len(rs.Records) > 0
		found := ""
		switch {
		case hasAlias && (hasRecords || rs.TTL != 0):
			found = "more than one"
		case !hasAlias && !hasRecords:
			found = "none"
		}
		if found != "" {
			return nil, invalidInput("Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found %s in Change with [Action=%s, Name=%s, Type=%s, SetIdentifier=null]",
				found, c.Action, rs.Name, rs.Type)
		}
		if hasAlias && (rs.Alias.DNSName == "" || rs.Alias.HostedZoneID == "") {
			return nil, invalidInput("1 validation error detected: Value null at '%s.resourceRecordSet.aliasTarget' failed to satisfy constraint: Member must not be null", field)
		}
	}
	if records > maxRecords {
		return nil, invalidChangeBatch(fmt.Sprintf("Number of records limit of %d exceeded.", maxRecords))
	}
	if rdata > maxRDATA {
		// Observed: "InvalidChangeBatch: [RDATA character limit of 32000 exceeded.]".
		return nil, invalidChangeBatch(fmt.Sprintf("RDATA character limit of %d exceeded.", maxRDATA))
	}
	for _, c := range changes {
		if len(c.Set.Records) > maxRecordsPerSet {
			// Observed: "InvalidChangeBatch: Cannot have more than 100 records
			// in a RRSet." (Route 53 error reports; the brackets are today's
			// InvalidChangeBatch form).
			return nil, invalidChangeBatch(fmt.Sprintf("Cannot have more than %d records in a RRSet.", maxRecordsPerSet))
		}
	}

	// Normalise, then the checks that need no zone state.
	sets := make([]*model.RecordSet, len(changes))
	var msgs []string
	seen := map[string]string{} // "type name" → the last action on it
	for i, c := range changes {
		rs := c.Set
		rs.ZoneID = z.ID
		rs.Name = canonical(rs.Name)
		rs.Records = slices.Clone(rs.Records)
		for j, v := range rs.Records {
			rs.Records[j] = strings.TrimSpace(v)
		}
		if rs.Alias != nil {
			a := *rs.Alias
			a.DNSName = canonical(a.DNSName)
			rs.Alias = &a
		}
		sets[i] = &rs
		if _, ok := dns.IsDomainName(rs.Name); !ok || !inZone(rs.Name, z.Name) {
			msgs = append(msgs, fmt.Sprintf("RRSet with DNS name %s is not permitted in zone %s", rs.Name, z.Name))
			continue
		}
		for _, v := range rs.Records {
			if m := checkValue(rs.Type, v); m != "" {
				msgs = append(msgs, m)
			}
		}
		if (rs.Type == "CNAME" || rs.Type == "SOA") && len(rs.Records) > 1 {
			// UNVERIFIED wording.
			msgs = append(msgs, fmt.Sprintf("RRSet of type %s with DNS name %s has more than one resource record", rs.Type, rs.Name))
		}
		dup := rs.Type + " " + rs.Name
		// A set may appear twice only as DELETE then CREATE/UPSERT: the way to
		// replace a set before UPSERT existed, which Route 53 still accepts
		// (observed by emulators; not in the API reference).
		if prev, ok := seen[dup]; ok && (prev != "DELETE" || c.Action == "DELETE") {
			msgs = append(msgs, fmt.Sprintf("The request contains an invalid set of changes for a resource record set '%s'", dup))
		}
		seen[dup] = c.Action
	}
	if len(msgs) > 0 {
		return nil, invalidChangeBatch(msgs...)
	}

	// Apply in order to a working copy, as Route 53 does.
	work := make(map[string]*model.RecordSet, len(current))
	types := map[string]map[string]bool{} // name → types present
	for id, cur := range current {
		work[id] = cur.set
		addType(types, cur.set.Name, cur.set.Type)
	}
	var touched []string
	for i, c := range changes {
		rs := sets[i]
		id := model.RecordSetID(z.ID, rs.Name, rs.Type)
		desc := fmt.Sprintf("[name='%s', type='%s']", rs.Name, rs.Type)
		existing := work[id]
		switch c.Action {
		case "DELETE":
			switch {
			case existing == nil:
				msgs = append(msgs, fmt.Sprintf("Tried to delete resource record set %s but it was not found", desc))
			case !sameSet(existing, rs):
				msgs = append(msgs, fmt.Sprintf("Tried to delete resource record set %s but the values provided do not match the current values", desc))
			default:
				delete(work, id)
				delete(types[rs.Name], rs.Type)
				touched = append(touched, id)
			}
			continue
		case "CREATE":
			if existing != nil {
				msgs = append(msgs, fmt.Sprintf("Tried to create resource record set %s but it already exists", desc))
				continue
			}
		}
		others := 0
		for t := range types[rs.Name] {
			if t != rs.Type {
				others++
			}
		}
		switch {
		case rs.Type == "CNAME" && rs.Name == z.Name:
			msgs = append(msgs, fmt.Sprintf("RRSet of type CNAME with DNS name %s is not permitted at apex in zone %s", rs.Name, z.Name))
			continue
		case rs.Type == "CNAME" && others > 0:
			msgs = append(msgs, fmt.Sprintf("RRSet of type CNAME with DNS name %s is not permitted as it conflicts with other records with the same DNS name in zone %s", rs.Name, z.Name))
			continue
		case rs.Type != "CNAME" && types[rs.Name]["CNAME"]:
			// The double space is Route 53's.
			msgs = append(msgs, fmt.Sprintf("RRSet of type %s with DNS name %s is not permitted because a conflicting RRSet of type  CNAME with the same DNS name already exists in zone %s", rs.Type, rs.Name, z.Name))
			continue
		}
		work[id] = rs
		addType(types, rs.Name, rs.Type)
		touched = append(touched, id)
	}
	// The quota stops a batch that grows the zone past it; one that keeps or
	// shrinks the count passes, so an overfull zone can still be cleaned up.
	if len(msgs) == 0 && len(work) > maxRecordSets && len(work) > len(current) {
		msgs = append(msgs, tooManyRecordSets)
	}
	if len(msgs) == 0 {
		if work[model.RecordSetID(z.ID, z.Name, "SOA")] == nil {
			msgs = append(msgs, "A HostedZone must contain exactly one SOA record.")
		}
		if work[model.RecordSetID(z.ID, z.Name, "NS")] == nil {
			msgs = append(msgs, "A HostedZone must contain at least one NS record for the zone itself.")
		}
		for i, c := range changes {
			if c.Action != "DELETE" && sets[i].Alias != nil {
				if m := checkAlias(z, work, sets[i]); m != "" {
					msgs = append(msgs, m)
				}
			}
		}
	}
	if len(msgs) > 0 {
		return nil, invalidChangeBatch(msgs...)
	}

	// Each write is its own store revision and the live feed may publish any of
	// them, so order them for the state in between: puts first, then deletes. A
	// name that keeps existing (DELETE www A + CREATE www CNAME) then never
	// disappears for a moment; an NXDOMAIN there would be cached by resolvers
	// for the SOA's negative TTL. The in-between state may hold a CNAME beside
	// the sets it replaces (or an alias beside its old target), which resolve
	// answers by the CNAME, so it serves either the old or the new data. A set
	// replaced in place (UPSERT, or DELETE+CREATE of one name and type) is one
	// write, since touched is deduplicated by id.
	var dels, puts []write
	done := map[string]bool{}
	for _, id := range touched {
		if done[id] {
			continue
		}
		done[id] = true
		key := model.Key(model.KindRecordSet, id)
		old := current[id]
		if old != nil {
			key = old.key
		}
		switch set := work[id]; {
		case set == nil && old != nil:
			dels = append(dels, write{key: key, old: old})
		case set != nil:
			puts = append(puts, write{key: key, val: set, old: old})
		}
	}
	return append(puts, dels...), nil
}

// checkAlias validates an alias target the way Route 53 does for the targets
// gatehouse knows: Global Accelerator names under its fixed zone, and records in
// the same zone. Other targets (load balancers, VPC endpoints) resolve at query
// time and answer nothing while they do not exist.
func checkAlias(z *model.HostedZone, work map[string]*model.RecordSet, rs *model.RecordSet) string {
	a := rs.Alias
	outside := fmt.Sprintf("Tried to create an alias that targets %s, type %s in zone %s, but the alias target name does not lie within the target zone", a.DNSName, rs.Type, a.HostedZoneID)
	switch a.HostedZoneID {
	case model.AcceleratorHostedZoneID:
		if !strings.HasSuffix(a.DNSName, ".awsglobalaccelerator.com.") {
			return outside
		}
	case z.ID:
		if !inZone(a.DNSName, z.Name) {
			return outside
		}
		if work[model.RecordSetID(z.ID, a.DNSName, rs.Type)] == nil {
			return fmt.Sprintf("Tried to create an alias that targets %s, type %s in zone %s, but that target was not found", a.DNSName, rs.Type, a.HostedZoneID)
		}
	}
	return ""
}

func addType(m map[string]map[string]bool, name, typ string) {
	if m[name] == nil {
		m[name] = map[string]bool{}
	}
	m[name][typ] = true
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
