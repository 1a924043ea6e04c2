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
	s.opMu.Lock()
	defer s.opMu.Unlock()
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
	_, err = s.updateTG(ctx, tgARN, func(tg *model.TargetGroup) error {
		for _, t := range add {
			if !slices.ContainsFunc(tg.Targets, func(o model.Target) bool { return o.ID == t.ID && o.Port == t.Port }) {
				tg.Targets = append(tg.Targets, t)
			}
		}
		if len(tg.Targets) > maxTargetsPerGroup {
			return model.BadRequest(codeTooManyTargets, "You've reached the limit on the number of targets.")
		}
		return nil
	})
	return err
}

// DeregisterTargets removes targets from the group. Port 0 means the group's
// port. A target that is not registered is no error.
func (s *Service) DeregisterTargets(ctx context.Context, tgARN string, targets []model.Target) error {
	if len(targets) == 0 {
		return notNull("targets")
	}
	_, err := s.updateTG(ctx, tgARN, func(tg *model.TargetGroup) error {
		tg.Targets = slices.DeleteFunc(tg.Targets, func(o model.Target) bool {
			for _, t := range targets {
				port := t.Port
				if port == 0 {
					port = tg.Port
				}
				if o.ID == t.ID && o.Port == port {
					return true
				}
			}
			return false
		})
		return nil
	})
	return err
}

// DescribeTargetHealth returns the health of every registered target, as the
// balancer last observed it. A target not checked yet is initial
// (Elb.RegistrationInProgress); a group no listener uses reports unused.
func (s *Service) DescribeTargetHealth(ctx context.Context, tgARN string) ([]model.TargetState, error) {
	tg, err := s.loadTG(ctx, tgARN)
	if err != nil {
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
