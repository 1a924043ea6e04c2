package stack

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"gatehouse/internal/accelerator"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

func (a *applier) accelerators(ctx context.Context) error {
	have, err := all[model.Accelerator](ctx, a.Store, model.KindAccelerator)
	if err != nil {
		return err
	}
	for i, spec := range a.f.Accelerators {
		where := fmt.Sprintf("accelerators[%d] %q", i, spec.Name)
		res := "accelerator/" + spec.Name
		var refs []string
		for _, l := range spec.Listeners {
			for _, g := range l.EndpointGroups {
				for _, e := range g.Endpoints {
					refs = append(refs, "loadBalancer/"+e.LoadBalancer)
				}
			}
		}
		acc := find(have, func(h *model.Accelerator) bool { return h.Name == spec.Name })
		enabled := spec.Enabled == nil || *spec.Enabled
		if acc == nil {
			acc = &model.Accelerator{ARN: planned, Name: spec.Name, Enabled: enabled}
			err = a.write(func() (err error) {
				acc, err = a.Accelerator.CreateAccelerator(ctx, accelerator.CreateAcceleratorInput{Name: spec.Name, IPAddressType: "IPV4", Enabled: &enabled})
				return err
			}, created(res))
			if err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
		} else if acc.Enabled != enabled && a.modify(res, refs...) {
			err = a.write(func() (err error) {
				acc, err = a.Accelerator.UpdateAccelerator(ctx, acc.ARN, accelerator.UpdateAcceleratorInput{Enabled: &enabled})
				return err
			}, Change{res, "enabled", strconv.FormatBool(acc.Enabled), strconv.FormatBool(enabled)})
			if err != nil {
				return fmt.Errorf("%s.enabled: %w", where, err)
			}
		}
		a.accs[spec.Name] = acc
		if !a.modify(res, refs...) {
			continue
		}
		if err := a.gaListeners(ctx, where, res, acc, spec.Listeners); err != nil {
			return err
		}
	}
	return nil
}

func (l GAListener) ranges() []model.PortRange {
	out := make([]model.PortRange, 0, len(l.Ports)+len(l.PortRanges))
	for _, p := range l.Ports {
		out = append(out, model.PortRange{FromPort: p, ToPort: p})
	}
	for _, r := range l.PortRanges {
		out = append(out, model.PortRange{FromPort: r.From, ToPort: r.To})
	}
	return out
}

// gaListenersOf reads the accelerator's listeners from the store, as
// ListListeners does, so that a plan needs nothing but the store.
func (a *applier) gaListenersOf(ctx context.Context, accARN string) ([]*model.GAListener, error) {
	return store.LoadAll[model.GAListener](ctx, a.Store, model.Key(model.KindGAListener, accARN+"/listener/"))
}

func (a *applier) endpointGroupsOf(ctx context.Context, listenerARN string) ([]*model.EndpointGroup, error) {
	return store.LoadAll[model.EndpointGroup](ctx, a.Store, model.Key(model.KindEndpointGroup, listenerARN+"/endpoint-group/"))
}

// gaListenerField names a listener by protocol and ports: "listeners[TCP 443]".
func gaListenerField(protocol string, ranges []model.PortRange) string {
	var ports []string
	for _, r := range ranges {
		p := strconv.Itoa(r.FromPort)
		if r.ToPort != r.FromPort {
			p += "-" + strconv.Itoa(r.ToPort)
		}
		ports = append(ports, p)
	}
	return fmt.Sprintf("listeners[%s %s]", protocol, strings.Join(ports, ","))
}

func (a *applier) gaListeners(ctx context.Context, where, res string, acc *model.Accelerator, specs []GAListener) error {
	have, err := a.gaListenersOf(ctx, acc.ARN)
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	kept := map[string]bool{}
	for j, spec := range specs {
		lw := fmt.Sprintf("%s.listeners[%d]", where, j)
		proto := strings.ToUpper(spec.Protocol)
		if proto == "" {
			proto = "TCP"
		}
		affinity := strings.ToUpper(spec.ClientAffinity)
		if affinity == "" {
			affinity = "NONE"
		}
		field := gaListenerField(proto, spec.ranges())
		l := find(have, func(h *model.GAListener) bool {
			return h.Protocol == proto && reflect.DeepEqual(h.PortRanges, spec.ranges())
		})
		if l == nil {
			l = &model.GAListener{ARN: planned, Protocol: proto, PortRanges: spec.ranges(), ClientAffinity: affinity}
			err = a.write(func() (err error) {
				l, err = a.Accelerator.CreateListener(ctx, acc.ARN, proto, spec.ranges(), affinity)
				return err
			}, Change{res, field, absent, "clientAffinity " + affinity})
			if err != nil {
				return fmt.Errorf("%s: %w", lw, err)
			}
		} else if l.ClientAffinity != affinity {
			err = a.write(func() (err error) {
				l, err = a.Accelerator.UpdateListener(ctx, l.ARN, proto, spec.ranges(), affinity)
				return err
			}, Change{res, field + ".clientAffinity", l.ClientAffinity, affinity})
			if err != nil {
				return fmt.Errorf("%s.clientAffinity: %w", lw, err)
			}
		}
		kept[l.ARN] = true
		if err := a.endpointGroups(ctx, lw, res, field, l, spec.EndpointGroups); err != nil {
			return err
		}
	}
	for _, h := range have {
		if kept[h.ARN] {
			continue
		}
		groups, err := a.endpointGroupsOf(ctx, h.ARN)
		if err != nil {
			return fmt.Errorf("%s.listeners: %w", where, err)
		}
		err = a.write(func() error {
			for _, g := range groups {
				if err := a.Accelerator.DeleteEndpointGroup(ctx, g.ARN); err != nil {
					return err
				}
			}
			return a.Accelerator.DeleteListener(ctx, h.ARN)
		}, Change{res, gaListenerField(h.Protocol, h.PortRanges), "clientAffinity " + h.ClientAffinity, absent})
		if err != nil {
			return fmt.Errorf("%s.listeners: %w", where, err)
		}
	}
	return nil
}

