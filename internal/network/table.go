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

// binding is what a listen address serves: the endpoint and the sources its
// security groups admit to it (the union over every ingress rule that allows
// TCP to the listen port, resolved at compile time).
type binding struct {
	vpceID  string
	sources []netip.Prefix
}

// allows reports whether a TCP connection from src is admitted.
func (b *binding) allows(src netip.Addr) bool {
	src = src.Unmap()
	for _, p := range b.sources {
		if p.Contains(src) {
			return true
		}
	}
	return false
}

// admitsTCP reports whether a stored permission covers TCP port port: protocol
// "-1" (all traffic), or "tcp" with port in its range.
func admitsTCP(p model.IPPermission, port int) bool {
	switch normalizeProtocol(p.Protocol) {
	case "-1":
		return true
	case "tcp":
		return p.FromPort <= port && port <= p.ToPort
	}
	return false
}

// tcpSources returns the sources a stored permission admits to TCP port port:
// its CIDRs, and the addresses of the members of its source groups (members,
// from groupMembers), if admitsTCP; none otherwise. CIDRs that do not parse are
// left out, so they never match anything (operations reject them; this guards
// old records); a group without members admits nobody.
func tcpSources(p model.IPPermission, port int, members map[string][]netip.Prefix) []netip.Prefix {
	if !admitsTCP(p, port) {
		return nil
	}
	var out []netip.Prefix
	for _, g := range p.Groups {
		out = append(out, members[g.GroupID]...)
	}
	for _, c := range p.CIDRs {
		if pfx, err := netip.ParsePrefix(c); err == nil {
			out = append(out, pfx.Masked())
		}
	}
	return out
}

// NormalizePermission returns p as the operations store it, so that a caller can
// tell whether a group already holds a rule: the protocol in one spelling
// (normalizeProtocol), and no ports (-1) for all traffic and for protocols other
// than tcp, udp and icmp, whose ports EC2 ignores. It does not validate.
func NormalizePermission(p model.IPPermission) model.IPPermission {
	p.Protocol = normalizeProtocol(p.Protocol)
	switch p.Protocol {
	case "tcp", "udp", "icmp", "":
	default:
		p.FromPort, p.ToPort = -1, -1
	}
	return p
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
