package accelerator

import (
	"context"
	"fmt"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

func (s *Service) listenersOf(ctx context.Context, accARN string) ([]*model.GAListener, error) {
	ls, _, err := store.LoadAllAt[model.GAListener](ctx, s.d.Store, listenerPrefix(accARN))
	return ls, err
}

// CreateListener adds a listener to the accelerator: protocol TCP or UDP (UDP
// is stored but not served by the data plane), 1–10 port ranges that overlap
// no other listener of the same protocol, client affinity NONE (default) or
// SOURCE_IP.
func (s *Service) CreateListener(ctx context.Context, accARN string, protocol string, ranges []model.PortRange, affinity string) (*model.GAListener, error) {
	l := &model.GAListener{
		ARN:            accARN + "/listener/" + model.RandomHex(8),
		AcceleratorARN: accARN,
		Protocol:       protocol,
		PortRanges:     ranges,
		ClientAffinity: affinity,
	}
	if l.ClientAffinity == "" {
		l.ClientAffinity = "NONE"
	}
	key := model.Key(model.KindGAListener, l.ARN)
	op, err := store.SaveOp(key, l)
	if err != nil {
		return nil, err
	}
	for {
		_, accRev, err := s.loadAccelerator(ctx, accARN)
		if err != nil {
			return nil, err
		}
		others, listRev, err := store.LoadAllAt[model.GAListener](ctx, s.d.Store, listenerPrefix(accARN))
		if err != nil {
			return nil, err
		}
		if len(others) >= maxListeners {
			return nil, errLimit()
		}
		if err := validateListener(l, others); err != nil {
			return nil, err
		}
		// The accelerator unchanged (so not deleted) and no listener added or
		// changed since the listing: the quota and the port ranges hold.
		ok, err := commit(ctx, s.d.Store, []store.Cond{
			store.KeyIs(model.Key(model.KindAccelerator, accARN), accRev),
			store.NoneAfter(listenerPrefix(accARN), listRev),
			store.KeyIs(key, 0),
		}, op)
		if err != nil {
			return nil, fmt.Errorf("save listener: %w", err)
		}
		if ok {
			return l, s.markInProgress(ctx, accARN)
		}
	}
}

func validateListener(l *model.GAListener, others []*model.GAListener) error {
	if l.Protocol != "TCP" && l.Protocol != "UDP" {
		return invalidArgument("Invalid protocol: %s", l.Protocol) // not confirmed
	}
	if l.ClientAffinity != "NONE" && l.ClientAffinity != "SOURCE_IP" {
		return invalidArgument("Invalid client affinity: %s", l.ClientAffinity) // not confirmed
	}
	if err := validatePortRanges(l.PortRanges); err != nil {
		return err
	}
	for _, o := range others {
		if o.ARN == l.ARN || o.Protocol != l.Protocol {
			continue
		}
		for _, a := range l.PortRanges {
			for _, b := range o.PortRanges {
				if a.FromPort <= b.ToPort && b.FromPort <= a.ToPort {
					return model.BadRequest(codeInvalidPortRange, // observed (aws/aws-cdk#22656)
						"Invalid port range PortRange(fromPort=%d, toPort=%d), which overlaps with port range PortRange(fromPort=%d, toPort=%d) taken by listener %s",
						a.FromPort, a.ToPort, b.FromPort, b.ToPort, o.ARN)
				}
			}
		}
	}
	return nil
}

// validatePortRanges checks a listener's own ranges: 1–10 of them, each within
// 1–65535 with FromPort ≤ ToPort, none overlapping another.
func validatePortRanges(ranges []model.PortRange) error {
	if len(ranges) == 0 {
		return invalidArgument("PortRanges must contain at least one port range.") // not confirmed
	}
	if len(ranges) > maxPortRanges {
		return errLimit()
	}
	for i, a := range ranges {
		if a.FromPort < 1 || a.ToPort > 65535 || a.FromPort > a.ToPort {
			return model.BadRequest(codeInvalidPortRange, invalidPortRangeMessage) // model text
		}
		for _, b := range ranges[:i] {
			if a.FromPort <= b.ToPort && b.FromPort <= a.ToPort {
				// Same form as the observed cross-listener text, without a listener.
				return model.BadRequest(codeInvalidPortRange,
					"Invalid port range PortRange(fromPort=%d, toPort=%d), which overlaps with port range PortRange(fromPort=%d, toPort=%d)",
					a.FromPort, a.ToPort, b.FromPort, b.ToPort)
			}
		}
	}
	return nil
}

// DescribeListener returns the listener.
func (s *Service) DescribeListener(ctx context.Context, arn string) (*model.GAListener, error) {
	l, _, err := s.loadListener(ctx, arn)
	return l, err
}

func (s *Service) loadListener(ctx context.Context, arn string) (*model.GAListener, int64, error) {
	return load[model.GAListener](ctx, s.d.Store, model.KindGAListener, arn, errListenerNotFound)
}

// ListListeners returns the accelerator's listeners, by ARN.
func (s *Service) ListListeners(ctx context.Context, accARN string) ([]*model.GAListener, error) {
	if _, _, err := s.loadAccelerator(ctx, accARN); err != nil {
		return nil, err
	}
	return s.listenersOf(ctx, accARN)
}

// UpdateListener changes the listener's protocol, port ranges or client
// affinity; an empty protocol or affinity and nil ranges keep the current value.
func (s *Service) UpdateListener(ctx context.Context, arn string, protocol string, ranges []model.PortRange, affinity string) (*model.GAListener, error) {
	key := model.Key(model.KindGAListener, arn)
	for {
		l, rev, err := s.loadListener(ctx, arn)
		if err != nil {
			return nil, err
		}
		if protocol != "" {
			l.Protocol = protocol
		}
		if ranges != nil {
			l.PortRanges = ranges
		}
		if affinity != "" {
			l.ClientAffinity = affinity
		}
		others, listRev, err := store.LoadAllAt[model.GAListener](ctx, s.d.Store, listenerPrefix(l.AcceleratorARN))
		if err != nil {
			return nil, err
		}
		if err := validateListener(l, others); err != nil {
			return nil, err
		}
		op, err := store.SaveOp(key, l)
		if err != nil {
			return nil, err
		}
		// No sibling's ports changed since the listing, nor this listener.
		ok, err := commit(ctx, s.d.Store, []store.Cond{
			store.KeyIs(key, rev),
			store.NoneAfter(listenerPrefix(l.AcceleratorARN), listRev),
		}, op)
		if err != nil {
			return nil, fmt.Errorf("update listener %s: %w", arn, err)
		}
		if ok {
			return l, s.markInProgress(ctx, l.AcceleratorARN)
		}
	}
}

// DeleteListener deletes a listener that has no endpoint groups.
func (s *Service) DeleteListener(ctx context.Context, arn string) error {
	key := model.Key(model.KindGAListener, arn)
	for {
		l, rev, err := s.loadListener(ctx, arn)
		if err != nil {
			return err
		}
		gs, groupsRev, err := store.LoadAllAt[model.EndpointGroup](ctx, s.d.Store, groupPrefix(arn))
		if err != nil {
			return err
		}
		if len(gs) > 0 {
			// Not confirmed: worded after the observed AssociatedListenerFoundException text.
			return model.BadRequest(codeAssociatedEndpointGroup, "Cannot delete listener %s because an associated endpoint group was found.", arn)
		}
		// No endpoint group created since the empty listing; a conflict
		// (changed, deleted, or a group added) re-reads and reports what a
		// retry would see.
		ok, err := commit(ctx, s.d.Store, []store.Cond{
			store.KeyIs(key, rev),
			store.NoneAfter(groupPrefix(arn), groupsRev),
		}, store.Del(key))
		if err != nil {
			return fmt.Errorf("delete listener %s: %w", arn, err)
		}
		if ok {
			return s.markInProgress(ctx, l.AcceleratorARN)
		}
	}
}
