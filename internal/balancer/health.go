package balancer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"time"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// Descriptions ALB reports with each reason code.
const (
	descRegistration = "Target registration is in progress"
	descInitial      = "Initial health checks in progress"
	descTimeout      = "Request timed out"
	descFailed       = "Health checks failed"
	descNotInUse     = "Target group is not configured to receive traffic from the load balancer"
	descDisabled     = "Health checks are disabled"
)

// prober is one running health check (4 in doc.go).
type prober struct {
	spec   checkSpec
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
}

// reconcileProbers starts, stops and restarts probers so that exactly the
// table's checks run. A prober restarts only when its spec changed, and keeps
// the target's state: thresholds decide from there.
func (s *Service) reconcileProbers(ctx context.Context, t *table) {
	var stopped []*prober
	s.mu.Lock()
	for key, p := range s.probers {
		spec, ok := t.checks[key]
		if ok && spec == p.spec {
			continue
		}
		p.cancel() // under s.mu: observe sees the cancel before writing state
		stopped = append(stopped, p)
		delete(s.probers, key)
		if !ok {
			delete(s.states, key)
			delete(s.observed, key)
		}
	}
	for key, spec := range t.checks {
		if s.probers[key] != nil {
			continue
		}
		if _, ok := s.states[key]; !ok {
			s.states[key] = seedState(t, spec)
		}
		pctx, cancel := context.WithCancel(ctx)
		p := &prober{spec: spec, ctx: pctx, cancel: cancel, done: make(chan struct{})}
		s.probers[key] = p
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer close(p.done)
			s.probe(p)
		}()
	}
	s.passive.keepGroups(t.groups)
	s.transports.fast.keepTargets(t)
	// States of checks that no longer run (target deregistered, group unused).
	for key := range s.states {
		if _, ok := t.checks[key]; !ok {
			delete(s.states, key)
			delete(s.observed, key)
		}
	}
	s.mu.Unlock()
	for _, p := range stopped {
		<-p.done
	}
}

// seedState is a new prober's starting state: the stored one when the target
// was already healthy or unhealthy (a restart of gatehouse), else initial.
func seedState(t *table, spec checkSpec) model.TargetState {
	st := model.TargetState{ID: spec.targetID, Port: spec.port, State: model.TargetInitial,
		Reason: model.ReasonInitialHealthChecking, Description: descInitial}
	if g := t.groups[spec.tgARN]; g != nil {
		if old, ok := g.stored[net.JoinHostPort(spec.targetID, fmt.Sprint(spec.port))]; ok &&
			(old.State == model.TargetHealthy || old.State == model.TargetUnhealthy) {
			return old
		}
	}
	return st
}

func (s *Service) stopProbers() {
	s.mu.Lock()
	ps := make([]*prober, 0, len(s.probers))
	for key, p := range s.probers {
		p.cancel()
		ps = append(ps, p)
		delete(s.probers, key)
	}
	s.mu.Unlock()
	for _, p := range ps {
		<-p.done
	}
}

// probe checks one target every interval, the first time at once.
func (s *Service) probe(p *prober) {
	m, err := ParseMatcher(p.spec.matcher)
	if err != nil {
		return // compile only hands out specs with valid matchers
	}
	tr := newTransport(p.spec.source, true)
	defer tr.CloseIdleConnections()
	client := &http.Client{
		Transport: tr,
		// ALB matches the redirect's own code; it does not follow it.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	var ok, failed int
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-p.ctx.Done():
			return
		case <-timer.C:
		}
		res := check(p.ctx, client, p.spec, m)
		if p.ctx.Err() != nil {
			return
		}
		s.passive.checked(p.spec.key, res.ok, 2*configured(p.spec.interval, s.d.HealthCheckSecond)+p.spec.timeout)
		if res.ok {
			s.metrics.check("success")
			ok, failed = ok+1, 0
		} else {
			s.metrics.check(res.reason)
			ok, failed = 0, failed+1
		}
		s.observe(p, res, ok, failed)
		timer.Reset(configured(p.spec.interval, s.d.HealthCheckSecond))
	}
}

type checkResult struct {
	ok          bool
	reason      string
	description string
}

