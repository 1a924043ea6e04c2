package nameserver

import (
	"net"
	"net/netip"
	"time"

	"github.com/miekg/dns"
)

// maxChase bounds CNAME chains and alias-to-alias hops inside one zone, so a
// loop written into the zone costs a few lookups, not a hang.
const maxChase = 8

// ServeDNS answers one query; it is the dns.Handler of both servers.
func (s *Service) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	start := time.Now()
	proto := "udp"
	if _, ok := w.LocalAddr().(*net.TCPAddr); ok {
		proto = "tcp"
	}
	resp := respond(s.tab.Load(), req, proto == "udp")
	if resp == nil {
		return
	}
	if err := w.WriteMsg(resp); err != nil {
		s.log.Debug("dns write", "remote", w.RemoteAddr(), "err", err)
	}
	s.m.queries.WithLabelValues(proto, dns.RcodeToString[resp.Rcode]).Inc()
	s.m.duration.WithLabelValues(proto).Observe(time.Since(start).Seconds())
}

// respond builds the answer to req from t (nil: no table yet). It never panics
// on a parsed message; it returns nil when nothing must be sent (a response).
func respond(t *table, req *dns.Msg, udp bool) *dns.Msg {
	if req == nil || req.Response {
		return nil
	}
	m := &dns.Msg{}
	m.Id = req.Id
	m.Response = true
	m.Opcode = req.Opcode
	m.RecursionDesired = req.RecursionDesired
	m.CheckingDisabled = req.CheckingDisabled
	if len(req.Question) == 1 {
		m.Question = []dns.Question{req.Question[0]}
	}

	var opt *dns.OPT
	opts := 0
	for _, rr := range req.Extra {
		if o, ok := rr.(*dns.OPT); ok {
			opt, opts = o, opts+1
		}
	}
	size := dns.MinMsgSize
	switch {
	case opts > 1 || (opt != nil && opt.Hdr.Name != "."):
		// RFC 6891 §6.1.1: more than one OPT, or one not at the root, is FORMERR.
		m.Rcode = dns.RcodeFormatError
		return m
	case opt != nil && opt.Version() != 0:
		m.Rcode = dns.RcodeBadVers
		m.SetEdns0(udpBufferSize, false)
		return m
	case opt != nil:
		size = min(max(int(opt.UDPSize()), dns.MinMsgSize), udpBufferSize)
	}

	switch {
	case req.Opcode != dns.OpcodeQuery:
		m.Rcode = dns.RcodeNotImplemented
	case len(req.Question) != 1:
		m.Rcode = dns.RcodeFormatError
	case t == nil:
		m.Rcode = dns.RcodeServerFailure
	default:
		t.answer(m, req.Question[0])
		if udp && req.Question[0].Qtype == dns.TypeANY {
			minimalANY(m)
		}
	}
	if opt != nil {
		m.SetEdns0(udpBufferSize, false)
	}
	if !udp {
		size = dns.MaxMsgSize
	}
	m.Truncate(size) // sets TC and drops whole RRsets when the answer does not fit
	return m
}

// minimalANY answers an ANY query over UDP minimally (RFC 8482): a positive
// answer loses its records and gets the TC bit, so the client asks again over
// TCP, where it gets every RRset. A spoofed ~50-byte ANY thus reflects a reply
// about its own size instead of every record at the name (RFC 8482 §4.1 allows
// any subset; the empty one with TC keeps ANY complete for real clients, which
// a synthesized HINFO, §4.2, would not). Negative answers and referrals are
// sized like those to any other type and stay as they are.
func minimalANY(m *dns.Msg) {
	if m.Rcode != dns.RcodeSuccess || len(m.Answer) == 0 {
		return
	}
	m.Answer, m.Ns, m.Extra = nil, nil, nil
	m.Truncated = true
}

// answer fills m with the answer to q.
func (t *table) answer(m *dns.Msg, q dns.Question) {
	switch q.Qtype {
	case 0, dns.TypeOPT, dns.TypeTSIG, dns.TypeTKEY:
		m.Rcode = dns.RcodeFormatError
		return
	case dns.TypeAXFR, dns.TypeIXFR, dns.TypeMAILA, dns.TypeMAILB:
		m.Rcode = dns.RcodeRefused // Route 53 does not transfer zones
		return
	}
	if q.Qclass != dns.ClassINET {
		m.Rcode = dns.RcodeRefused
		return
	}
	name := canonical(q.Name)
	if name == "" {
		m.Rcode = dns.RcodeFormatError
		return
	}
	if addrs, ok := t.service(name); ok {
		m.Authoritative = true
		m.Answer = addrRRs(name, q.Qtype, addrs)
		return
	}
	z := t.zoneFor(name)
	if z == nil {
		m.Rcode = dns.RcodeRefused
		return
	}
	m.Authoritative = true
	z.resolve(t, m, name, q.Qtype, 0)
}

