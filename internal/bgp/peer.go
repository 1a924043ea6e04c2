package bgp

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// ParsePeer parses a peer as given on the command line: ASN@IP or
// ASN@IP:PORT (ASN@[IPv6]:PORT for IPv6), e.g. 65000@192.0.2.1 or
// 65000@192.0.2.1:1179.
func ParsePeer(s string) (Peer, error) {
	asn, addr, ok := strings.Cut(s, "@")
	if !ok {
		return Peer{}, fmt.Errorf("peer %q: want ASN@IP[:PORT]", s)
	}
	n, err := strconv.ParseUint(asn, 10, 32)
	if err != nil || n == 0 {
		return Peer{}, fmt.Errorf("peer %q: ASN %q: want 1-4294967295", s, asn)
	}
	p := Peer{ASN: uint32(n)}
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		if ap.Port() == 0 {
			return Peer{}, fmt.Errorf("peer %q: port 0", s)
		}
		p.Address, p.Port = ap.Addr().Unmap(), ap.Port()
		return p, nil
	}
	ip, err := netip.ParseAddr(addr)
	if err != nil || ip.Zone() != "" {
		return Peer{}, fmt.Errorf("peer %q: address %q: want IP or IP:PORT", s, addr)
	}
	p.Address = ip.Unmap()
	return p, nil
}
