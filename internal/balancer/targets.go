package balancer

import (
	"context"
	"errors"
	"net/netip"
	"slices"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// RegisterTargets adds targets to the group (a target already registered on
// the same port stays as it is). Port 0 means the group's port. IP targets must
// lie in a subnet of one of the store's VPCs.
func (s *Service) RegisterTargets(ctx context.Context, tgARN string, targets []model.Target) error {
	if len(targets) == 0 {
		return notNull("targets")
	}
	if len(targets) > maxTargetsPerGroup {
		// More than a group can hold is refused before any is looked at.
		return model.BadRequest(codeTooManyTargets, "You've reached the limit on the number of targets.")
	}
	// Checked once: the group's port and type, and the subnets, are the
	// same on every attempt.
	tg, err := s.loadTG(ctx, tgARN)
	if err != nil {
		return err
	}
	subnets, err := store.LoadAll[model.Subnet](ctx, s.d.Store, model.Prefix(model.KindSubnet))
	if err != nil {
		return err
	}
	add := make([]model.Target, 0, len(targets))
	for _, t := range targets {
		if t.Port == 0 {
			t.Port = tg.Port
		}
		if err := model.Range(codeValidation, "port", t.Port, 1, 65535); err != nil {
			return err
		}
		if tg.TargetType != "ip" {
			// gatehouse has no EC2 instances to register.
			return model.BadRequest(codeInvalidTarget, "The following targets are not valid instances: '%s'", model.Clip(t.ID)) // unconfirmed text
		}
		a, err := netip.ParseAddr(t.ID)
		if err != nil || !a.Is4() {
			return validationError("The IP address '%s' is not a valid IPv4 address", t.ID) // unconfirmed text
		}
		var az string
		for _, sn := range subnets {
			if p, err := netip.ParsePrefix(sn.CIDR); err == nil && p.Contains(a) {
				az = sn.AvailabilityZone
				break
			}
		}
		if az == "" {
			return model.BadRequest(codeInvalidTarget, "The IP address '%s' is not in a subnet of a VPC", model.Clip(t.ID)) // unconfirmed text
		}
		t.ID = a.String()
		if t.AvailabilityZone == "" {
			t.AvailabilityZone = az
		}
		add = append(add, t)
	}
	// No mutex: each Txn is conditioned on the group as read (its deletion
	// in between fails it, rather than leave targets behind) and on no
	// target of the group registered since the count (the quota holds
	// across nodes). More than one Txn holds (txnChunk each): a conflict
	// after some were written counts again and registers the rest.
	_, err = retryOnConflict(ctx, func() (struct{}, error) { return struct{}{}, s.registerTargets(ctx, tgARN, add) })
	return err
}

func (s *Service) registerTargets(ctx context.Context, tgARN string, add []model.Target) error {
	tg, tgRev, err := s.migrateTargets(ctx, tgARN)
	if err != nil {
		return err
	}
	have, listRev, err := s.targetsOf(ctx, tg)
	if err != nil {
		return err
	}
	var ops []store.Op
	seen := map[string]bool{}
	for _, t := range add {
		key := targetKey(tgARN, t)
		if seen[key] || slices.ContainsFunc(have, func(o model.Target) bool { return o.ID == t.ID && o.Port == t.Port }) {
			continue // registered already: it stays as it is
		}
		seen[key] = true
		op, err := store.SaveOp(key, model.TargetRecord{TargetGroupARN: tgARN, Target: t})
		if err != nil {
			return err
		}
		ops = append(ops, op)
	}
	if len(have)+len(ops) > maxTargetsPerGroup {
		return model.BadRequest(codeTooManyTargets, "You've reached the limit on the number of targets.")
	}
	tgKey := model.Key(model.KindTargetGroup, tgARN)
	for len(ops) > 0 {
		n := min(len(ops), txnChunk)
		conds := []store.Cond{store.KeyIs(tgKey, tgRev), store.NoneAfter(model.TargetsPrefix(tgARN), listRev)}
		if listRev, err = s.d.Store.Txn(ctx, conds, ops[:n]); err != nil {
			return err
		}
		ops = ops[n:]
	}
	return nil
}

// DeregisterTargets removes targets from the group. Port 0 means the group's
// port. A target that is not registered is no error.
func (s *Service) DeregisterTargets(ctx context.Context, tgARN string, targets []model.Target) error {
	if len(targets) == 0 {
		return notNull("targets")
	}
	// Targets an older gatehouse stored inside the group are moved out
	// first, so that each deregistration deletes one record and no more.
	tg, _, err := s.migrateTargets(ctx, tgARN)
	if err != nil {
		return err
	}
	var ops []store.Op
	seen := map[string]bool{}
	for _, t := range targets {
		if t.Port == 0 {
			t.Port = tg.Port
		}
		if a, err := netip.ParseAddr(t.ID); err == nil {
			t.ID = a.String()
		}
		key := targetKey(tgARN, t)
		if !seen[key] {
			seen[key] = true
			ops = append(ops, store.Del(key))
		}
	}
	// Deleting a target that is not there is a no-op, and one chunk that
	// lands after the group's deletion deletes nothing: no condition needed.
	for len(ops) > 0 {
		n := min(len(ops), store.MaxTxnOps)
		if _, err := s.d.Store.Txn(ctx, nil, ops[:n]); err != nil {
			return err
		}
		ops = ops[n:]
	}
	return nil
}

// DescribeTargetHealth returns the health of every registered target, as the
// balancer last observed it. A target not checked yet is initial
// (Elb.RegistrationInProgress); a group no listener uses reports unused.
func (s *Service) DescribeTargetHealth(ctx context.Context, tgARN string) ([]model.TargetState, error) {
	tg, err := s.loadTG(ctx, tgARN)
	if err != nil {
		return nil, err
	}
	if tg.Targets, _, err = s.targetsOf(ctx, tg); err != nil {
		return nil, err
	}
	h, _, err := store.Load[model.TargetHealth](ctx, s.d.Store, model.Key(model.KindTargetHealth, tgARN))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	var inUse *bool
	out := make([]model.TargetState, 0, len(tg.Targets))
	for _, t := range tg.Targets {
		port := t.Port
		if port == 0 {
			port = tg.Port
		}
		st := model.TargetState{ID: t.ID, Port: port, State: model.TargetInitial,
			Reason: model.ReasonRegistrationInProgress, Description: descRegistration}
		found := false
		if h != nil {
			for _, o := range h.Targets {
				if o.ID == t.ID && o.Port == port {
					st, found = o, true
					break
				}
			}
		}
		if !found {
			if inUse == nil {
				lbs, err := s.lbsByGroup(ctx)
				if err != nil {
					return nil, err
				}
				inUse = new(len(lbs[tgARN]) > 0)
			}
			if !*inUse {
				st.State, st.Reason, st.Description = model.TargetUnused, model.ReasonNotInUse, descNotInUse
			}
		}
		out = append(out, st)
	}
	return out, nil
}
