package balancer

import (
	"cmp"
	"crypto/tls"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"gatehouse/internal/model"
)

// compile turns a snapshot into the balancer's table. It is pure. A broken part
// (an unusable certificate, a bad node IP) is left out and noted in
// table.problems instead of failing the whole table, so one resource can never
// take every load balancer down.
func compile(snap *model.Snapshot, certs *model.TLSCache) (*table, error) {
	defer certs.Done()
	t := &table{
		listeners: map[string]*listenerEntry{},
		lbs:       map[string]*lbEntry{},
		groups:    map[string]*group{},
		checks:    map[string]checkSpec{},
		nodeIPs:   map[string]bool{},
		proxies:   acceleratorIPs(snap),
	}
	// Rules and targets are records of their own: gathered by parent once.
	targets := map[string][]model.Target{}
	for _, r := range snap.Targets {
		targets[r.TargetGroupARN] = append(targets[r.TargetGroupARN], r.Target)
	}
	rules := map[string][]model.Rule{}
	for _, r := range snap.Rules {
		l := cmp.Or(r.ListenerARN, ruleListenerARN(r.ARN))
		rules[l] = append(rules[l], *r)
	}
	for _, tg := range snap.TargetGroups {
		t.groups[tg.ARN] = compileGroup(tg, mergeTargets(targets[tg.ARN], tg.Targets, tg.Port), snap.TargetHealth[tg.ARN])
	}
	for arn := range snap.TargetHealth {
		if snap.TargetGroups[arn] == nil {
			t.stale = append(t.stale, arn)
		}
	}
	slices.Sort(t.stale)

	// sources: for each target group, the node IPs of the load balancers that use it.
	sources := map[string][]string{}
	lbARNs := sortedKeys(snap.LoadBalancers)
	listenerARNs := sortedKeys(snap.Listeners)
	for _, lbARN := range lbARNs {
		lb := snap.LoadBalancers[lbARN]
		e := &lbEntry{arn: lb.ARN, state: lbState(lb.State), reason: lb.StateReason}
		t.lbs[lb.ARN] = e
		idle, err := idleTimeoutOf(lb)
		if err != nil {
			t.problems = append(t.problems, fmt.Sprintf("load balancer %s: %v", lb.ARN, err))
		}
		var ips []string
		for _, n := range lb.Nodes {
			a, err := netip.ParseAddr(n.IP)
			if err != nil {
				t.problems = append(t.problems, fmt.Sprintf("load balancer %s: node ip %q: %v", lb.ARN, n.IP, err))
				continue
			}
			ips = append(ips, a.String())
			t.nodeIPs[a.String()] = true
		}
		for _, lARN := range listenerARNs {
			l := snap.Listeners[lARN]
			if l.LoadBalancerARN != lb.ARN {
				continue
			}
			le, err := compileListener(snap, l, t.groups, certs)
			if err != nil {
				t.problems = append(t.problems, fmt.Sprintf("listener %s: %v", l.ARN, err))
				continue
			}
			le.idle = idle
			var problems []string
			le.rules, problems = compileRules(listenerRuleSet(l, rules[l.ARN]), t.groups)
			t.problems = append(t.problems, problems...)
			for _, a := range append([]action{le.action}, ruleActions(le.rules)...) {
				if a.group != nil {
					a.group.inUse = true
					sources[a.group.arn] = append(sources[a.group.arn], ips...)
				}
			}
			for _, ip := range ips {
				addr := net.JoinHostPort(ip, strconv.Itoa(l.Port))
				t.listeners[addr] = le
				e.addrs = append(e.addrs, addr)
				t.addrs = append(t.addrs, addr)
			}
		}
	}
	slices.Sort(t.addrs)

	for arn, g := range t.groups {
		if !g.inUse || !g.hc.Enabled || len(sources[arn]) == 0 {
			continue
		}
		if _, err := ParseMatcher(g.hc.Matcher); err != nil {
			t.problems = append(t.problems, fmt.Sprintf("target group %s: matcher: %v", arn, err))
			continue
		}
		for _, tgt := range g.targets {
			spec, err := compileCheck(g, tgt, sources[arn][0])
			if err != nil {
				t.problems = append(t.problems, fmt.Sprintf("target group %s: %v", arn, err))
				continue
			}
			t.checks[spec.key] = spec
		}
	}
	return t, nil
}

