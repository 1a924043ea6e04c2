package nameserver

import (
	"encoding/binary"
	"sync"

	"github.com/miekg/dns"
)

// The UDP fast path answers the common query (one question, class IN, at most a
// plain OPT record) from wire-format answers kept per table, without parsing or
// packing a dns.Msg. Each answer is built once per table by the slow path itself
// (respond, then Pack) and cached, so the two can only differ in what is patched
// per query: the ID, the question as the client spelled it, the RD and CD bits
// and the OPT record. Everything else falls back to miekg/dns (serve.go).

// DNS header bits (RFC 1035 §4.1.1).
const (
	bitQR     = 0x8000
	bitAA     = 0x0400
	bitTC     = 0x0200
	bitRD     = 0x0100
	bitCD     = 0x0010
	maskOp    = 0x7800
	maskRcode = 0x000f
)

const (
	headerLen   = 12
	maxNameWire = 255 // RFC 1035 §2.3.4, length octets included
	// maxWireAnswers bounds one table's answer cache: a flood of random names
	// (each a distinct NXDOMAIN) fills it and is then answered by building each
	// answer without keeping it, rather than growing without bound.
	maxWireAnswers = 1 << 15
	// maxZoneWireAnswers bounds one zone's answers kept across tables
	// (zone.wire): every zone has its own, so the bound is smaller.
	maxZoneWireAnswers = 1 << 12
	// optRRLen is the OPT record respond adds to an EDNS answer: root name, type
	// OPT, class udpBufferSize, TTL 0 (version 0, no DO), no options.
	optRRLen = 11
)

// fastQuery is what the fast path needs from a query it accepts.
type fastQuery struct {
	id    uint16
	bits  uint16 // the query's RD and CD bits, echoed in the answer
	qend  int    // offset just past the question (name, type, class)
	edns  bool
	size  int // largest answer the client takes: respond's rule (512, or its EDNS size within 512..udpBufferSize)
	key   [maxNameWire + 2]byte
	keyN  int // key[:keyN]: the lowercase wire name, then the type
	qtype uint16
}

// parseFast parses pkt as a query the fast path answers: strict bounds, and
// anything not plainly common (see the file comment) is declined (false) for
// the slow path to handle, errors included.
func parseFast(pkt []byte, q *fastQuery) bool {
	if len(pkt) < headerLen+1+4 {
		return false
	}
	flags := binary.BigEndian.Uint16(pkt[2:])
	if flags&(bitQR|bitTC|maskOp) != 0 {
		return false // a response, a truncated query, or not opcode QUERY
	}
	qd, an := binary.BigEndian.Uint16(pkt[4:]), binary.BigEndian.Uint16(pkt[6:])
	ns, ar := binary.BigEndian.Uint16(pkt[8:]), binary.BigEndian.Uint16(pkt[10:])
	if qd != 1 || an != 0 || ns != 0 || ar > 1 {
		return false
	}
	q.id = binary.BigEndian.Uint16(pkt)
	q.bits = flags & (bitRD | bitCD)

	// The name: plain labels only (no compression pointer: the question is the
	// first name of the message) and only letters, digits, '-', '_' and '*', the
	// bytes whose presentation form needs no escape, so the slow path's text
	// name maps to exactly these bytes.
	off := headerLen
	for {
		if off >= len(pkt) {
			return false
		}
		l := int(pkt[off])
		if l == 0 {
			q.key[off-headerLen] = 0
			off++
			break
		}
		if l > 63 || off+1+l >= len(pkt) || off+1+l-headerLen >= maxNameWire {
			return false
		}
		q.key[off-headerLen] = byte(l)
		for i := off + 1; i <= off+l; i++ {
			c := pkt[i]
			switch {
			case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_', c == '*':
			case c >= 'A' && c <= 'Z':
				c += 'a' - 'A'
			default:
				return false
			}
			q.key[i-headerLen] = c
		}
		off += 1 + l
	}
	nameLen := off - headerLen
	if off+4 > len(pkt) {
		return false
	}
	q.qtype = binary.BigEndian.Uint16(pkt[off:])
	class := binary.BigEndian.Uint16(pkt[off+2:])
	off += 4
	if class != dns.ClassINET || !fastType(q.qtype) {
		return false
	}
	q.qend = off
	q.key[nameLen], q.key[nameLen+1] = byte(q.qtype>>8), byte(q.qtype)
	q.keyN = nameLen + 2

	q.edns, q.size = false, dns.MinMsgSize
	if ar == 0 {
		return off == len(pkt) // nothing may trail the question
	}
	// The one additional record must be a version-0 OPT at the root whose
	// options, if any, are ones the answer ignores either way: a cookie (RFC
	// 7873; this server does not do cookies) or padding (RFC 7830).
	if off+optRRLen > len(pkt) || pkt[off] != 0 || binary.BigEndian.Uint16(pkt[off+1:]) != dns.TypeOPT {
		return false
	}
	udpSize := int(binary.BigEndian.Uint16(pkt[off+3:]))
	if pkt[off+6] != 0 { // EDNS version
		return false
	}
	rdlen := int(binary.BigEndian.Uint16(pkt[off+9:]))
	off += optRRLen
	if off+rdlen != len(pkt) {
		return false
	}
	for off < len(pkt) {
		if off+4 > len(pkt) {
			return false
		}
		code, l := binary.BigEndian.Uint16(pkt[off:]), int(binary.BigEndian.Uint16(pkt[off+2:]))
		off += 4
		if off+l > len(pkt) {
			return false
		}
		switch {
		case code == dns.EDNS0COOKIE && l >= 8 && l <= 40:
		case code == dns.EDNS0PADDING:
		default:
			return false
		}
		off += l
	}
	q.edns = true
	q.size = min(max(udpSize, dns.MinMsgSize), udpBufferSize)
	return true
}

