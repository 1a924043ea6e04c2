package accelerator

import (
	"context"
	"errors"
	"fmt"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

func (s *Service) listenersOf(ctx context.Context, accARN string) ([]*model.GAListener, error) {
	ls, err := store.LoadAll[model.GAListener](ctx, s.d.Store, model.Key(model.KindGAListener, accARN+"/listener/"))
	if err != nil {
		return nil, fmt.Errorf("list listeners of %s: %w", accARN, err)
	}
	return ls, nil
}

// CreateListener adds a listener to the accelerator: protocol TCP or UDP (UDP
// is stored but not served by the data plane), 1–10 port ranges that overlap
// no other listener of the same protocol, client affinity NONE (default) or
// SOURCE_IP.
func (s *Service) CreateListener(ctx context.Context, accARN string, protocol string, ranges []model.PortRange, affinity string) (*model.GAListener, error) {
	if _, _, err := s.loadAccelerator(ctx, accARN); err != nil {
		return nil, err
	}
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
	others, err := s.listenersOf(ctx, accARN)
	if err != nil {
		return nil, err
	}
	if len(others) >= maxListeners {
		return nil, errLimit()
	}
	if err := validateListener(l, others); err != nil {
		return nil, err
	}
	if _, err := store.Save(ctx, s.d.Store, model.Key(model.KindGAListener, l.ARN), l, 0); err != nil {
		return nil, fmt.Errorf("save listener: %w", err)
	}
	return l, s.markInProgress(ctx, accARN)
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
	l, err := update(ctx, s.d.Store, model.KindGAListener, arn, errListenerNotFound, func(l *model.GAListener) error {
		if protocol != "" {
			l.Protocol = protocol
		}
		if ranges != nil {
			l.PortRanges = ranges
		}
		if affinity != "" {
			l.ClientAffinity = affinity
		}
		others, err := s.listenersOf(ctx, l.AcceleratorARN)
		if err != nil {
			return err
		}
		return validateListener(l, others)
	})
	if err != nil {
		return nil, err
	}
	return l, s.markInProgress(ctx, l.AcceleratorARN)
}

// DeleteListener deletes a listener that has no endpoint groups.
func (s *Service) DeleteListener(ctx context.Context, arn string) error {
	l, rev, err := s.loadListener(ctx, arn)
	if err != nil {
		return err
	}
	gs, err := s.groupsOf(ctx, arn)
	if err != nil {
		return err
	}
	if len(gs) > 0 {
		// Not confirmed: worded after the observed AssociatedListenerFoundException text.
		return model.BadRequest(codeAssociatedEndpointGroup, "Cannot delete listener %s because an associated endpoint group was found.", arn)
	}
	if _, err := s.d.Store.Delete(ctx, model.Key(model.KindGAListener, arn), rev); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return errListenerNotFound()
		}
		if errors.Is(err, store.ErrConflict) {
			return s.DeleteListener(ctx, arn)
		}
		return fmt.Errorf("delete listener %s: %w", arn, err)
	}
	return s.markInProgress(ctx, l.AcceleratorARN)
}
