package nameserver

import (
	"context"
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// populate creates example.test with one record of every kind the tests query,
// and the accelerator, load balancer and VPC endpoint behind the service names.
func populate(h *harness) *model.HostedZone {
	h.put(model.Key(model.KindAccelerator, gaARN), &model.Accelerator{ARN: gaARN, Name: "edge", DNSName: gaName,
		IPSets: []model.IPSet{{IPFamily: "IPv4", IPAddresses: []string{"127.0.10.21", "127.0.10.22"}}}})
	h.put(model.Key(model.KindLoadBalancer, lbARN), &model.LoadBalancer{ARN: lbARN, Name: "edge", DNSName: lbName,
		Nodes: []model.LBNode{{IP: "127.0.10.31"}, {IP: "127.0.10.32"}}})
	for i, ip := range []string{"127.0.10.41", "127.0.10.42"} {
		id := []string{"eni-a", "eni-b"}[i]
		h.put(model.Key(model.KindNetworkIface, id), &model.NetworkInterface{ID: id, PrivateIP: ip, VpcEndpointID: vpceID})
	}
	h.put(model.Key(model.KindVpcEndpoint, vpceID), &model.VpcEndpoint{ID: vpceID, DNSName: vpceDNS,
		ServiceName: "com.amazonaws.us-west-2.execute-api", PrivateDNSEnabled: true, NetworkInterfaceIDs: []string{"eni-a", "eni-b"}})

	z := h.zone("Example.TEST")
	h.change(z.ID,
		create("api.example.test", "A", 300, "192.0.2.10", "192.0.2.11"),
		create("v6.example.test", "AAAA", 300, "2001:db8::1"),
		create("www.example.test", "CNAME", 300, "api.example.test"),
		create("loop1.example.test", "CNAME", 300, "loop2.example.test"),
		create("loop2.example.test", "CNAME", 300, "loop1.example.test"),
		create("dangling.example.test", "CNAME", 300, "nothing.example.test"),
		create("ext.example.test", "CNAME", 300, "target.elsewhere.net."),
		create("txt.example.test", "TXT", 300, `"hello world" "second"`),
		create("example.test", "MX", 300, "10 mail.example.test."),
		create("*.wild.example.test", "A", 300, "192.0.2.50"),
		create("a.b.deep.example.test", "A", 300, "192.0.2.60"),
		create("sub.example.test", "NS", 300, "ns1.sub.example.test."),
		create("ns1.sub.example.test", "A", 300, "192.0.2.53"),
	)
	h.change(z.ID,
		alias("example.test", "A", model.AcceleratorHostedZoneID, gaName+"."),
		alias("lb.example.test", "A", model.ELBHostedZoneUSWest2, "dualstack."+lbName),
		alias("in.example.test", "A", z.ID, "api.example.test"),
	)
	return z
}

func TestServe(t *testing.T) {
	h := start(t)
	populate(h)

	const soa = "example.test. SOA"
	tests := []struct {
		name      string
		qname     string
		qtype     uint16
		rcode     int
		aa        bool
		answer    []string // "name type rdata"
		authority string   // prefix of the single authority record, "" for none
	}{
		{name: "A", qname: "api.example.test.", qtype: dns.TypeA, aa: true,
			answer: []string{"api.example.test. A 192.0.2.10", "api.example.test. A 192.0.2.11"}},
		{name: "case-insensitive", qname: "API.Example.Test.", qtype: dns.TypeA, aa: true,
			answer: []string{"api.example.test. A 192.0.2.10", "api.example.test. A 192.0.2.11"}},
		{name: "AAAA", qname: "v6.example.test.", qtype: dns.TypeAAAA, aa: true,
			answer: []string{"v6.example.test. AAAA 2001:db8::1"}},
		{name: "CNAME chased in zone", qname: "www.example.test.", qtype: dns.TypeA, aa: true,
			answer: []string{"api.example.test. A 192.0.2.10", "api.example.test. A 192.0.2.11", "www.example.test. CNAME api.example.test."}},
		{name: "CNAME asked for", qname: "www.example.test.", qtype: dns.TypeCNAME, aa: true,
			answer: []string{"www.example.test. CNAME api.example.test."}},
		{name: "CNAME out of zone not chased", qname: "ext.example.test.", qtype: dns.TypeA, aa: true,
			answer: []string{"ext.example.test. CNAME target.elsewhere.net."}},
		{name: "CNAME to missing name", qname: "dangling.example.test.", qtype: dns.TypeA, aa: true, rcode: dns.RcodeNameError,
			answer: []string{"dangling.example.test. CNAME nothing.example.test."}, authority: soa},
		{name: "CNAME loop ends", qname: "loop1.example.test.", qtype: dns.TypeA, aa: true,
			answer: []string{"loop1.example.test. CNAME loop2.example.test.", "loop2.example.test. CNAME loop1.example.test."}},
		{name: "TXT", qname: "txt.example.test.", qtype: dns.TypeTXT, aa: true,
			answer: []string{`txt.example.test. TXT "hello world" "second"`}},
		{name: "MX", qname: "example.test.", qtype: dns.TypeMX, aa: true,
			answer: []string{"example.test. MX 10 mail.example.test."}},
		{name: "SOA", qname: "example.test.", qtype: dns.TypeSOA, aa: true,
			answer: []string{"SOA"}},
		{name: "NS", qname: "example.test.", qtype: dns.TypeNS, aa: true, answer: []string{"NS", "NS", "NS", "NS"}},
		{name: "alias at apex to accelerator", qname: "example.test.", qtype: dns.TypeA, aa: true,
			answer: []string{"example.test. A 127.0.10.21", "example.test. A 127.0.10.22"}},
		{name: "alias to load balancer (dualstack name)", qname: "lb.example.test.", qtype: dns.TypeA, aa: true,
			answer: []string{"lb.example.test. A 127.0.10.31", "lb.example.test. A 127.0.10.32"}},
		{name: "alias to record in zone", qname: "in.example.test.", qtype: dns.TypeA, aa: true,
			answer: []string{"in.example.test. A 192.0.2.10", "in.example.test. A 192.0.2.11"}},
		{name: "alias AAAA to IPv4-only accelerator is NODATA", qname: "example.test.", qtype: dns.TypeAAAA, aa: true, authority: soa},
		{name: "wildcard", qname: "anything.wild.example.test.", qtype: dns.TypeA, aa: true,
			answer: []string{"anything.wild.example.test. A 192.0.2.50"}},
		{name: "NXDOMAIN", qname: "nope.example.test.", qtype: dns.TypeA, aa: true, rcode: dns.RcodeNameError, authority: soa},
		{name: "NODATA", qname: "api.example.test.", qtype: dns.TypeTXT, aa: true, authority: soa},
		{name: "empty non-terminal is NODATA", qname: "b.deep.example.test.", qtype: dns.TypeA, aa: true, authority: soa},
		{name: "delegation is a referral", qname: "host.sub.example.test.", qtype: dns.TypeA, authority: "sub.example.test. NS ns1.sub.example.test."},
		{name: "out of zone is REFUSED", qname: "example.com.", qtype: dns.TypeA, rcode: dns.RcodeRefused},
		{name: "accelerator name", qname: gaName + ".", qtype: dns.TypeA, aa: true,
			answer: []string{gaName + ". A 127.0.10.21", gaName + ". A 127.0.10.22"}},
		{name: "load balancer name", qname: strings.ToUpper(lbName) + ".", qtype: dns.TypeA, aa: true,
			answer: []string{lbName + ". A 127.0.10.31", lbName + ". A 127.0.10.32"}},
		{name: "VPC endpoint name", qname: vpceDNS + ".", qtype: dns.TypeA, aa: true,
			answer: []string{vpceDNS + ". A 127.0.10.41", vpceDNS + ". A 127.0.10.42"}},
		{name: "private DNS of execute-api", qname: "a1b2c3d4e5.execute-api.us-west-2.amazonaws.com.", qtype: dns.TypeA, aa: true,
			answer: []string{"a1b2c3d4e5.execute-api.us-west-2.amazonaws.com. A 127.0.10.41", "a1b2c3d4e5.execute-api.us-west-2.amazonaws.com. A 127.0.10.42"}},
		{name: "zone transfer REFUSED", qname: "example.test.", qtype: dns.TypeAXFR, rcode: dns.RcodeRefused},
	}
	for _, proto := range []string{"udp", "tcp"} {
		for _, tc := range tests {
			if tc.qtype == dns.TypeAXFR && proto == "udp" {
				continue
			}
			t.Run(proto+"/"+tc.name, func(t *testing.T) {
				resp := h.query(proto, tc.qname, tc.qtype, 0)
				if resp.Rcode != tc.rcode {
					t.Errorf("rcode: got %s, want %s", dns.RcodeToString[resp.Rcode], dns.RcodeToString[tc.rcode])
				}
				if resp.Authoritative != tc.aa {
					t.Errorf("AA: got %v, want %v", resp.Authoritative, tc.aa)
				}
				got := rrs(resp.Answer)
				want := slices.Clone(tc.answer)
				slices.Sort(want)
				if tc.qtype == dns.TypeSOA || tc.qtype == dns.TypeNS {
					// Random delegation set: compare types only.
					got = typesOnly(resp.Answer)
				}
				if !slices.Equal(got, want) {
					t.Errorf("answer:\ngot  %q\nwant %q", got, want)
				}
				switch {
				case tc.authority == "" && len(resp.Ns) > 0:
					t.Errorf("authority: got %v, want none", rrs(resp.Ns))
				case tc.authority != "":
					ns := rrs(resp.Ns)
					if len(ns) != 1 || !strings.HasPrefix(ns[0], tc.authority) {
						t.Errorf("authority: got %q, want one record starting %q", ns, tc.authority)
					}
				}
			})
		}
	}

	t.Run("negative answer TTL is the SOA minimum or TTL, whichever is lower", func(t *testing.T) {
		resp := h.query("udp", "nope.example.test.", dns.TypeA, 0)
		if len(resp.Ns) != 1 || resp.Ns[0].Header().Ttl != 900 {
			t.Errorf("got authority %v, want the SOA with TTL 900", resp.Ns)
		}
	})
	t.Run("referral carries glue", func(t *testing.T) {
		resp := h.query("udp", "host.sub.example.test.", dns.TypeA, 0)
		got, want := rrs(resp.Extra), []string{"ns1.sub.example.test. A 192.0.2.53"}
		if !slices.Equal(got, want) {
			t.Errorf("additional: got %q, want %q", got, want)
		}
	})
	t.Run("service name TTL is 60", func(t *testing.T) {
		resp := h.query("udp", "example.test.", dns.TypeA, 0)
		for _, rr := range resp.Answer {
			if rr.Header().Ttl != serviceTTL {
				t.Errorf("got TTL %d for %v, want %d", rr.Header().Ttl, rr, serviceTTL)
			}
		}
	})
}

func typesOnly(list []dns.RR) []string {
	var out []string
	for _, rr := range list {
		out = append(out, dns.TypeToString[rr.Header().Rrtype])
	}
	return out
}

// TestAliasFollowsAccelerator proves the live swap: when the accelerator's
// addresses change in the store, the next answer has the new ones.
func TestAliasFollowsAccelerator(t *testing.T) {
	h := start(t)
	populate(h)
	before := rrs(h.query("udp", "example.test.", dns.TypeA, 0).Answer)
	if want := []string{"example.test. A 127.0.10.21", "example.test. A 127.0.10.22"}; !slices.Equal(before, want) {
		t.Fatalf("before: got %q, want %q", before, want)
	}
	_, err := store.Update(h.ctx, h.st, model.Key(model.KindAccelerator, gaARN), func(a *model.Accelerator) error {
		a.IPSets[0].IPAddresses = []string{"127.0.10.23", "127.0.10.24"}
		return nil
	})
	if err != nil {
		t.Fatalf("update accelerator: %v", err)
	}
	kv, err := h.st.Get(h.ctx, model.Key(model.KindAccelerator, gaARN))
	if err != nil {
		t.Fatal(err)
	}
	h.sync(kv.ModRev)
	after := rrs(h.query("tcp", "example.test.", dns.TypeA, 0).Answer)
	if want := []string{"example.test. A 127.0.10.23", "example.test. A 127.0.10.24"}; !slices.Equal(after, want) {
		t.Errorf("after: got %q, want %q", after, want)
	}
}

// bigZone creates the zone big.test whose apex holds 20 TXT records of about 200
// bytes each: an answer of some 4 KB, more than any UDP answer can carry.
func bigZone(h *harness) {
	z := h.zone("big.test")
	var values []string
	for i := range 20 {
		values = append(values, `"`+strings.Repeat(string(rune('a'+i)), 200)+`"`)
	}
	h.change(z.ID, create("big.test", "TXT", 60, values...))
}

func TestTruncation(t *testing.T) {
	h := start(t)
	bigZone(h)

	tests := []struct {
		name    string
		proto   string
		edns    uint16
		wantTC  bool
		wantAns int
	}{
		{name: "UDP without EDNS is cut at 512 bytes", proto: "udp", wantTC: true},
		{name: "UDP with a 1232-byte buffer", proto: "udp", edns: 1232, wantTC: true},
		{name: "UDP with a 65535-byte buffer gets our 4096 at most", proto: "udp", edns: 65535, wantTC: true},
		{name: "TCP gets everything", proto: "tcp", wantAns: 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := h.query(tc.proto, "big.test.", dns.TypeTXT, tc.edns)
			if resp.Truncated != tc.wantTC {
				t.Errorf("TC: got %v, want %v", resp.Truncated, tc.wantTC)
			}
			if !tc.wantTC && len(resp.Answer) != tc.wantAns {
				t.Errorf("answers: got %d, want %d", len(resp.Answer), tc.wantAns)
			}
			if tc.edns > 0 && resp.IsEdns0() == nil {
				t.Errorf("got no OPT in the answer to an EDNS query")
			}
			size := 512
			if tc.edns > 0 {
				size = min(int(tc.edns), udpBufferSize)
			}
			resp.Compress = true // the wire size the server sent
			if tc.proto == "udp" && resp.Len() > size {
				t.Errorf("UDP answer is %d bytes, client buffer %d", resp.Len(), size)
			}
		})
	}
}

