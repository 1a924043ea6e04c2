package network

import (
	"net/netip"
	"strconv"
	"strings"

	"gatehouse/internal/model"
)

// table is the compiled data plane: immutable once built.
type table struct {
	byAddr    map[netip.AddrPort]*binding // listen address → endpoint
	addrs     []string                    // every listen address, sorted
	endpoints []endpointPlan              // every served endpoint, by id
}

// binding is what a listen address serves: the endpoint and the ingress rules of
// its security groups (the union: a connection is allowed if any rule allows it).
type binding struct {
	vpceID string
	rules  []rule
}

// endpointPlan is one endpoint as compiled: its addresses and the state the store
// holds now, so apply writes only changes.
type endpointPlan struct {
	id        string
	enis      []string // NetworkInterfaceIDs as compiled
	addrs     []string // "ip:port"
	problem   string   // why some interface cannot be served at all
	state     string
	lastError string
}

// rule is one parsed ingress permission.
type rule struct {
	proto    string // normalised: "tcp", "udp", "icmp", "-1" or a protocol number
	from, to int
	prefixes []netip.Prefix
}

// allows reports whether a TCP connection from src to port is allowed.
func (b *binding) allows(src netip.Addr, port int) bool {
	for i := range b.rules {
		if b.rules[i].allows("tcp", port, src) {
			return true
		}
	}
	return false
}

// allows reports whether the rule admits a packet of protocol proto to port from
// src. Protocol "-1" admits every protocol and port; "tcp" and "udp" compare the
// port with the range.
func (r *rule) allows(proto string, port int, src netip.Addr) bool {
	switch r.proto {
	case "-1":
	case proto:
		if (proto == "tcp" || proto == "udp") && (port < r.from || port > r.to) {
			return false
		}
	default:
		return false
	}
	src = src.Unmap()
	for _, p := range r.prefixes {
		if p.Contains(src) {
			return true
		}
	}
	return false
}

// compileRule parses a stored permission. CIDRs that do not parse are left out, so
// they never match anything (operations reject them; this guards old records).
func compileRule(p model.IPPermission) rule {
	r := rule{proto: normalizeProtocol(p.Protocol), from: p.FromPort, to: p.ToPort}
	for _, c := range p.CIDRs {
		pfx, err := netip.ParsePrefix(c)
		if err != nil {
			continue
		}
		r.prefixes = append(r.prefixes, pfx.Masked())
	}
	return r
}

// normalizeProtocol maps EC2's protocol spellings to one form: names for tcp,
// udp and icmp (also given as 6, 17, 1), "-1" for all (also "all"), and any other
// number as itself. An unknown name is returned as is (lowercase).
func normalizeProtocol(p string) string {
	p = strings.ToLower(strings.TrimSpace(p))
	switch p {
	case "6":
		return "tcp"
	case "17":
		return "udp"
	case "1":
		return "icmp"
	case "all":
		return "-1"
	}
	if n, err := strconv.Atoi(p); err == nil {
		return strconv.Itoa(n)
	}
	return p
}