// fastType reports whether answers to qtype are cached: not the meta types that
// respond refuses or rejects, and not ANY, which UDP answers minimally.
func fastType(qtype uint16) bool {
	switch qtype {
	case 0, dns.TypeOPT, dns.TypeTSIG, dns.TypeTKEY, dns.TypeANY,
		dns.TypeAXFR, dns.TypeIXFR, dns.TypeMAILA, dns.TypeMAILB:
		return false
	}
	return true
}

// wireAnswer is one name and type's answer in wire format, ready to follow any
// client's copy of the question.
type wireAnswer struct {
	bits       uint16 // the answer's AA bit and RCODE
	an, ns, ar uint16
	body       []byte // answer, authority and additional sections, uncompressed
	ok         bool   // false: the answer needs what the fast path leaves to the slow one (TC, compression)
}

// wireCache holds a table's (or a zone's) wire answers, filled on first ask.
type wireCache struct {
	mu    sync.RWMutex
	m     map[string]*wireAnswer
	limit int // the most answers kept; the rest are built and dropped
}

func newWireCache(limit int) *wireCache { return &wireCache{m: map[string]*wireAnswer{}, limit: limit} }

func (c *wireCache) get(key []byte) *wireAnswer {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[string(key)] // no allocation: the compiler reads the bytes in place
}

func (c *wireCache) put(key []byte, a *wireAnswer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) < c.limit {
		c.m[string(key)] = a
	}
}

// lookup returns the answer to q from t, building it on a miss. A miss in
// the table's answers tries the zone's (zone.wire), which a new table keeps
// for the zones that did not change: after a record change only its own
// zone's answers are built again.
func (t *table) lookup(q *fastQuery) *wireAnswer {
	key := q.key[:q.keyN]
	if a := t.wire.get(key); a != nil {
		return a
	}
	name := wireName(q.key[:q.keyN-2])
	var zc *wireCache
	if _, isService := t.service(name); !isService {
		if z := t.zoneFor(name); z != nil {
			zc = z.wire
		}
	}
	var a *wireAnswer
	if zc != nil {
		a = zc.get(key)
	}
	if a == nil {
		a = t.buildWire(name, q)
		if zc != nil {
			zc.put(key, a)
		}
	}
	t.wire.put(key, a)
	return a
}

// buildWire builds q's answer the way the slow path does: respond to the
// lowercase question (over TCP's size, so nothing is truncated), packed without
// compression as miekg/dns packs every answer that fits the client's size.
func (t *table) buildWire(name string, q *fastQuery) *wireAnswer {
	nameLen := q.keyN - 2
	req := new(dns.Msg)
	req.Question = []dns.Question{{Name: name, Qtype: q.qtype, Qclass: dns.ClassINET}}
	resp := respond(t, req, false)
	resp.Compress = false
	b, err := resp.Pack()
	if err != nil || resp.Truncated || resp.Rcode > maskRcode || len(b) < headerLen+nameLen+4 {
		return &wireAnswer{}
	}
	flags := binary.BigEndian.Uint16(b[2:])
	return &wireAnswer{
		bits: flags & (bitAA | maskRcode),
		an:   binary.BigEndian.Uint16(b[6:]),
		ns:   binary.BigEndian.Uint16(b[8:]),
		ar:   binary.BigEndian.Uint16(b[10:]),
		body: b[headerLen+nameLen+4:],
		ok:   true,
	}
}

// wireName is the presentation form of a wire name parseFast accepted (its
// bytes need no escaping).
func wireName(w []byte) string {
	if len(w) <= 1 {
		return "."
	}
	out := make([]byte, 0, len(w))
	for i := 0; i < len(w) && w[i] != 0; i += 1 + int(w[i]) {
		out = append(out, w[i+1:i+1+int(w[i])]...)
		out = append(out, '.')
	}
	return string(out)
}

// answerFast writes the answer to the query in pkt into out and returns its
// length; 0 means the slow path answers it. t nil (no table yet) is the slow
// path's SERVFAIL.
func answerFast(t *table, pkt, out []byte) int {
	var q fastQuery
	if t == nil || t.wire == nil || !parseFast(pkt, &q) {
		return 0
	}
	a := t.lookup(&q)
	if !a.ok {
		return 0
	}
	n := q.qend + len(a.body)
	ar := a.ar
	if q.edns {
		n += optRRLen
		ar++
	}
	if n > q.size || n > len(out) {
		return 0 // respond would truncate (and compress): the slow path does
	}
	binary.BigEndian.PutUint16(out[0:], q.id)
	binary.BigEndian.PutUint16(out[2:], bitQR|a.bits|q.bits)
	binary.BigEndian.PutUint16(out[4:], 1)
	binary.BigEndian.PutUint16(out[6:], a.an)
	binary.BigEndian.PutUint16(out[8:], a.ns)
	binary.BigEndian.PutUint16(out[10:], ar)
	off := headerLen + copy(out[headerLen:], pkt[headerLen:q.qend])
	off += copy(out[off:], a.body)
	if q.edns {
		out[off] = 0 // root
		binary.BigEndian.PutUint16(out[off+1:], dns.TypeOPT)
		binary.BigEndian.PutUint16(out[off+3:], udpBufferSize)
		clear(out[off+5 : off+optRRLen]) // TTL (extended RCODE, version, flags) and RDLENGTH
	}
	return n
}