// acceleratorIPs are the static IPs every accelerator holds, enabled or not
// (an accelerator keeps its addresses while it exists). Only these send PROXY
// headers to a load balancer: the rest of the static IP pools is unallocated,
// and a header from there is no accelerator's.
func acceleratorIPs(snap *model.Snapshot) map[netip.Addr]bool {
	ips := map[netip.Addr]bool{}
	for _, a := range snap.Accelerators {
		for _, set := range a.IPSets {
			for _, s := range set.IPAddresses {
				if ip, err := netip.ParseAddr(s); err == nil {
					ips[ip.Unmap()] = true
				}
			}
		}
	}
	return ips
}

func ruleActions(rs []rule) []action {
	out := make([]action, len(rs))
	for i, r := range rs {
		out[i] = r.action
	}
	return out
}

// listenerRuleSet is the listener's rules: its records, and those an older
// gatehouse stored inside it that have no record (yet).
func listenerRuleSet(l *model.Listener, recs []model.Rule) []model.Rule {
	out := recs
	for _, r := range l.Rules {
		if !slices.ContainsFunc(out, func(o model.Rule) bool { return o.ARN == r.ARN }) {
			out = append(out, r)
		}
	}
	return out
}

// compileGroup compiles a target group with its registered targets (records
// and embedded, merged, ordered by address) and its stored health.
func compileGroup(tg *model.TargetGroup, targets []model.Target, h *model.TargetHealth) *group {
	g := &group{
		arn:      tg.ARN,
		protocol: tg.Protocol,
		hc:       tg.HealthCheck,
		stored:   map[string]model.TargetState{},
		next:     new(atomic.Uint64),
	}
	if h != nil {
		for _, s := range h.Targets {
			g.stored[net.JoinHostPort(s.ID, strconv.Itoa(s.Port))] = s
		}
	}
	for _, tt := range targets {
		port := tt.Port
		if port == 0 {
			port = tg.Port
		}
		a, err := netip.ParseAddr(tt.ID)
		if err != nil {
			continue // only ip targets are served; ops never store others
		}
		addr := net.JoinHostPort(a.String(), strconv.Itoa(port))
		tgt := target{id: a.String(), port: port, addr: addr, ap: netip.AddrPortFrom(a, uint16(port)), key: checkKey(tg.ARN, addr)}
		g.targets = append(g.targets, tgt)
		if g.stored[tgt.addr].State == model.TargetHealthy {
			g.healthy = append(g.healthy, tgt)
		}
	}
	return g
}

func compileListener(snap *model.Snapshot, l *model.Listener, groups map[string]*group, certs *model.TLSCache) (*listenerEntry, error) {
	le := &listenerEntry{lbARN: l.LoadBalancerARN, arn: l.ARN, protocol: l.Protocol, port: l.Port}
	le.forwarded = "\r\nX-Forwarded-Proto: " + le.forwardedProto() + "\r\nX-Forwarded-Port: " + strconv.Itoa(le.port) + "\r\nX-Amzn-Trace-Id: "
	if l.Port < 1 || l.Port > 65535 {
		return nil, fmt.Errorf("port %d out of range", l.Port)
	}
	switch l.Protocol {
	case "HTTP":
	case "HTTPS":
		cs, err := compileCerts(snap, l.Certificates, certs)
		if err != nil {
			return nil, err
		}
		le.certs = cs
		le.tls = listenerTLS(l.SslPolicy, cs)
	default:
		return nil, fmt.Errorf("protocol %q not served", l.Protocol)
	}
	a, err := compileAction(l.DefaultActions, groups)
	if err != nil {
		return nil, err
	}
	le.action = a
	return le, nil
}

