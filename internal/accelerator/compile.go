package accelerator

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"

	"gatehouse/internal/model"
)

// maxPortsPerAccelerator caps the TCP ports one accelerator may listen on. Each
// port is a socket on each of its two static IPs, so a listener on 1–65535
// would open 131070 sockets; Global Accelerator accepts such ranges, gatehouse
// does not serve them and says so in the accelerator's StatusReason.
const maxPortsPerAccelerator = 1024

// compile turns a snapshot into the data-plane table. It is pure. An
// accelerator whose configuration cannot be served (too many ports, an
// address another accelerator already serves, no usable IP) is left out of the
// table with the reason recorded, so one bad accelerator never holds back
// changes to the others.
//
// Endpoint groups of a listener are ordered by traffic dial (highest first),
// then by region name, then ARN: the first group with a healthy endpoint gets
// its dial's share of new connections and the rest spill over in that order.
func compile(snap *model.Snapshot) (*table, error) {
	t := &table{
		rev:          snap.Rev,
		routes:       map[netip.AddrPort]*route{},
		accelerators: map[string]*accState{},
	}
	listeners := map[string][]*model.GAListener{}
	for _, l := range snap.GAListeners {
		listeners[l.AcceleratorARN] = append(listeners[l.AcceleratorARN], l)
	}
	groups := map[string][]*model.EndpointGroup{}
	for _, g := range snap.EndpointGroups {
		groups[g.ListenerARN] = append(groups[g.ListenerARN], g)
	}

	arns := make([]string, 0, len(snap.Accelerators))
	for arn := range snap.Accelerators {
		arns = append(arns, arn)
	}
	slices.Sort(arns)
	for _, arn := range arns {
		acc := snap.Accelerators[arn]
		st := &accState{enabled: acc.Enabled, status: acc.Status, reason: acc.StatusReason}
		t.accelerators[arn] = st
		if !acc.Enabled {
			continue
		}
		routes, err := compileAccelerator(snap, acc, listeners[arn], groups)
		if err == nil {
			for ap := range routes {
				if other := t.routes[ap]; other != nil {
					err = fmt.Errorf("address %s is already served by accelerator %s", ap, other.accelerator)
					break
				}
			}
		}
		if err != nil {
			st.problem = err.Error()
			continue
		}
		for ap, r := range routes {
			t.routes[ap] = r
			st.addrs = append(st.addrs, ap.String())
		}
		slices.Sort(st.addrs)
		t.addrs = append(t.addrs, st.addrs...)
	}
	slices.Sort(t.addrs)
	return t, nil
}

// compileAccelerator returns the routes of one enabled accelerator by address.
func compileAccelerator(snap *model.Snapshot, acc *model.Accelerator, ls []*model.GAListener, groups map[string][]*model.EndpointGroup) (map[netip.AddrPort]*route, error) {
	var ips []netip.Addr
	for _, set := range acc.IPSets {
		for _, s := range set.IPAddresses {
			ip, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("static IP %q: %w", s, err)
			}
			ips = append(ips, ip.Unmap())
		}
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("accelerator has no static IP")
	}
	slices.SortFunc(ls, func(a, b *model.GAListener) int { return cmp.Compare(a.ARN, b.ARN) })
	ports := 0
	for _, l := range ls {
		if l.Protocol != "TCP" {
			continue // UDP listeners are stored but not served
		}
		for _, pr := range l.PortRanges {
			if pr.FromPort < 1 || pr.ToPort > 65535 || pr.FromPort > pr.ToPort {
				return nil, fmt.Errorf("listener %s: invalid port range %d-%d", l.ARN, pr.FromPort, pr.ToPort)
			}
			ports += pr.ToPort - pr.FromPort + 1
		}
	}
	if ports > maxPortsPerAccelerator {
		return nil, fmt.Errorf("accelerator listens on %d TCP ports; gatehouse serves at most %d per accelerator", ports, maxPortsPerAccelerator)
	}
	out := map[netip.AddrPort]*route{}
	for _, l := range ls {
		if l.Protocol != "TCP" {
			continue
		}
		r := &route{
			accelerator: acc.ARN,
			listener:    l.ARN,
			sourceIP:    l.ClientAffinity == "SOURCE_IP",
			groups:      compileGroups(snap, groups[l.ARN]),
		}
		for _, pr := range l.PortRanges {
			for p := pr.FromPort; p <= pr.ToPort; p++ {
				for _, ip := range ips {
					ap := netip.AddrPortFrom(ip, uint16(p))
					if other := out[ap]; other != nil {
						return nil, fmt.Errorf("port %d is in listeners %s and %s", p, other.listener, l.ARN)
					}
					out[ap] = r
				}
			}
		}
	}
	return out, nil
}

func compileGroups(snap *model.Snapshot, gs []*model.EndpointGroup) []*group {
	out := make([]*group, 0, len(gs))
	for _, g := range gs {
		cg := &group{arn: g.ARN, region: g.Region, dial: g.TrafficDialPercentage}
		for _, e := range g.Endpoints {
			ce := &endpoint{id: e.EndpointID, group: g.ARN, weight: e.Weight, preserve: e.ClientIPPreservationEnabled}
			if lb := snap.LoadBalancers[e.EndpointID]; lb != nil {
				ce.healthy = snap.LoadBalancerHealthy(lb.ARN)
				for _, n := range lb.Nodes {
					if ip, err := netip.ParseAddr(n.IP); err == nil {
						ce.nodes = append(ce.nodes, ip.Unmap())
					}
				}
			}
			cg.endpoints = append(cg.endpoints, ce)
		}
		out = append(out, cg)
	}
	slices.SortFunc(out, func(a, b *group) int {
		if c := cmp.Compare(b.dial, a.dial); c != 0 {
			return c
		}
		if c := cmp.Compare(a.region, b.region); c != 0 {
			return c
		}
		return cmp.Compare(a.arn, b.arn)
	})
	return out
}