// check sends one health check: GET path with Host "ip:port" and ALB's user
// agent, from the node IP, bounded by the timeout.
func check(ctx context.Context, client *http.Client, spec checkSpec, m Matcher) checkResult {
	ctx, cancel := context.WithTimeout(ctx, spec.timeout)
	defer cancel()
	scheme := "http"
	if spec.protocol == "HTTPS" {
		scheme = "https"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+spec.addr+spec.path, nil)
	if err != nil {
		return checkResult{reason: model.ReasonFailedHealthChecks, description: descFailed}
	}
	req.Host = spec.addr
	req.Header.Set("User-Agent", "ELB-HealthChecker/2.0")
	res, err := client.Do(req)
	if err != nil {
		var ne net.Error
		if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
			return checkResult{reason: model.ReasonTimeout, description: descTimeout}
		}
		return checkResult{reason: model.ReasonFailedHealthChecks, description: descFailed}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	if m.Match(res.StatusCode) {
		return checkResult{ok: true}
	}
	return checkResult{reason: model.ReasonResponseCodeMismatch,
		description: fmt.Sprintf("Health checks failed with these codes: [%d]", res.StatusCode)}
}

// observe applies one result to the target's state as ALB does: healthy after
// HealthyThreshold consecutive successes, unhealthy after UnhealthyThreshold
// consecutive failures; an unhealthy target shows the latest failure.
func (s *Service) observe(p *prober, res checkResult, ok, failed int) {
	s.mu.Lock()
	if p.ctx.Err() != nil {
		s.mu.Unlock()
		return
	}
	cur := s.states[p.spec.key]
	next := cur
	switch {
	case res.ok && cur.State != model.TargetHealthy && ok >= p.spec.healthy:
		next.State, next.Reason, next.Description = model.TargetHealthy, "", ""
	case !res.ok && (cur.State == model.TargetUnhealthy || failed >= p.spec.unhealthy):
		next.State, next.Reason, next.Description = model.TargetUnhealthy, res.reason, res.description
	}
	changed := next != cur
	first := !s.observed[p.spec.key]
	s.states[p.spec.key] = next
	s.observed[p.spec.key] = true
	if changed || first {
		// This node routes by what it saw at once; it does not wait
		// for a report to come back through the store (a follower writes
		// none).
		if t := s.table.Load(); t != nil && t.groups[p.spec.tgARN] != nil {
			s.localHealthOf(t.groups[p.spec.tgARN])
		}
	}
	s.mu.Unlock()
	if changed || first {
		// The first check too: a node's log shows when its own view began
		// (an unchanged state carried over from the stored report is not
		// logged otherwise).
		s.d.Log.Info("target health", "target_group", p.spec.tgARN, "target", p.spec.addr,
			"state", next.State, "reason", next.Reason, "first_check", first)
	}
	if !s.leader() {
		s.forgetReported()
		return
	}
	// The leader reports a change, and its whole view of a group it has
	// not reported since it became leader (the last leader's report may
	// differ from what this node sees).
	s.healthMu.Lock()
	reported := s.reported[p.spec.tgARN]
	s.healthMu.Unlock()
	if changed || !reported {
		if err := s.syncHealth(p.ctx, p.spec.tgARN); err != nil && p.ctx.Err() == nil {
			s.d.Log.Error("write target health", "target_group", p.spec.tgARN, "err", err)
		}
	}
}

// localHealth sets every group's healthy targets in t from this node's own
// checks (localHealthOf).
func (s *Service) localHealth(t *table) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range t.groups {
		s.localHealthOf(g)
	}
}

// localHealthOf sets the group's healthy targets from this node's own
// checks of them, as each ALB node routes by its own; a target this node has
// not completed a check of yet counts as the stored report (the leader's)
// says. s.mu must be held.
func (s *Service) localHealthOf(g *group) {
	healthy := make([]target, 0, len(g.targets))
	for _, tgt := range g.targets {
		st, ok := s.states[tgt.key]
		if !ok || !s.observed[tgt.key] {
			st = g.stored[tgt.addr]
		}
		if st.State == model.TargetHealthy {
			healthy = append(healthy, tgt)
		}
	}
	g.local.Store(&healthy)
}

// forgetReported drops the record of what this node reported as leader: it
// is not the leader now, and when it becomes leader again its view is
// reported afresh.
func (s *Service) forgetReported() {
	s.healthMu.Lock()
	clear(s.reported)
	s.healthMu.Unlock()
}