// idleTimeoutOf is the load balancer's idle_timeout.timeout_seconds (1–4000,
// as ModifyLoadBalancerAttributes enforces); the default when unset or broken.
func idleTimeoutOf(lb *model.LoadBalancer) (time.Duration, error) {
	v, ok := lb.Attributes["idle_timeout.timeout_seconds"]
	if !ok {
		return defaultIdleTimeout, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 4000 {
		return defaultIdleTimeout, fmt.Errorf("idle_timeout.timeout_seconds %q: using %s", v, defaultIdleTimeout)
	}
	return time.Duration(n) * time.Second, nil
}

// listenerTLS is the TLS configuration an HTTPS listener serves: the minimum
// version from its SslPolicy, and its certificates by SNI. The
// ELBSecurityPolicy-*TLS13-1-3* policies are TLS 1.3 only; every other policy
// is served as TLS 1.2 and up, although several of them also allow TLS 1.0 and
// 1.1 on AWS: Go's TLS stack and today's clients are better off without them.
func listenerTLS(policy string, certs *certSet) *tls.Config {
	minVersion := uint16(tls.VersionTLS12)
	if strings.Contains(policy, "TLS13-1-3") {
		minVersion = tls.VersionTLS13
	}
	return &tls.Config{
		MinVersion: minVersion,
		NextProtos: []string{"h2", "http/1.1"},
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			return certs.get(hello.ServerName)
		},
	}
}

func compileCerts(snap *model.Snapshot, lcs []model.ListenerCertificate, certs *model.TLSCache) (*certSet, error) {
	cs := &certSet{exact: map[string]*tls.Certificate{}, wild: map[string]*tls.Certificate{}}
	for _, lc := range lcs {
		c := snap.Certificates[lc.CertificateARN]
		if c == nil {
			continue
		}
		tc, err := certs.TLS(c)
		if err != nil {
			continue // not issued yet, or broken: served without it
		}
		if cs.def == nil {
			cs.def = tc
		}
		names := c.SubjectAlternativeNames
		if tc.Leaf != nil && len(tc.Leaf.DNSNames) > 0 {
			names = tc.Leaf.DNSNames
		}
		if len(names) == 0 && c.DomainName != "" {
			names = []string{c.DomainName}
		}
		for _, n := range names {
			n = model.DomainKey(n)
			m := cs.exact
			if rest, ok := strings.CutPrefix(n, "*."); ok {
				n, m = rest, cs.wild
			}
			if m[n] == nil {
				m[n] = tc
			}
		}
	}
	if cs.def == nil {
		return nil, fmt.Errorf("no usable certificate")
	}
	return cs, nil
}

func compileCheck(g *group, tgt target, source string) (checkSpec, error) {
	hc := g.hc
	port := tgt.port
	if hc.Port != "" && hc.Port != "traffic-port" {
		p, err := strconv.Atoi(hc.Port)
		if err != nil || p < 1 || p > 65535 {
			return checkSpec{}, fmt.Errorf("health check port %q", hc.Port)
		}
		port = p
	}
	proto := hc.Protocol
	if proto == "" {
		proto = g.protocol
	}
	path := hc.Path
	if path == "" {
		path = "/"
	}
	interval := time.Duration(max(hc.IntervalSeconds, 5)) * time.Second
	timeout := time.Duration(max(hc.TimeoutSeconds, 2)) * time.Second
	return checkSpec{
		key:       tgt.key,
		tgARN:     g.arn,
		targetID:  tgt.id,
		port:      tgt.port,
		addr:      net.JoinHostPort(tgt.id, strconv.Itoa(port)),
		protocol:  proto,
		path:      path,
		interval:  interval,
		timeout:   timeout,
		healthy:   max(hc.HealthyThreshold, 2),
		unhealthy: max(hc.UnhealthyThreshold, 2),
		matcher:   hc.Matcher,
		source:    source,
	}, nil
}

func sortedKeys[T any](m map[string]*T) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
