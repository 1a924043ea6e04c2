package stack

import (
	"context"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"

	"gatehouse/internal/balancer"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

func (a *applier) targetGroups(ctx context.Context) error {
	// A group's targets are records of their own, which TargetGroups
	// gathers into Targets (from the store: diff plans without a daemon).
	have, err := balancer.TargetGroups(ctx, a.Store)
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
		res := "targetGroup/" + t.Name
		var refs []string
		if t.Targets.VpcEndpoint != "" {
			refs = append(refs, "vpcEndpoint/"+t.Targets.VpcEndpoint)
		}
		hc := t.HealthCheck.input()
		tg := find(have, func(h *model.TargetGroup) bool { return h.Name == t.Name })
		if tg == nil {
			tt := t.TargetType
			if tt == "" {
				tt = "ip"
			}
			tg = &model.TargetGroup{ARN: planned, Name: t.Name, Port: port}
			err = a.write(func() (err error) {
				tg, err = a.Balancer.CreateTargetGroup(ctx, balancer.CreateTGInput{Name: t.Name, Protocol: proto, Port: port,
					TargetType: tt, VpcID: a.vpc.ID, ProtocolVersion: "HTTP1", HealthCheck: hc})
				return err
			}, created(res))
			if err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
		} else if cs := t.HealthCheck.changes(res, tg.HealthCheck); len(cs) > 0 && a.modify(res, refs...) {
			err = a.write(func() (err error) {
				tg, err = a.Balancer.ModifyTargetGroup(ctx, tg.ARN, hc)
				return err
			}, cs...)
			if err != nil {
				return fmt.Errorf("%s.healthCheck: %w", where, err)
			}
		}
		a.tgs[t.Name] = tg
		if !a.modify(res, refs...) {
			continue
		}
		if err := a.targets(ctx, where, res, tg, t.Targets); err != nil {
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

// changes lists the fields the file sets that differ from the target group's
// (a field the file leaves out keeps whatever the group has).
func (h HealthCheck) changes(res string, have model.HealthCheck) []Change {
	var out []Change
	s := func(field, want, got string) {
		if want != "" && !strings.EqualFold(want, got) {
			out = append(out, Change{res, "healthCheck." + field, got, want})
		}
	}
	n := func(field string, want, got int) {
		if want != 0 && want != got {
			out = append(out, Change{res, "healthCheck." + field, strconv.Itoa(got), strconv.Itoa(want)})
		}
	}
	s("protocol", h.Protocol, have.Protocol)
	s("path", h.Path, have.Path)
	s("port", h.Port, have.Port)
	s("matcher", h.Matcher, have.Matcher)
	n("intervalSeconds", h.IntervalSeconds, have.IntervalSeconds)
	n("timeoutSeconds", h.TimeoutSeconds, have.TimeoutSeconds)
	n("healthyThreshold", h.HealthyThreshold, have.HealthyThreshold)
	n("unhealthyThreshold", h.UnhealthyThreshold, have.UnhealthyThreshold)
	return out
}

// targets registers the file's targets and deregisters the others.
func (a *applier) targets(ctx context.Context, where, res string, tg *model.TargetGroup, spec Targets) error {
	ips := slices.Clone(spec.IPs)
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
	if len(add)+len(remove) == 0 {
		return nil
	}
	var have, want []string
	for _, t := range tg.Targets {
		have = append(have, net.JoinHostPort(t.ID, strconv.Itoa(t.Port)))
	}
	for _, ip := range ips {
		want = append(want, net.JoinHostPort(ip, strconv.Itoa(tg.Port)))
	}
	err := a.write(func() error {
		// Register before deregistering, so the group never passes through empty.
		if len(add) > 0 {
			if err := a.Balancer.RegisterTargets(ctx, tg.ARN, add); err != nil {
				return err
			}
		}
		if len(remove) > 0 {
			return a.Balancer.DeregisterTargets(ctx, tg.ARN, remove)
		}
		return nil
	}, Change{res, "targets", listText(have), listText(want)})
	if err != nil {
		return fmt.Errorf("%s.targets: %w", where, err)
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
		res := "loadBalancer/" + spec.Name
		sgs, refs := a.securityGroupIDs(spec.SecurityGroups)
		for _, l := range spec.Listeners {
			refs = append(refs, "targetGroup/"+l.Forward)
			if l.Certificate != "" {
				refs = append(refs, "certificate/"+l.Certificate)
			}
		}
		lb := find(have, func(h *model.LoadBalancer) bool { return h.Name == spec.Name })
		if lb == nil {
			scheme := spec.Scheme
			if scheme == "" {
				scheme = "internet-facing"
			}
			lb = &model.LoadBalancer{ARN: planned, Name: spec.Name}
			err = a.write(func() (err error) {
				lb, err = a.Balancer.CreateLoadBalancer(ctx, balancer.CreateLBInput{Name: spec.Name, SubnetIDs: subnets,
					SecurityGroupIDs: sgs, Scheme: scheme, Type: "application", IPAddressType: "ipv4"})
				return err
			}, created(res))
			if err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
		}
		a.lbs[spec.Name] = lb
		if !a.modify(res, refs...) {
			continue
		}
		// The groups the file lists replace the load balancer's (none listed:
		// it keeps what it has, the VPC's default group when created so).
		if add, remove := diff(lb.SecurityGroupIDs, sgs); len(sgs) > 0 && len(add)+len(remove) > 0 {
			err := a.write(func() error {
				_, err := a.Balancer.SetSecurityGroups(ctx, lb.ARN, sgs)
				return err
			}, Change{res, "securityGroups", a.securityGroupsText(lb.SecurityGroupIDs), a.securityGroupsText(sgs)})
			if err != nil {
				return fmt.Errorf("%s.securityGroups: %w", where, err)
			}
		}
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
			field := fmt.Sprintf("listeners[%d]", want.Port)
			switch {
			case have == nil:
				err = a.write(func() error {
					_, err := a.Balancer.CreateListener(ctx, balancer.CreateListenerInput{LoadBalancerARN: lb.ARN, Protocol: want.Protocol,
						Port: want.Port, SslPolicy: want.SslPolicy, Certificates: want.Certificates, DefaultActions: want.DefaultActions})
					return err
				}, Change{res, field, absent, a.listenerText(&want)})
			case !sameListener(have, want):
				// Modified in place: the socket stays open, so no connection drops.
				in := balancer.ModifyListenerInput{ListenerARN: have.ARN, Protocol: &want.Protocol,
					Certificates: want.Certificates, DefaultActions: want.DefaultActions}
				if want.SslPolicy != "" {
					in.SslPolicy = &want.SslPolicy
				}
				err = a.write(func() error {
					_, err := a.Balancer.ModifyListener(ctx, in)
					return err
				}, Change{res, field, a.listenerText(have), a.listenerText(&want)})
			}
			if err != nil {
				return fmt.Errorf("%s: %w", lw, err)
			}
		}
		for _, port := range slices.Sorted(maps.Keys(byPort)) {
			extra := byPort[port]
			err := a.write(func() error { return a.Balancer.DeleteListener(ctx, extra.ARN) },
				Change{res, fmt.Sprintf("listeners[%d]", port), a.listenerText(extra), absent})
			if err != nil {
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

// listenerText is a listener as the file writes it: "HTTPS 443 certificate
// api-cert forward api-targets".
func (a *applier) listenerText(l *model.Listener) string {
	s := fmt.Sprintf("%s %d", l.Protocol, l.Port)
	if len(l.Certificates) > 0 {
		s += " certificate " + nameOf(a.certs, l.Certificates[0].CertificateARN, func(c *model.Certificate) string { return c.ARN })
	}
	for _, act := range l.DefaultActions {
		s += " " + act.Type
		if act.TargetGroupARN != "" {
			s += " " + nameOf(a.tgs, act.TargetGroupARN, func(tg *model.TargetGroup) string { return tg.ARN })
		}
	}
	return s
}
