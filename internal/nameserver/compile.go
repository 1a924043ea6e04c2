package nameserver

import (
	"cmp"
	"fmt"
	"maps"
	"net/netip"
	"reflect"
	"slices"
	"strings"

	"github.com/miekg/dns"

	"gatehouse/internal/model"
)

// compile builds the DNS table of a snapshot from nothing. Pure: no I/O.
// Records that do not parse are left out and listed in table.problems (the
// operations never store such records, so they only come from hand-edited
// stores); one bad record must not stop every other name from answering.
func compile(snap *model.Snapshot) (*table, error) {
	return new(compiler).compile(snap)
}

// compiler compiles snapshots one after the other, keeping what it compiled
// for the zones that did not change. A snapshot shares unchanged records with
// its predecessor (model.Snapshot.With), so a zone whose hosted zone record
// and record sets are the same pointers as last time, with the same names
// answered by AWS (services), compiles to the same zone: it is kept, parsed
// records, resolved aliases and wire answers (zone.wire) included. A record
// change thus costs its own zone, and a change DNS does not read (a
// deployment, a target's health) costs a pass over the pointers and keeps the
// whole table, wire answers and all. One goroutine at a time.
type compiler struct {
	prev  *table
	zones map[string]zoneCopy // by hosted zone id
	// hosted and records are the maps prev was compiled from: a snapshot
	// that did not touch a kind shares its map (model.Snapshot.With), so
	// the same two maps and the same services mean the same table. Held,
	// not just their addresses, so that no new map can take their place.
	hosted  map[string]*model.HostedZone
	records map[string]*model.RecordSet
}

// zoneCopy is a compiled zone with the records it was compiled from.
type zoneCopy struct {
	hosted   *model.HostedZone
	byID     map[string]*model.RecordSet // the zone's record sets
	zone     *zone
	problems []string
	// parsed are the records of each set (not aliases), for the zone's
	// next compile to keep those of the sets that did not change.
	parsed map[*model.RecordSet][]dns.RR
}