// TestAnyOverUDP proves ANY is answered minimally over UDP (RFC 8482: TC and no
// records, so a spoofed query reflects no more than its own size) and in full
// over TCP.
func TestAnyOverUDP(t *testing.T) {
	h := start(t)
	populate(h)
	bigZone(h)

	tests := []struct {
		name      string
		proto     string
		qname     string
		edns      uint16
		rcode     int
		wantTC    bool
		wantTypes []string // types in the answer, sorted and deduplicated
	}{
		{name: "UDP with EDNS 4096", proto: "udp", qname: "big.test.", edns: 4096, wantTC: true},
		{name: "UDP without EDNS", proto: "udp", qname: "example.test.", wantTC: true},
		{name: "UDP to a service name", proto: "udp", qname: gaName + ".", edns: 1232, wantTC: true},
		{name: "UDP NXDOMAIN stays", proto: "udp", qname: "nope.example.test.", edns: 1232, rcode: dns.RcodeNameError},
		{name: "TCP gets every RRset", proto: "tcp", qname: "example.test.", wantTypes: []string{"A", "MX", "NS", "SOA"}},
		{name: "TCP gets big answers", proto: "tcp", qname: "big.test.", edns: 4096, wantTypes: []string{"NS", "SOA", "TXT"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := new(dns.Msg)
			req.SetQuestion(tc.qname, dns.TypeANY)
			if tc.edns > 0 {
				req.SetEdns0(tc.edns, false)
			}
			resp := h.exchange(tc.proto, req)
			if resp.Rcode != tc.rcode {
				t.Errorf("rcode: got %s, want %s", dns.RcodeToString[resp.Rcode], dns.RcodeToString[tc.rcode])
			}
			if resp.Truncated != tc.wantTC {
				t.Errorf("TC: got %v, want %v", resp.Truncated, tc.wantTC)
			}
			var types []string
			for _, rr := range resp.Answer {
				types = append(types, dns.TypeToString[rr.Header().Rrtype])
			}
			slices.Sort(types)
			if types = slices.Compact(types); !slices.Equal(types, tc.wantTypes) {
				t.Errorf("answer types: got %q, want %q", types, tc.wantTypes)
			}
			if tc.wantTC { // a negative answer is sized like one to any other type
				req.Compress, resp.Compress = true, true
				if resp.Len() > req.Len()+64 {
					t.Errorf("UDP answer is %d bytes for a %d-byte query", resp.Len(), req.Len())
				}
			}
		})
	}
}