// endpointGroupText is an endpoint group as the file writes it.
func (a *applier) endpointGroupText(dial float64, eps []model.Endpoint) string {
	var out []string
	for _, e := range eps {
		lb := nameOf(a.lbs, e.EndpointID, func(lb *model.LoadBalancer) string { return lb.ARN })
		out = append(out, fmt.Sprintf("%s weight %d clientIpPreservation %t", lb, e.Weight, e.ClientIPPreservationEnabled))
	}
	return fmt.Sprintf("trafficDial %s endpoints %s", strconv.FormatFloat(dial, 'f', -1, 64), listText(out))
}

func (a *applier) endpointGroups(ctx context.Context, where, res, listenerField string, l *model.GAListener, specs []EndpointGroup) error {
	have, err := a.endpointGroupsOf(ctx, l.ARN)
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	byRegion := map[string]*model.EndpointGroup{}
	for _, g := range have {
		byRegion[g.Region] = g
	}
	for k, spec := range specs {
		gw := fmt.Sprintf("%s.endpointGroups[%d]", where, k)
		region := spec.Region
		if region == "" {
			region = a.Env.Region
		}
		field := fmt.Sprintf("%s.endpointGroups[%s]", listenerField, region)
		var in []model.EndpointInput
		var eps []model.Endpoint // as the accelerator will store them, to compare
		for _, e := range spec.Endpoints {
			ep := model.Endpoint{EndpointID: a.lbs[e.LoadBalancer].ARN, Weight: 128, ClientIPPreservationEnabled: true}
			if e.Weight != nil {
				ep.Weight = *e.Weight
			}
			if e.ClientIPPreservation != nil {
				ep.ClientIPPreservationEnabled = *e.ClientIPPreservation
			}
			eps = append(eps, ep)
			in = append(in, model.EndpointInput{EndpointID: ep.EndpointID, Weight: &ep.Weight, ClientIPPreservationEnabled: &ep.ClientIPPreservationEnabled})
		}
		dial := 100.0
		if spec.TrafficDial != nil {
			dial = *spec.TrafficDial
		}
		g := byRegion[region]
		delete(byRegion, region)
		switch {
		case g == nil:
			err = a.write(func() error {
				_, err := a.Accelerator.CreateEndpointGroup(ctx, accelerator.CreateEndpointGroupInput{ListenerARN: l.ARN, Region: region,
					Endpoints: in, TrafficDialPercentage: &dial})
				return err
			}, Change{res, field, absent, a.endpointGroupText(dial, eps)})
		case !reflect.DeepEqual(g.Endpoints, eps) || g.TrafficDialPercentage != dial:
			err = a.write(func() error {
				_, err := a.Accelerator.UpdateEndpointGroup(ctx, g.ARN, accelerator.UpdateEndpointGroupInput{Endpoints: in, TrafficDialPercentage: &dial})
				return err
			}, Change{res, field, a.endpointGroupText(g.TrafficDialPercentage, g.Endpoints), a.endpointGroupText(dial, eps)})
		}
		if err != nil {
			return fmt.Errorf("%s: %w", gw, err)
		}
	}
	for _, region := range slices.Sorted(maps.Keys(byRegion)) {
		extra := byRegion[region]
		err := a.write(func() error { return a.Accelerator.DeleteEndpointGroup(ctx, extra.ARN) },
			Change{res, fmt.Sprintf("%s.endpointGroups[%s]", listenerField, region), a.endpointGroupText(extra.TrafficDialPercentage, extra.Endpoints), absent})
		if err != nil {
			return fmt.Errorf("%s.endpointGroups: %w", where, err)
		}
	}
	return nil
}

// recordResource names a record set as a resource: "record/api.example.test/A".
func recordResource(r Record) string {
	return "record/" + model.DomainKey(r.Name) + "/" + cmpOr(strings.ToUpper(r.Type), "A")
}

func (a *applier) records(ctx context.Context) error {
	for i, r := range a.f.Records {
		where := fmt.Sprintf("records[%d] %q", i, r.Name)
		var refs []string
		if r.Alias != nil && r.Alias.Accelerator != "" {
			refs = append(refs, "accelerator/"+r.Alias.Accelerator)
		} else if r.Alias != nil {
			refs = append(refs, "loadBalancer/"+r.Alias.LoadBalancer)
		}
		res := recordResource(r)
		zone := a.zones[model.DomainKey(r.Zone)]
		typ := strings.ToUpper(r.Type)
		if typ == "" {
			typ = "A"
		}
		want := model.RecordSet{ZoneID: zone.ID, Name: fqdn(r.Name), Type: typ}
		switch {
		case r.Alias != nil && r.Alias.Accelerator != "":
			want.Alias = &model.AliasTarget{HostedZoneID: model.AcceleratorHostedZoneID, DNSName: fqdn(a.accs[r.Alias.Accelerator].DNSName)}
		case r.Alias != nil:
			lb := a.lbs[r.Alias.LoadBalancer]
			want.Alias = &model.AliasTarget{HostedZoneID: lb.CanonicalHostedZoneID, DNSName: fqdn(lb.DNSName)}
		default:
			want.TTL, want.Records = r.TTL, r.Values
			if want.TTL == 0 {
				want.TTL = 300
			}
		}
		if err := a.upsertRecord(ctx, res, "value", want, a.modify(res, refs...)); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
	}
	return nil
}
