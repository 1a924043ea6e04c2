package nameserver

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/miekg/dns"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// ChangeRecordSets applies a batch of record changes all-or-nothing, with Route
// 53's validation: the whole batch is checked (in order, against the zone as the
// earlier changes leave it) before anything is written.
func (s *Service) ChangeRecordSets(ctx context.Context, zoneID string, changes []Change) (*ChangeInfo, error) {
	return s.batch(ctx, zoneID, "change record sets in", false, func(z *model.HostedZone, _ int64, current map[string]*stored) ([]write, error) {
		writes, merr := plan(z, current, changes)
		if merr != nil {
			return nil, merr
		}
		return writes, nil
	})
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

// ListRecordSetsPage is one page of ListRecordSets: up to maxItems record sets
// (0: 300) from the first at or after startName and startType (both may be
// empty, but a type needs a name), and the name and type of the set the next
// page starts with ("" if none).
func (s *Service) ListRecordSetsPage(ctx context.Context, zoneID, startName, startType string, maxItems int) (sets []*model.RecordSet, nextName, nextType string, err error) {
	switch {
	case startType != "" && !slices.Contains(recordTypes, startType):
		return nil, "", "", model.Enum(codeInvalidInput, "type", startType, recordTypes)
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
	sets, next := fromMarker(all, func(rs *model.RecordSet) int {
		return cmp.Or(cmp.Compare(reversedName(rs.Name), startName), cmp.Compare(rs.Type, startType))
	}, maxItems, MaxSetsPage)
	if next == nil {
		return sets, "", "", nil
	}
	return sets, next.Name, next.Type, nil
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

// loadSets reads a zone's record sets, keyed by record set id.
func (s *Service) loadSets(ctx context.Context, zoneID string) (map[string]*stored, error) {
	sets, _, err := s.loadSetsAt(ctx, zoneID)
	return sets, err
}

// loadSetsAt is loadSets and the store revision the listing reflects, which a
// batch's writes are conditioned on (guard).
func (s *Service) loadSetsAt(ctx context.Context, zoneID string) (map[string]*stored, int64, error) {
	kvs, rev, err := s.d.Store.List(ctx, recordSetPrefix(zoneID))
	if err != nil {
		return nil, 0, fmt.Errorf("list record sets of %s: %w", zoneID, err)
	}
	out := make(map[string]*stored, len(kvs))
	for _, kv := range kvs {
		rs, err := decodeSet(kv.Value)
		if err != nil {
			return nil, 0, fmt.Errorf("decode %s: %w", kv.Key, err)
		}
		out[model.RecordSetID(rs.ZoneID, rs.Name, rs.Type)] = &stored{key: kv.Key, set: rs, raw: kv.Value, rev: kv.ModRev}
	}
	return out, rev, nil
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
		return nil, model.Violation(codeInvalidInput, "changeBatch.changes", "[]", "Member must have length greater than or equal to 1")
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
			return nil, model.Enum(codeInvalidInput, field+".action", c.Action, changeActions)
		case !slices.Contains(recordTypes, rs.Type):
			return nil, model.Enum(codeInvalidInput, field+".resourceRecordSet.type", rs.Type, recordTypes)
		}
		if err := model.Range(codeInvalidInput, field+".resourceRecordSet.tTL", int(rs.TTL), 0, maxTTL); err != nil {
			return nil, err
		}
		if strings.TrimSpace(rs.Name) == "" {
			return nil, notNull(field + ".resourceRecordSet.name")
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
			return nil, notNull(field + ".resourceRecordSet.aliasTarget")
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