func TestMalformedQueries(t *testing.T) {
	h := start(t)
	populate(h)

	q := func(edit func(m *dns.Msg)) *dns.Msg {
		m := new(dns.Msg)
		m.SetQuestion("api.example.test.", dns.TypeA)
		edit(m)
		return m
	}
	tests := []struct {
		name  string
		msg   *dns.Msg
		rcode int
	}{
		{name: "two questions", rcode: dns.RcodeFormatError, msg: q(func(m *dns.Msg) {
			m.Question = append(m.Question, dns.Question{Name: "www.example.test.", Qtype: dns.TypeA, Qclass: dns.ClassINET})
		})},
		{name: "no question", rcode: dns.RcodeFormatError, msg: q(func(m *dns.Msg) { m.Question = nil })},
		{name: "class CHAOS", rcode: dns.RcodeRefused, msg: q(func(m *dns.Msg) { m.Question[0].Qclass = dns.ClassCHAOS })},
		{name: "EDNS version 1", rcode: dns.RcodeBadVers, msg: q(func(m *dns.Msg) {
			m.SetEdns0(1232, false)
			m.IsEdns0().SetVersion(1)
		})},
		{name: "UPDATE opcode", rcode: dns.RcodeNotImplemented, msg: q(func(m *dns.Msg) { m.Opcode = dns.OpcodeUpdate })},
		{name: "qtype OPT", rcode: dns.RcodeFormatError, msg: q(func(m *dns.Msg) { m.Question[0].Qtype = dns.TypeOPT })},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := h.exchange("udp", tc.msg)
			if resp.Rcode != tc.rcode {
				t.Errorf("rcode: got %s, want %s", dns.RcodeToString[resp.Rcode], dns.RcodeToString[tc.rcode])
			}
		})
	}

	t.Run("garbage then a real query on one TCP connection", func(t *testing.T) {
		c, err := net.Dial("tcp", h.svc.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// A length-prefixed message whose body is not DNS: the server must answer
		// FORMERR or drop it, and keep serving.
		if _, err := c.Write([]byte{0, 4, 0xde, 0xad, 0xbe, 0xef}); err != nil {
			t.Fatal(err)
		}
		resp := h.query("tcp", "api.example.test.", dns.TypeA, 0)
		if resp.Rcode != dns.RcodeSuccess {
			t.Errorf("rcode after garbage: got %s", dns.RcodeToString[resp.Rcode])
		}
	})
}

func TestRunBindErrors(t *testing.T) {
	tests := []struct {
		name  string
		proto string
		addr  string
	}{
		{name: "UDP port taken", proto: "udp", addr: "127.0.10.2:0"},
		{name: "TCP port taken", proto: "tcp", addr: "127.0.10.3:0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var taken string
			if tc.proto == "udp" {
				pc, err := net.ListenPacket("udp", tc.addr)
				if err != nil {
					t.Fatal(err)
				}
				defer pc.Close()
				taken = pc.LocalAddr().String()
			} else {
				ln, err := net.Listen("tcp", tc.addr)
				if err != nil {
					t.Fatal(err)
				}
				defer ln.Close()
				taken = ln.Addr().String()
			}
			svc := New(Deps{Store: store.NewMem(), Feed: newFeed(t), Listen: taken})
			err := svc.Run(context.Background()) // must return at once, not serve
			want := "dns listen " + taken + ": bind: address already in use"
			if err == nil || err.Error() != want {
				t.Errorf("got %v, want %q", err, want)
			}
		})
	}
}