// desiredHealth is the TargetHealth record the table and the probers' states
// call for; nil when the target group no longer exists.
func (s *Service) desiredHealth(t *table, tgARN string) *model.TargetHealth {
	g := t.groups[tgARN]
	if g == nil {
		return nil
	}
	h := &model.TargetHealth{TargetGroupARN: tgARN, Targets: []model.TargetState{}}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, tgt := range g.targets {
		st := model.TargetState{ID: tgt.id, Port: tgt.port}
		switch {
		case !g.inUse:
			st.State, st.Reason, st.Description = model.TargetUnused, model.ReasonNotInUse, descNotInUse
		case !g.hc.Enabled:
			st.State, st.Reason, st.Description = model.TargetUnavailable, model.ReasonHealthCheckDisabled, descDisabled
		default:
			if cur, ok := s.states[tgt.key]; ok {
				st = cur
			} else {
				st.State, st.Reason, st.Description = model.TargetInitial, model.ReasonRegistrationInProgress, descRegistration
			}
		}
		h.Targets = append(h.Targets, st)
	}
	return h
}

// syncHealth writes the target group's TargetHealth record if it differs from
// the stored one, or deletes it when the group is gone.
func (s *Service) syncHealth(ctx context.Context, tgARN string) error {
	// Compute under healthMu: two writers that computed first could write in
	// the opposite order, and the older state would win.
	s.healthMu.Lock()
	defer s.healthMu.Unlock()
	t := s.table.Load()
	if t == nil {
		return nil
	}
	want := s.desiredHealth(t, tgARN)
	key := model.Key(model.KindTargetHealth, tgARN)
	for {
		cur, rev, err := store.Load[model.TargetHealth](ctx, s.d.Store, key)
		switch {
		case errors.Is(err, store.ErrNotFound):
			if want == nil {
				delete(s.reported, tgARN)
				return nil
			}
			rev = 0
		case err != nil:
			return err
		case want == nil:
			_, err := s.d.Store.Delete(ctx, key, rev)
			if errors.Is(err, store.ErrConflict) {
				continue
			}
			if errors.Is(err, store.ErrNotFound) {
				err = nil
			}
			delete(s.reported, tgARN)
			return err
		case reflect.DeepEqual(cur, want):
			s.reported[tgARN] = true
			return nil
		}
		_, err = store.Save(ctx, s.d.Store, key, want, rev)
		if errors.Is(err, store.ErrConflict) {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			continue
		}
		if err == nil {
			s.reported[tgARN] = true
		}
		return err
	}
}

// LoadBalancerHealthy reports whether this node's own health checks count the
// load balancer healthy the way Global Accelerator counts an endpoint
// (model.Snapshot.LoadBalancerHealthy: it forwards to at least one target
// group and each of them has a healthy target), and whether they know yet.
// Only checks this node completed count, not states carried over from the
// stored report: known is false before the balancer's table has the load
// balancer, and while a group has no healthy target but a target not
// checked here yet. Read-only; the accelerator asks it (through a func in
// its Deps) before announcing a static IP.
func (s *Service) LoadBalancerHealthy(lbARN string) (healthy, known bool) {
	t := s.table.Load()
	if t == nil || t.lbs[lbARN] == nil {
		return false, false
	}
	groups := map[string]*group{}
	for _, addr := range t.lbs[lbARN].addrs {
		le := t.listeners[addr]
		if le == nil {
			continue
		}
		for _, a := range append([]action{le.action}, ruleActions(le.rules)...) {
			if a.group != nil {
				groups[a.group.arn] = a.group
			}
		}
	}
	if len(groups) == 0 {
		return false, true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	healthy, known = true, true
	for _, g := range groups {
		anyHealthy, allChecked := false, true
		for _, tgt := range g.targets {
			if !s.observed[tgt.key] {
				allChecked = false
				continue
			}
			if s.states[tgt.key].State == model.TargetHealthy {
				anyHealthy = true
			}
		}
		switch {
		case anyHealthy:
		case allChecked:
			return false, true // checked every target, none healthy
		default:
			healthy, known = false, false
		}
	}
	return healthy, known
}
