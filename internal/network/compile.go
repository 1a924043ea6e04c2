package network

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"gatehouse/internal/model"
)

// compileConfig is what compile needs besides the snapshot.
type compileConfig struct {
	service string // "com.amazonaws.<region>.execute-api"
	port    int
}

// compile builds the data-plane table: one binding per network interface of every
// execute-api interface endpoint that is not being deleted. A rule whose source
// is a security group admits the addresses of that group's members in this
// snapshot (groupMembers). Pure: no I/O.
//
// A problem with one endpoint (an interface record missing or with a bad address,
// an address claimed twice) marks that endpoint failed through its plan instead of
// rejecting the whole table, so one bad record never stops the other endpoints'
// changes from applying.
func compile(snap *model.Snapshot, cfg compileConfig) (*table, error) {
	t := &table{byAddr: map[netip.AddrPort]*binding{}}
	ids := make([]string, 0, len(snap.VpcEndpoints))
	for id := range snap.VpcEndpoints {
		ids = append(ids, id)
	}
	slices.Sort(ids) // deterministic: the same snapshot always yields the same table
	members := groupMembers(snap)
	for _, id := range ids {
		ep := snap.VpcEndpoints[id]
		if ep.ServiceName != cfg.service || ep.Type != "Interface" {
			continue
		}
		b := &binding{vpceID: ep.ID}
		for _, sgID := range ep.SecurityGroupIDs {
			sg := snap.SecurityGroups[sgID]
			if sg == nil {
				continue // a missing group allows nothing
			}
			for _, p := range sg.Ingress {
				b.sources = append(b.sources, tcpSources(p, cfg.port, members)...)
			}
		}
		plan := endpointPlan{id: ep.ID, enis: ep.NetworkInterfaceIDs, state: ep.State, lastError: ep.LastError}
		var problems []string
		for _, eniID := range ep.NetworkInterfaceIDs {
			eni := snap.NetworkIfaces[eniID]
			if eni == nil {
				problems = append(problems, fmt.Sprintf("network interface %s does not exist", eniID))
				continue
			}
			ip, err := netip.ParseAddr(eni.PrivateIP)
			if err != nil {
				problems = append(problems, fmt.Sprintf("network interface %s: bad address %q", eniID, eni.PrivateIP))
				continue
			}
			ap := netip.AddrPortFrom(ip, uint16(cfg.port))
			if other, ok := t.byAddr[ap]; ok {
				problems = append(problems, fmt.Sprintf("address %s is already served by %s", ap, other.vpceID))
				continue
			}
			t.byAddr[ap] = b
			plan.addrs = append(plan.addrs, ap.String())
		}
		plan.problem = strings.Join(problems, "; ")
		t.endpoints = append(t.endpoints, plan)
		t.addrs = append(t.addrs, plan.addrs...)
	}
	slices.Sort(t.addrs)
	return t, nil
}