// compile builds the table of snap, reusing the previous snapshot's zones
// that did not change (see compiler).
func (c *compiler) compile(snap *model.Snapshot) (*table, error) {
	if snap == nil {
		return nil, fmt.Errorf("no snapshot")
	}
	t := &table{
		zones:        map[string]*zone{},
		services:     map[string][]netip.Addr{},
		wildServices: map[string][]netip.Addr{},
		wire:         newWireCache(maxWireAnswers),
	}
	compileServices(snap, t)
	prev := c.prev
	servicesKept := prev != nil && sameServices(prev.services, t.services) && sameServices(prev.wildServices, t.wildServices)
	if servicesKept {
		// The previous maps, so that a kept table shares them.
		t.services, t.wildServices = prev.services, prev.wildServices
		if sameMap(c.hosted, snap.HostedZones) && sameMap(c.records, snap.RecordSets) {
			return prev, nil
		}
	}
	c.hosted, c.records = snap.HostedZones, snap.RecordSets

	// Route 53 allows several zones with one name; the oldest one answers, the
	// way a registrar's delegation points at one delegation set.
	var zones []*model.HostedZone
	for _, z := range snap.HostedZones {
		zones = append(zones, z)
	}
	slices.SortFunc(zones, func(a, b *model.HostedZone) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	answering := map[string]*model.HostedZone{} // by id: the zones that answer their name
	for _, hz := range zones {
		name := canonical(hz.Name)
		if _, taken := t.zones[name]; taken || name == "" {
			continue
		}
		t.zones[name] = nil // claimed; compiled below
		answering[hz.ID] = hz
	}

	// Which zones kept their record sets: one pass over the pointers, no
	// sorting, since a record set unchanged is the same pointer under the
	// same id. A zone kept is one whose every set is as before and that has
	// no other.
	kept := map[string]bool{}
	for zid, hz := range answering {
		if old, ok := c.zones[zid]; ok && servicesKept && old.hosted == hz {
			kept[zid] = true
		}
	}
	seen := map[string]int{} // by zone id: the sets found as before
	for id, rs := range snap.RecordSets {
		if !kept[rs.ZoneID] {
			continue
		}
		if c.zones[rs.ZoneID].byID[id] != rs {
			kept[rs.ZoneID] = false
			continue
		}
		seen[rs.ZoneID]++
	}
	// The record sets of the zones to compile, in id order: the order
	// compile adds them in, so a zone compiles the same from the same sets.
	ids := map[string][]string{}
	for zid := range answering {
		if kept[zid] && seen[zid] != len(c.zones[zid].byID) {
			kept[zid] = false // a set went
		}
		if !kept[zid] {
			ids[zid] = []string{}
		}
	}
	if len(ids) > 0 {
		for id, rs := range snap.RecordSets {
			if list, ok := ids[rs.ZoneID]; ok {
				ids[rs.ZoneID] = append(list, id)
			}
		}
	}
	next := make(map[string]zoneCopy, len(answering))
	// Every zone kept and none gone: the same apex names, the same answers.
	allKept := servicesKept && len(ids) == 0 && len(answering) == len(c.zones)
	for zid, hz := range answering {
		if kept[zid] {
			next[zid] = c.zones[zid]
			continue
		}
		zids := ids[zid]
		slices.Sort(zids)
		sets := make(map[string]*model.RecordSet, len(zids))
		for _, id := range zids {
			sets[id] = snap.RecordSets[id]
		}
		next[zid] = compileZone(t, hz, zids, sets, c.zones[zid].parsed)
	}
	c.zones = next
	if allKept {
		// Nothing DNS reads changed: the previous table, with its wire
		// answers, stays in force.
		return prev, nil
	}
	for _, zc := range next {
		t.zones[zc.zone.name] = zc.zone
		t.problems = append(t.problems, zc.problems...)
	}
	slices.Sort(t.problems)
	c.prev = t
	return t, nil
}

// compileZone parses a zone's record sets (by id; ids in order) and
// finishes it against t's services. A set in parsed (the zone's previous
// compile) keeps its records: parsing is most of a zone's cost.
func compileZone(t *table, hz *model.HostedZone, ids []string, sets map[string]*model.RecordSet, parsed map[*model.RecordSet][]dns.RR) zoneCopy {
	name := canonical(hz.Name)
	z := &zone{id: hz.ID, name: name, nodes: map[string]*node{name: {}}, wire: newWireCache(maxZoneWireAnswers)}
	zc := zoneCopy{hosted: hz, byID: sets, zone: z, parsed: make(map[*model.RecordSet][]dns.RR, len(sets))}
	for _, id := range ids {
		rs := sets[id]
		rrs, err := z.add(rs, parsed[rs])
		if err != nil {
			zc.problems = append(zc.problems, fmt.Sprintf("record set %s: %v", id, err))
			continue
		}
		if rrs != nil {
			zc.parsed[rs] = rrs
		}
	}
	if z.soa == nil {
		z.soa = defaultSOA(z.name)
	}
	z.finish(t)
	return zc
}

// sameMap reports whether a and b are the same map (not merely equal).
func sameMap[V any](a, b map[string]V) bool {
	return a != nil && reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

// sameServices reports whether two tables' AWS-answered names are equal.
func sameServices(a, b map[string][]netip.Addr) bool {
	return maps.EqualFunc(a, b, slices.Equal)
}

// finish does once what answers would otherwise do per query: aliases resolved
// to their targets' records, the glue of each delegation, the order of an ANY
// answer and the negative answers' SOA. It runs once every record set is added,
// since an alias may name any of them.
func (z *zone) finish(t *table) {
	soa := dns.Copy(z.soa).(*dns.SOA)
	soa.Hdr.Name = z.name
	// RFC 2308 §5: the smaller of the SOA's TTL and its MINIMUM field.
	soa.Hdr.Ttl = min(soa.Hdr.Ttl, soa.Minttl)
	z.negSOA = soa
	for name, n := range z.nodes {
		for _, set := range n.sets {
			if set.alias != nil {
				set.rrs = z.aliasRRs(t, set.alias.DNSName, set.typ, name, 0)
			}
		}
	}
	for _, n := range z.nodes {
		for _, set := range n.sets {
			if set.typ == dns.TypeNS && set.alias == nil {
				set.glue = z.glue(set)
			}
			n.all = append(n.all, set)
		}
		slices.SortFunc(n.all, func(a, b *rrset) int { return cmp.Compare(a.typ, b.typ) })
	}
}

// aliasRRs resolves an alias of type typ to its target's records, owned by owner:
// an AWS-answered name's addresses, or the record set at target in this zone
// (with its records and TTL, as Route 53 answers), following aliases there.
func (z *zone) aliasRRs(t *table, target string, typ uint16, owner string, depth int) []dns.RR {
	if addrs := t.serviceAddrs(target); addrs != nil {
		return addrRRs(owner, typ, addrs)
	}
	if !inZone(target, z.name) || depth >= maxChase {
		return nil
	}
	n := z.nodes[target]
	if n == nil || n.sets[typ] == nil {
		return nil
	}
	if set := n.sets[typ]; set.alias != nil {
		return z.aliasRRs(t, set.alias.DNSName, typ, owner, depth+1)
	}
	return withOwner(n.sets[typ].rrs, owner)
}

// glue returns the in-zone addresses of a delegation's name servers.
func (z *zone) glue(cut *rrset) []dns.RR {
	var out []dns.RR
	for _, rr := range cut.rrs {
		ns, ok := rr.(*dns.NS)
		if !ok {
			continue
		}
		n := z.nodes[canonical(ns.Ns)]
		if n == nil {
			continue
		}
		for _, typ := range []uint16{dns.TypeA, dns.TypeAAAA} {
			if set := n.sets[typ]; set != nil && set.alias == nil {
				out = append(out, set.rrs...)
			}
		}
	}
	return out
}

func compileServices(snap *model.Snapshot, t *table) {
	for _, a := range snap.Accelerators {
		var addrs []netip.Addr
		for _, set := range a.IPSets {
			addrs = appendAddrs(addrs, set.IPAddresses...)
		}
		addService(t.services, a.DNSName, addrs)
	}
	for _, lb := range snap.LoadBalancers {
		var addrs []netip.Addr
		for _, n := range lb.Nodes {
			addrs = appendAddrs(addrs, n.IP)
		}
		addService(t.services, lb.DNSName, addrs)
	}
	// Map iteration is random; sort endpoints so a shared suffix always gets the
	// same (first) endpoint's addresses.
	eps := make([]*model.VpcEndpoint, 0, len(snap.VpcEndpoints))
	for _, ep := range snap.VpcEndpoints {
		eps = append(eps, ep)
	}
	slices.SortFunc(eps, func(a, b *model.VpcEndpoint) int { return cmp.Compare(a.ID, b.ID) })
	for _, ep := range eps {
		var addrs []netip.Addr
		for _, id := range ep.NetworkInterfaceIDs {
			if eni := snap.NetworkIfaces[id]; eni != nil {
				addrs = appendAddrs(addrs, eni.PrivateIP)
			}
		}
		addService(t.services, ep.DNSName, addrs)
		// Private DNS: "<api-id>.execute-api.<region>.amazonaws.com" resolves to
		// the endpoint, as the private hosted zone AWS installs does.
		if region, ok := executeAPIRegion(ep.ServiceName); ok && ep.PrivateDNSEnabled {
			suffix := "execute-api." + region + ".amazonaws.com."
			if _, taken := t.wildServices[suffix]; !taken {
				t.wildServices[suffix] = addrs
			}
		}
	}
}

func executeAPIRegion(service string) (string, bool) {
	rest, ok := strings.CutPrefix(service, "com.amazonaws.")
	if !ok {
		return "", false
	}
	return strings.CutSuffix(rest, ".execute-api")
}

func addService(m map[string][]netip.Addr, name string, addrs []netip.Addr) {
	if name = canonical(name); name != "" && name != "." {
		m[name] = append(m[name], addrs...)
	}
}

func appendAddrs(dst []netip.Addr, ips ...string) []netip.Addr {
	for _, ip := range ips {
		if a, err := netip.ParseAddr(ip); err == nil {
			dst = append(dst, a.Unmap())
		}
	}
	return dst
}

// add parses a record set into the zone and returns its records (nil for
// an alias). parsed, if not nil, are the set's records already parsed.
func (z *zone) add(rs *model.RecordSet, parsed []dns.RR) ([]dns.RR, error) {
	name := canonical(rs.Name)
	if !inZone(name, z.name) {
		return nil, fmt.Errorf("name %s is not in zone %s", name, z.name)
	}
	typ, ok := dns.StringToType[rs.Type]
	if !ok {
		return nil, fmt.Errorf("unknown type %q", rs.Type)
	}
	set := &rrset{typ: typ}
	if rs.Alias != nil {
		a := *rs.Alias
		a.DNSName = canonical(a.DNSName)
		set.alias = &a
	} else if parsed != nil {
		set.rrs = parsed
	} else {
		for _, v := range rs.Records {
			rr, err := parseRR(name, rs.TTL, rs.Type, v)
			if err != nil {
				return nil, err
			}
			set.rrs = append(set.rrs, rr)
		}
		if len(set.rrs) == 0 {
			return nil, fmt.Errorf("no records")
		}
	}
	if typ == dns.TypeSOA && name == z.name && set.alias == nil {
		z.soa = set.rrs[0].(*dns.SOA)
	}
	n := z.nodes[name]
	if n == nil {
		n = &node{}
		z.nodes[name] = n
	}
	if n.sets == nil {
		n.sets = map[uint16]*rrset{}
	}
	n.sets[typ] = set
	// Empty non-terminals exist (NODATA, not NXDOMAIN) between a name and the apex.
	for p := parent(name); p != "" && p != z.name && inZone(p, z.name); p = parent(p) {
		if z.nodes[p] == nil {
			z.nodes[p] = &node{}
		}
	}
	return set.rrs, nil
}

// parseRR parses one value in presentation format. Relative names are taken as
// fully qualified, as Route 53 does ("target.example" means "target.example.").
func parseRR(name string, ttl int64, typ, value string) (dns.RR, error) {
	if strings.ContainsAny(value, "\n\r;()") && typ != "TXT" && typ != "SPF" {
		return nil, fmt.Errorf("value %q: invalid characters", value)
	}
	if ttl < 0 || ttl > 1<<31-1 {
		return nil, fmt.Errorf("ttl %d out of range", ttl)
	}
	rr, err := dns.NewRR(fmt.Sprintf("%s %d IN %s %s", name, ttl, typ, value))
	if err != nil {
		return nil, fmt.Errorf("value %q: %w", value, err)
	}
	if rr == nil || rr.Header().Rrtype != dns.StringToType[typ] {
		return nil, fmt.Errorf("value %q: not a %s record", value, typ)
	}
	rr.Header().Name = name
	return rr, nil
}

// defaultSOA stands in when a zone lost its SOA record set (written around the
// operations), so negative answers still carry an SOA.
func defaultSOA(apex string) *dns.SOA {
	return &dns.SOA{
		Hdr: dns.RR_Header{Name: apex, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 900},
		Ns:  "ns-0.awsdns-00.com.", Mbox: "awsdns-hostmaster.amazon.com.",
		Serial: 1, Refresh: 7200, Retry: 900, Expire: 1209600, Minttl: 86400,
	}
}

// canonical lowercases a name and makes it fully qualified; "" stays "".
func canonical(name string) string {
	name = strings.TrimSpace(name)
	if name == "" {
		return ""
	}
	return dns.CanonicalName(name)
}
