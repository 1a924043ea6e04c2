package stack

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"gatehouse/internal/accelerator"
	"gatehouse/internal/model"
)

func (a *applier) accelerators(ctx context.Context) error {
	have, err := all[model.Accelerator](ctx, a.Store, model.KindAccelerator)
	if err != nil {
		return err
	}
	for i, spec := range a.f.Accelerators {
		where := fmt.Sprintf("accelerators[%d] %q", i, spec.Name)
		acc := find(have, func(h *model.Accelerator) bool { return h.Name == spec.Name })
		enabled := spec.Enabled == nil || *spec.Enabled
		if acc == nil {
			acc, err = a.Accelerator.CreateAccelerator(ctx, accelerator.CreateAcceleratorInput{Name: spec.Name, IPAddressType: "IPV4", Enabled: &enabled})
			if err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
		} else if acc.Enabled != enabled {
			if acc, err = a.Accelerator.UpdateAccelerator(ctx, acc.ARN, accelerator.UpdateAcceleratorInput{Enabled: &enabled}); err != nil {
				return fmt.Errorf("%s.enabled: %w", where, err)
			}
		}
		a.accs[spec.Name] = acc
		if err := a.gaListeners(ctx, where, acc, spec.Listeners); err != nil {
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

func (a *applier) gaListeners(ctx context.Context, where string, acc *model.Accelerator, specs []GAListener) error {
	have, err := a.Accelerator.ListListeners(ctx, acc.ARN)
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
		l := find(have, func(h *model.GAListener) bool {
			return h.Protocol == proto && reflect.DeepEqual(h.PortRanges, spec.ranges())
		})
		if l == nil {
			if l, err = a.Accelerator.CreateListener(ctx, acc.ARN, proto, spec.ranges(), affinity); err != nil {
				return fmt.Errorf("%s: %w", lw, err)
			}
		} else if l.ClientAffinity != affinity {
			if l, err = a.Accelerator.UpdateListener(ctx, l.ARN, proto, spec.ranges(), affinity); err != nil {
				return fmt.Errorf("%s.clientAffinity: %w", lw, err)
			}
		}
		kept[l.ARN] = true
		if err := a.endpointGroups(ctx, lw, l, spec.EndpointGroups); err != nil {
			return err
		}
	}
	for _, h := range have {
		if kept[h.ARN] {
			continue
		}
		groups, err := a.Accelerator.ListEndpointGroups(ctx, h.ARN)
		if err != nil {
			return fmt.Errorf("%s.listeners: %w", where, err)
		}
		for _, g := range groups {
			if err := a.Accelerator.DeleteEndpointGroup(ctx, g.ARN); err != nil {
				return fmt.Errorf("%s.listeners: %w", where, err)
			}
		}
		if err := a.Accelerator.DeleteListener(ctx, h.ARN); err != nil {
			return fmt.Errorf("%s.listeners: %w", where, err)
		}
	}
	return nil
}

func (a *applier) endpointGroups(ctx context.Context, where string, l *model.GAListener, specs []EndpointGroup) error {
	have, err := a.Accelerator.ListEndpointGroups(ctx, l.ARN)
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
			_, err = a.Accelerator.CreateEndpointGroup(ctx, accelerator.CreateEndpointGroupInput{ListenerARN: l.ARN, Region: region,
				Endpoints: in, TrafficDialPercentage: &dial})
		case !reflect.DeepEqual(g.Endpoints, eps) || g.TrafficDialPercentage != dial:
			_, err = a.Accelerator.UpdateEndpointGroup(ctx, g.ARN, accelerator.UpdateEndpointGroupInput{Endpoints: in, TrafficDialPercentage: &dial})
		}
		if err != nil {
			return fmt.Errorf("%s: %w", gw, err)
		}
	}
	for _, extra := range byRegion {
		if err := a.Accelerator.DeleteEndpointGroup(ctx, extra.ARN); err != nil {
			return fmt.Errorf("%s.endpointGroups: %w", where, err)
		}
	}
	return nil
}

func (a *applier) records(ctx context.Context) error {
	for i, r := range a.f.Records {
		where := fmt.Sprintf("records[%d] %q", i, r.Name)
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
		if err := a.upsertRecord(ctx, want); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
	}
	return nil
}
