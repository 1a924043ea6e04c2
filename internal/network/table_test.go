package network

import (
	"net/netip"
	"testing"

	"gatehouse/internal/model"
)

func TestRuleAllows(t *testing.T) {
	cases := []struct {
		name  string
		perm  model.IPPermission
		src   string
		port  int
		allow bool
	}{
		{"tcp port and cidr", model.IPPermission{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRs: []string{"10.0.0.0/8"}}, "10.1.2.3", 443, true},
		{"tcp other port", model.IPPermission{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRs: []string{"10.0.0.0/8"}}, "10.1.2.3", 80, false},
		{"tcp other source", model.IPPermission{Protocol: "tcp", FromPort: 0, ToPort: 65535, CIDRs: []string{"10.0.0.0/8"}}, "11.0.0.1", 443, false},
		{"protocol number 6 is tcp", model.IPPermission{Protocol: "6", FromPort: 400, ToPort: 500, CIDRs: []string{"0.0.0.0/0"}}, "1.2.3.4", 443, true},
		{"all traffic", model.IPPermission{Protocol: "-1", FromPort: -1, ToPort: -1, CIDRs: []string{"127.0.12.0/26"}}, "127.0.12.5", 443, true},
		{"udp never allows tcp", model.IPPermission{Protocol: "udp", FromPort: 0, ToPort: 65535, CIDRs: []string{"0.0.0.0/0"}}, "1.2.3.4", 443, false},
		{"ipv4-mapped source", model.IPPermission{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRs: []string{"10.0.0.0/8"}}, "::ffff:10.0.0.1", 443, true},
		{"ipv6 rule, ipv4 source", model.IPPermission{Protocol: "-1", CIDRs: []string{"::/0"}}, "10.0.0.1", 443, false},
		{"invalid cidr", model.IPPermission{Protocol: "-1", CIDRs: []string{"10.0.0.0/33"}}, "10.0.0.1", 443, false},
		{"host bits ignored", model.IPPermission{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRs: []string{"10.0.0.7/24"}}, "10.0.0.200", 443, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := binding{sources: tcpSources(c.perm, c.port, nil)}
			if got := b.allows(netip.MustParseAddr(c.src)); got != c.allow {
				t.Errorf("got %v, want %v", got, c.allow)
			}
		})
	}
}

// FuzzRuleAllows feeds arbitrary rules and sources to the matcher: it must never
// panic, a CIDR that does not parse never matches, and a match implies that the
// source is inside the CIDR and the port inside a TCP range.
func FuzzRuleAllows(f *testing.F) {
	f.Add("tcp", 443, 443, "127.0.12.0/26", "127.0.12.5", 443)
	f.Add("-1", -1, -1, "0.0.0.0/0", "10.0.0.1", 1)
	f.Add("6", 0, 65535, "::/0", "::1", 8443)
	f.Add("tcp", 443, 80, "10.0.0.0/33", "10.0.0.1", 443)
	f.Add("all", 0, 0, "not a cidr", "1.2.3.4", 443)
	f.Add("TCP", 1, 2, "::ffff:10.0.0.0/104", "10.0.0.1", 2)
	f.Fuzz(func(t *testing.T, proto string, from, to int, cidr, src string, port int) {
		addr, err := netip.ParseAddr(src)
		if err != nil {
			return
		}
		b := binding{sources: tcpSources(model.IPPermission{Protocol: proto, FromPort: from, ToPort: to, CIDRs: []string{cidr}}, port, nil)}
		got := b.allows(addr)
		pfx, perr := netip.ParsePrefix(cidr)
		if perr != nil {
			if got {
				t.Fatalf("invalid cidr %q matched %s", cidr, src)
			}
			return
		}
		if !got {
			return
		}
		if !pfx.Masked().Contains(addr.Unmap()) {
			t.Fatalf("rule %q allowed %s outside it", cidr, src)
		}
		switch p := normalizeProtocol(proto); p {
		case "-1":
		case "tcp":
			if port < from || port > to {
				t.Fatalf("tcp %d-%d allowed port %d", from, to, port)
			}
		default:
			t.Fatalf("protocol %q (%q) allowed tcp", proto, p)
		}
	})
}
