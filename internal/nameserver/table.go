package nameserver

import (
	"net/netip"
	"strings"

	"github.com/miekg/dns"

	"gatehouse/internal/model"
)

// serviceTTL is the TTL of names AWS answers itself and of alias answers that
// point at them (the ELB/GA DNS record TTL is 60 s).
const serviceTTL = 60

// table is one snapshot's DNS data, immutable once built.
type table struct {
	zones map[string]*zone // by apex name (lowercase FQDN)
	// services are names AWS answers outside any hosted zone: accelerator, load
	// balancer and VPC endpoint DNS names → their current addresses.
	services map[string][]netip.Addr
	// wildServices answer every name directly below a suffix: the private DNS
	// name "*.execute-api.<region>.amazonaws.com." of an execute-api endpoint.
	wildServices map[string][]netip.Addr
	// problems are records that did not parse and were left out.
	problems []string
	// wire holds this table's answers in wire format for the UDP fast path
	// (wire.go), built on first ask; the table's only mutable part. Every
	// table needs its own (newWireCache): a table derived from another by
	// copying must not share it, or it answers with the other's data. Nil:
	// the fast path leaves every query to miekg/dns.
	wire *wireCache
}

// zone is one hosted zone.
type zone struct {
	id     string
	name   string
	soa    *dns.SOA
	negSOA dns.RR           // the SOA that NXDOMAIN and NODATA answers carry (negativeSOA)
	nodes  map[string]*node // every owner name, and the empty non-terminals between them and the apex
	// wire holds the zone's wire answers (wire.go): unlike table.wire, it
	// outlives the table, kept with the zone while neither its records nor
	// the names AWS answers change (compiler). An answer from a zone is the
	// zone's and the services' alone, and lookup asks the zone a new table
	// answers the name from, so a zone that came or went (a sub-zone) never
	// leaves a stale answer here.
	wire *wireCache
}

// node is the data at one owner name; no sets means an empty non-terminal.
type node struct {
	sets map[uint16]*rrset
	all  []*rrset // sets by type: the answer to ANY
}

// rrset is one record set. Its records are owned by the node's name and shared
// by every answer (packing a message never changes them); an alias's records are
// its target's, resolved at compile time.
type rrset struct {
	typ   uint16
	rrs   []dns.RR
	alias *model.AliasTarget
	glue  []dns.RR // for an NS set: in-zone addresses of its name servers
}

// zoneFor returns the zone with the longest suffix match for name.
func (t *table) zoneFor(name string) *zone {
	for n := name; ; {
		if z := t.zones[n]; z != nil {
			return z
		}
		n = parent(n)
		if n == "" {
			return nil
		}
	}
}

// service returns the addresses of an AWS-answered name, and whether it is one.
func (t *table) service(name string) ([]netip.Addr, bool) {
	if a, ok := t.services[name]; ok {
		return a, true
	}
	if i := strings.IndexByte(name, '.'); i > 0 {
		if a, ok := t.wildServices[name[i+1:]]; ok {
			return a, true
		}
	}
	return nil, false
}

// serviceAddrs resolves an alias target name outside the zone: GA, ELB (also its
// "dualstack." form) and VPC endpoint names.
func (t *table) serviceAddrs(name string) []netip.Addr {
	if a, ok := t.service(name); ok {
		return a
	}
	if rest, ok := strings.CutPrefix(name, "dualstack."); ok {
		a, _ := t.service(rest)
		return a
	}
	return nil
}

// parent strips the leftmost label of a FQDN: "a.b." → "b.", "b." → ".", "." → "".
func parent(name string) string {
	if name == "." || name == "" {
		return ""
	}
	i := nextLabel(name)
	if i >= len(name) {
		return "."
	}
	return name[i:]
}

// nextLabel returns the index just past the first label's dot, honouring "\." escapes.
func nextLabel(name string) int {
	for i := 0; i < len(name); i++ {
		switch name[i] {
		case '\\':
			i++
		case '.':
			return i + 1
		}
	}
	return len(name)
}

// inZone reports whether name is the apex or below it (label-wise, so an escaped
// dot inside a label never counts as a boundary).
func inZone(name, apex string) bool {
	for n := name; n != ""; n = parent(n) {
		if n == apex {
			return true
		}
	}
	return false
}
