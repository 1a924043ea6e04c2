package stack

import (
	"context"
	"fmt"
	"strings"

	"gatehouse/internal/balancer"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

func (a *applier) targetGroups(ctx context.Context) error {
	have, err := all[model.TargetGroup](ctx, a.Store, model.KindTargetGroup)
	if err != nil {
		return err
	}
	for i, t := range a.f.TargetGroups {
		where := fmt.Sprintf("targetGroups[%d] %q", i, t.Name)
		proto := strings.ToUpper(t.Protocol)
		if proto == "" {
			proto = "HTTP"
		}
		port := t.Port
		if port == 0 {
			port = map[string]int{"HTTP": 80, "HTTPS": 443}[proto]
		}
		hc := t.HealthCheck.input()
		tg := find(have, func(h *model.TargetGroup) bool { return h.Name == t.Name })
		if tg == nil {
			tt := t.TargetType
			if tt == "" {
				tt = "ip"
			}
			tg, err = a.Balancer.CreateTargetGroup(ctx, balancer.CreateTGInput{Name: t.Name, Protocol: proto, Port: port,
				TargetType: tt, VpcID: a.vpc.ID, ProtocolVersion: "HTTP1", HealthCheck: hc})
			if err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
		} else if !t.HealthCheck.matches(tg.HealthCheck) {
			if tg, err = a.Balancer.ModifyTargetGroup(ctx, tg.ARN, hc); err != nil {
				return fmt.Errorf("%s.healthCheck: %w", where, err)
			}
		}
		a.tgs[t.Name] = tg
		if err := a.targets(ctx, where, tg, t.Targets); err != nil {
			return err
		}
	}
	return nil
}

func (h HealthCheck) input() balancer.HealthCheckInput {
	var in balancer.HealthCheckInput
	str := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	num := func(n int) *int {
		if n == 0 {
			return nil
		}
		return &n
	}
	in.Protocol, in.Path, in.Port, in.Matcher = str(strings.ToUpper(h.Protocol)), str(h.Path), str(h.Port), str(h.Matcher)
	in.IntervalSeconds, in.TimeoutSeconds = num(h.IntervalSeconds), num(h.TimeoutSeconds)
	in.HealthyThreshold, in.UnhealthyThreshold = num(h.HealthyThreshold), num(h.UnhealthyThreshold)
	return in
}

// matches reports whether every field the file sets equals the target group's.
func (h HealthCheck) matches(have model.HealthCheck) bool {
	s := func(want, got string) bool { return want == "" || strings.EqualFold(want, got) }
	n := func(want, got int) bool { return want == 0 || want == got }
	return s(h.Protocol, have.Protocol) && s(h.Path, have.Path) && s(h.Port, have.Port) && s(h.Matcher, have.Matcher) &&
		n(h.IntervalSeconds, have.IntervalSeconds) && n(h.TimeoutSeconds, have.TimeoutSeconds) &&
		n(h.HealthyThreshold, have.HealthyThreshold) && n(h.UnhealthyThreshold, have.UnhealthyThreshold)
}

// targets registers the file's targets and deregisters the others.
func (a *applier) targets(ctx context.Context, where string, tg *model.TargetGroup, spec Targets) error {
	ips := spec.IPs
	if spec.VpcEndpoint != "" {
		for _, eni := range a.vpces[spec.VpcEndpoint].NetworkInterfaceIDs {
			ni, _, err := store.Load[model.NetworkInterface](ctx, a.Store, model.Key(model.KindNetworkIface, eni))
			if err != nil {
				return fmt.Errorf("%s.targets: interface %s: %w", where, eni, err)
			}
			ips = append(ips, ni.PrivateIP)
		}
	}
	var add, remove []model.Target
	for _, ip := range ips {
		if !hasTarget(tg.Targets, ip, tg.Port) {
			add = append(add, model.Target{ID: ip, Port: tg.Port})
		}
	}
	for _, t := range tg.Targets {
		if !containsIP(ips, t.ID) || t.Port != tg.Port {
			remove = append(remove, t)
		}
	}
	// Register before deregistering, so the group never passes through empty.
	if len(add) > 0 {
		if err := a.Balancer.RegisterTargets(ctx, tg.ARN, add); err != nil {
			return fmt.Errorf("%s.targets: %w", where, err)
		}
	}
	if len(remove) > 0 {
		if err := a.Balancer.DeregisterTargets(ctx, tg.ARN, remove); err != nil {
			return fmt.Errorf("%s.targets: %w", where, err)
		}
	}
	return nil
}

func hasTarget(ts []model.Target, ip string, port int) bool {
	for _, t := range ts {
		if t.ID == ip && t.Port == port {
			return true
		}
	}
	return false
}

func containsIP(ips []string, ip string) bool {
	for _, x := range ips {
		if x == ip {
			return true
		}
	}
	return false
}

func (a *applier) loadBalancers(ctx context.Context) error {
	have, err := all[model.LoadBalancer](ctx, a.Store, model.KindLoadBalancer)
	if err != nil {
		return err
	}
	listeners, err := all[model.Listener](ctx, a.Store, model.KindListener)
	if err != nil {
		return err
	}
	for i, spec := range a.f.LoadBalancers {
		where := fmt.Sprintf("loadBalancers[%d] %q", i, spec.Name)
		subnets, err := a.subnetIDs(where, spec.Subnets)
		if err != nil {
			return err
		}
		var sgs []string
		for _, n := range spec.SecurityGroups {
			sgs = append(sgs, a.sgs[n])
		}
		lb := find(have, func(h *model.LoadBalancer) bool { return h.Name == spec.Name })
		if lb == nil {
			scheme := spec.Scheme
			if scheme == "" {
				scheme = "internet-facing"
			}
			lb, err = a.Balancer.CreateLoadBalancer(ctx, balancer.CreateLBInput{Name: spec.Name, SubnetIDs: subnets,
				SecurityGroupIDs: sgs, Scheme: scheme, Type: "application", IPAddressType: "ipv4"})
			if err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
		}
		a.lbs[spec.Name] = lb
		byPort := map[int]*model.Listener{}
		for _, l := range listeners {
			if l.LoadBalancerARN == lb.ARN {
				byPort[l.Port] = l
			}
		}
		for j, ls := range spec.Listeners {
			lw := fmt.Sprintf("%s.listeners[%d]", where, j)
			want := a.listener(lb.ARN, ls)
			have := byPort[want.Port]
			delete(byPort, want.Port)
			switch {
			case have == nil:
				_, err = a.Balancer.CreateListener(ctx, balancer.CreateListenerInput{LoadBalancerARN: lb.ARN, Protocol: want.Protocol,
					Port: want.Port, SslPolicy: want.SslPolicy, Certificates: want.Certificates, DefaultActions: want.DefaultActions})
			case !sameListener(have, want):
				// Modified in place: the socket stays open, so no connection drops.
				in := balancer.ModifyListenerInput{ListenerARN: have.ARN, Protocol: &want.Protocol,
					Certificates: want.Certificates, DefaultActions: want.DefaultActions}
				if want.SslPolicy != "" {
					in.SslPolicy = &want.SslPolicy
				}
				_, err = a.Balancer.ModifyListener(ctx, in)
			}
			if err != nil {
				return fmt.Errorf("%s: %w", lw, err)
			}
		}
		for _, extra := range byPort {
			if err := a.Balancer.DeleteListener(ctx, extra.ARN); err != nil {
				return fmt.Errorf("%s.listeners: %w", where, err)
			}
		}
	}
	return nil
}

func (a *applier) listener(lbARN string, ls Listener) model.Listener {
	l := model.Listener{LoadBalancerARN: lbARN, Protocol: strings.ToUpper(ls.Protocol), Port: ls.Port, SslPolicy: ls.SslPolicy,
		DefaultActions: []model.Action{{Type: "forward", TargetGroupARN: a.tgs[ls.Forward].ARN}}}
	if l.Protocol == "" {
		l.Protocol = "HTTP"
		if ls.Certificate != "" {
			l.Protocol = "HTTPS"
		}
	}
	l.Port = listenerPort(ls)
	if ls.Certificate != "" {
		l.Certificates = []model.ListenerCertificate{{CertificateARN: a.certs[ls.Certificate].ARN, IsDefault: true}}
	}
	return l
}

func sameListener(have *model.Listener, want model.Listener) bool {
	if have.Protocol != want.Protocol || (want.SslPolicy != "" && have.SslPolicy != want.SslPolicy) ||
		len(have.DefaultActions) != 1 || have.DefaultActions[0].TargetGroupARN != want.DefaultActions[0].TargetGroupARN {
		return false
	}
	if len(want.Certificates) > 0 && (len(have.Certificates) == 0 || have.Certificates[0].CertificateARN != want.Certificates[0].CertificateARN) {
		return false
	}
	return true
}