// resolve answers name/qtype inside z, following CNAMEs that stay in the zone.
func (z *zone) resolve(t *table, m *dns.Msg, name string, qtype uint16, depth int) {
	if cut := z.delegation(name, qtype); cut != nil {
		if depth == 0 {
			m.Authoritative = false // a referral, not an answer
		}
		m.Ns = append(m.Ns, cut.rrs...)
		m.Extra = append(m.Extra, cut.glue...)
		return
	}
	n := z.nodes[name]
	if n == nil {
		if n = z.wildcard(name); n == nil {
			m.Rcode = dns.RcodeNameError
			m.Ns = []dns.RR{z.negSOA}
			return
		}
	}
	if qtype != dns.TypeCNAME && qtype != dns.TypeANY {
		if set := n.sets[dns.TypeCNAME]; set != nil && len(set.rrs) > 0 {
			m.Answer = append(m.Answer, withOwner(set.rrs, name)...)
			target := canonical(set.rrs[0].(*dns.CNAME).Target)
			if depth < maxChase && inZone(target, z.name) && !owns(m.Answer, target) {
				z.resolve(t, m, target, qtype, depth+1)
			}
			return
		}
	}
	var rrs []dns.RR
	if qtype == dns.TypeANY {
		for _, set := range n.all {
			rrs = append(rrs, withOwner(set.rrs, name)...)
		}
	} else if set := n.sets[qtype]; set != nil {
		rrs = withOwner(set.rrs, name)
	}
	if len(rrs) == 0 {
		m.Ns = []dns.RR{z.negSOA} // NODATA (RFC 2308 §2.2)
		return
	}
	m.Answer = append(m.Answer, rrs...)
}

// withOwner returns rrs owned by owner: rrs itself when they already are, else
// copies (a wildcard synthesising a name, an alias taking its target's records).
// Callers append the result to a message and never change its records.
func withOwner(rrs []dns.RR, owner string) []dns.RR {
	if len(rrs) == 0 || rrs[0].Header().Name == owner {
		return rrs
	}
	out := make([]dns.RR, len(rrs))
	for i, rr := range rrs {
		out[i] = dns.Copy(rr)
		out[i].Header().Name = owner
	}
	return out
}

// delegation returns the NS set of the topmost zone cut at or above name (below
// the apex), or nil. At the cut itself DS is answered from this zone.
func (z *zone) delegation(name string, qtype uint16) *rrset {
	var cut *rrset
	for p := name; p != "" && p != z.name; p = parent(p) {
		n := z.nodes[p]
		if n == nil {
			continue
		}
		if ns := n.sets[dns.TypeNS]; ns != nil && ns.alias == nil && (p != name || qtype != dns.TypeDS) {
			cut = ns // keep going up: the topmost cut wins
		}
	}
	return cut
}

// wildcard returns the node "*.<closest encloser>" that synthesises name, or nil
// (RFC 4592: only the closest existing ancestor's wildcard applies).
func (z *zone) wildcard(name string) *node {
	for p := parent(name); p != ""; p = parent(p) {
		if z.nodes[p] != nil {
			return z.nodes["*."+p]
		}
		if p == z.name {
			break
		}
	}
	return nil
}

// addrRRs turns addresses into A (IPv4) or AAAA (IPv6) records; ANY gets both.
func addrRRs(owner string, qtype uint16, addrs []netip.Addr) []dns.RR {
	var out []dns.RR
	for _, a := range addrs {
		switch {
		case a.Is4() && (qtype == dns.TypeA || qtype == dns.TypeANY):
			out = append(out, &dns.A{
				Hdr: dns.RR_Header{Name: owner, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: serviceTTL},
				A:   net.IP(a.AsSlice()),
			})
		case a.Is6() && (qtype == dns.TypeAAAA || qtype == dns.TypeANY):
			out = append(out, &dns.AAAA{
				Hdr:  dns.RR_Header{Name: owner, Rrtype: dns.TypeAAAA, Class: dns.ClassINET, Ttl: serviceTTL},
				AAAA: net.IP(a.AsSlice()),
			})
		}
	}
	return out
}

// owns reports whether an answer already holds records of name (a CNAME loop).
func owns(answer []dns.RR, name string) bool {
	for _, rr := range answer {
		if rr.Header().Name == name {
			return true
		}
	}
	return false
}
