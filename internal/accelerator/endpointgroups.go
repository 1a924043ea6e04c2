package accelerator

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

func (s *Service) groupsOf(ctx context.Context, listenerARN string) ([]*model.EndpointGroup, error) {
	gs, _, err := store.LoadAllAt[model.EndpointGroup](ctx, s.d.Store, groupPrefix(listenerARN))
	return gs, err
}

// acceleratorOf returns the accelerator ARN inside a listener or endpoint group ARN.
func acceleratorOf(arn string) string {
	acc, _, _ := strings.Cut(arn, "/listener/")
	return acc
}

// CreateEndpointGroupInput is CreateEndpointGroup's request.
type CreateEndpointGroupInput struct {
	ListenerARN                string
	Region                     string
	Endpoints                  []model.EndpointInput
	TrafficDialPercentage      *float64 // default 100
	HealthCheckPort            *int     // default: the listener's first port
	HealthCheckProtocol        string   // default TCP
	HealthCheckPath            string   // default "/" for HTTP and HTTPS
	HealthCheckIntervalSeconds *int     // 10 or 30, default 30
	ThresholdCount             *int     // 1–10, default 3
}

// CreateEndpointGroup adds the listener's endpoint group for one region. The
// endpoints are load balancers that must exist. The health check settings are
// stored and returned, as Global Accelerator does; for load balancer endpoints
// it uses the load balancer's own target health instead of them.
func (s *Service) CreateEndpointGroup(ctx context.Context, in CreateEndpointGroupInput) (*model.EndpointGroup, error) {
	l, listenerRev, err := s.loadListener(ctx, in.ListenerARN)
	if err != nil {
		return nil, err
	}
	if _, _, err := s.loadAccelerator(ctx, l.AcceleratorARN); err != nil {
		return nil, err
	}
	if in.Region == "" {
		return nil, invalidArgument("EndpointGroupRegion must be specified.") // not confirmed
	}
	if err := checkLength("endpointGroupRegion", in.Region, 0, maxGenericString); err != nil {
		return nil, err
	}
	existing, groupsRev, err := store.LoadAllAt[model.EndpointGroup](ctx, s.d.Store, groupPrefix(l.ARN))
	if err != nil {
		return nil, err
	}
	if err := checkRegionFree(existing, in.Region); err != nil {
		return nil, err
	}
	g := &model.EndpointGroup{
		ARN:                        l.ARN + "/endpoint-group/" + model.RandomHex(12),
		ListenerARN:                l.ARN,
		Region:                     in.Region,
		TrafficDialPercentage:      defaultDial,
		HealthCheckProtocol:        "TCP",
		HealthCheckIntervalSeconds: defaultInterval,
		ThresholdCount:             defaultThreshold,
	}
	if len(l.PortRanges) > 0 {
		g.HealthCheckPort = l.PortRanges[0].FromPort
	}
	err = applyGroupSettings(g, groupSettings{
		dial: in.TrafficDialPercentage, port: in.HealthCheckPort,
		protocol: optional(in.HealthCheckProtocol), path: optional(in.HealthCheckPath),
		interval: in.HealthCheckIntervalSeconds, threshold: in.ThresholdCount,
	})
	if err != nil {
		return nil, err
	}
	if g.Endpoints, err = s.resolveEndpoints(ctx, nil, in.Endpoints); err != nil {
		return nil, err
	}
	key := model.Key(model.KindEndpointGroup, g.ARN)
	op, err := store.SaveOp(key, g)
	if err != nil {
		return nil, err
	}
	for {
		// The listener unchanged (so not deleted: its accelerator cannot be
		// deleted while it exists) and no group added since the listing (one
		// per region).
		ok, err := commit(ctx, s.d.Store, []store.Cond{
			store.KeyIs(model.Key(model.KindGAListener, l.ARN), listenerRev),
			store.NoneAfter(groupPrefix(l.ARN), groupsRev),
			store.KeyIs(key, 0),
		}, op)
		if err != nil {
			return nil, fmt.Errorf("save endpoint group: %w", err)
		}
		if ok {
			return g, s.markInProgress(ctx, l.AcceleratorARN)
		}
		// The listener changed (its ports give the default health check
		// port) or went away, or a group came: read it again.
		cur, rev, err := s.loadListener(ctx, l.ARN)
		if err != nil {
			return nil, err
		}
		if rev != listenerRev && in.HealthCheckPort == nil && len(cur.PortRanges) > 0 {
			g.HealthCheckPort = cur.PortRanges[0].FromPort
			if op, err = store.SaveOp(key, g); err != nil {
				return nil, err
			}
		}
		listenerRev = rev
		if existing, groupsRev, err = store.LoadAllAt[model.EndpointGroup](ctx, s.d.Store, groupPrefix(l.ARN)); err != nil {
			return nil, err
		}
		if err := checkRegionFree(existing, in.Region); err != nil {
			return nil, err
		}
	}
}

// checkRegionFree refuses a second endpoint group for a region of a listener.
func checkRegionFree(existing []*model.EndpointGroup, region string) error {
	for _, e := range existing {
		if e.Region == region {
			return model.BadRequest(codeEndpointGroupExists, endpointGroupExistsMessage) // model text
		}
	}
	return nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// groupSettings are an endpoint group's scalar settings; nil keeps the value.
type groupSettings struct {
	dial                *float64
	port                *int
	protocol, path      *string
	interval, threshold *int
}

func applyGroupSettings(g *model.EndpointGroup, in groupSettings) error {
	// The messages below are not confirmed against AWS; the ranges are the API reference's.
	if in.dial != nil {
		if *in.dial < 0 || *in.dial > 100 {
			return invalidArgument("TrafficDialPercentage must be between 0 and 100.")
		}
		g.TrafficDialPercentage = *in.dial
	}
	if in.port != nil {
		if *in.port < 1 || *in.port > 65535 {
			return invalidArgument("HealthCheckPort must be between 1 and 65535.")
		}
		g.HealthCheckPort = *in.port
	}
	if in.protocol != nil {
		switch *in.protocol {
		case "TCP", "HTTP", "HTTPS":
			g.HealthCheckProtocol = *in.protocol
		default:
			return invalidArgument("Invalid HealthCheckProtocol: %s", *in.protocol)
		}
	}
	if in.path != nil {
		if err := checkLength("healthCheckPath", *in.path, 0, maxGenericString); err != nil {
			return err
		}
		if !strings.HasPrefix(*in.path, "/") || len(*in.path) > 255 {
			return invalidArgument("Invalid HealthCheckPath: %s", model.Clip(*in.path))
		}
		g.HealthCheckPath = *in.path
	}
	if g.HealthCheckPath == "" && g.HealthCheckProtocol != "TCP" {
		g.HealthCheckPath = "/"
	}
	if in.interval != nil {
		if *in.interval != 10 && *in.interval != 30 {
			return invalidArgument("HealthCheckIntervalSeconds must be 10 or 30.")
		}
		g.HealthCheckIntervalSeconds = *in.interval
	}
	if in.threshold != nil {
		if *in.threshold < 1 || *in.threshold > 10 {
			return invalidArgument("ThresholdCount must be between 1 and 10.")
		}
		g.ThresholdCount = *in.threshold
	}
	return nil
}

// resolveEndpoints validates endpoint configurations, applies defaults and
// merges them into current: an endpoint already in current is replaced in
// place, a new one is appended. At most maxEndpoints result.
func (s *Service) resolveEndpoints(ctx context.Context, current []model.Endpoint, in []model.EndpointInput) ([]model.Endpoint, error) {
	out := slices.Clone(current)
	seen := map[string]bool{}
	for i, c := range in {
		if c.EndpointID == "" {
			return nil, invalidArgument("EndpointId must be specified.") // not confirmed
		}
		if err := checkLength(fmt.Sprintf("endpointConfigurations.%d.member.endpointId", i+1), c.EndpointID, 0, maxGenericString); err != nil {
			return nil, err
		}
		if seen[c.EndpointID] {
			return nil, invalidArgument("Duplicate endpoint: %s", c.EndpointID) // not confirmed
		}
		seen[c.EndpointID] = true
		lb, _, err := store.LoadOr[model.LoadBalancer](ctx, s.d.Store, model.Key(model.KindLoadBalancer, c.EndpointID), func() error {
			// Observed (hashicorp/terraform-provider-aws#28536), there for an ARN of another region.
			return invalidArgument("'%s' is not a valid load balancer ARN", c.EndpointID)
		})
		if err != nil {
			return nil, err
		}
		e := model.Endpoint{EndpointID: c.EndpointID, Weight: defaultWeight, ClientIPPreservationEnabled: true}
		if c.Weight != nil {
			if *c.Weight < 0 || *c.Weight > 255 {
				return nil, invalidArgument("Weight must be between 0 and 255.") // not confirmed
			}
			e.Weight = *c.Weight
		}
		if c.ClientIPPreservationEnabled != nil {
			if !*c.ClientIPPreservationEnabled && lb.Scheme == "internal" {
				// Worded as the observed NLB message (h3poteto/aws-global-accelerator-controller#134).
				return nil, invalidArgument("ClientIPPreservation must be enabled for internal facing application load balancer: %s", c.EndpointID)
			}
			e.ClientIPPreservationEnabled = *c.ClientIPPreservationEnabled
		}
		if i := slices.IndexFunc(out, func(x model.Endpoint) bool { return x.EndpointID == e.EndpointID }); i >= 0 {
			out[i] = e
		} else {
			out = append(out, e)
		}
	}
	if len(out) > maxEndpoints {
		return nil, errLimit()
	}
	return out, nil
}

// DescribeEndpointGroup returns the endpoint group.
func (s *Service) DescribeEndpointGroup(ctx context.Context, arn string) (*model.EndpointGroup, error) {
	g, _, err := s.loadGroup(ctx, arn)
	return g, err
}

func (s *Service) loadGroup(ctx context.Context, arn string) (*model.EndpointGroup, int64, error) {
	return load[model.EndpointGroup](ctx, s.d.Store, model.KindEndpointGroup, arn, errEndpointGroupNotFound)
}

// ListEndpointGroups returns the listener's endpoint groups, by ARN.
func (s *Service) ListEndpointGroups(ctx context.Context, listenerARN string) ([]*model.EndpointGroup, error) {
	if _, _, err := s.loadListener(ctx, listenerARN); err != nil {
		return nil, err
	}
	return s.groupsOf(ctx, listenerARN)
}

// UpdateEndpointGroupInput is UpdateEndpointGroup's request; nil fields keep
// their value. A non-nil Endpoints (even empty) replaces the whole list, with
// defaults applied to each, as Global Accelerator does.
type UpdateEndpointGroupInput struct {
	Endpoints                  []model.EndpointInput
	TrafficDialPercentage      *float64
	HealthCheckPort            *int
	HealthCheckProtocol        *string
	HealthCheckPath            *string
	HealthCheckIntervalSeconds *int
	ThresholdCount             *int
}

// UpdateEndpointGroup changes the endpoint group's endpoints and settings.
func (s *Service) UpdateEndpointGroup(ctx context.Context, arn string, in UpdateEndpointGroupInput) (*model.EndpointGroup, error) {
	return s.updateGroup(ctx, arn, func(g *model.EndpointGroup) error {
		err := applyGroupSettings(g, groupSettings{
			dial: in.TrafficDialPercentage, port: in.HealthCheckPort,
			protocol: in.HealthCheckProtocol, path: in.HealthCheckPath,
			interval: in.HealthCheckIntervalSeconds, threshold: in.ThresholdCount,
		})
		if err != nil || in.Endpoints == nil {
			return err
		}
		g.Endpoints, err = s.resolveEndpoints(ctx, nil, in.Endpoints)
		return err
	})
}

// AddEndpoints adds endpoints to the group; an endpoint already in it takes the
// new weight and client IP preservation.
func (s *Service) AddEndpoints(ctx context.Context, groupARN string, in []model.EndpointInput) (*model.EndpointGroup, error) {
	return s.updateGroup(ctx, groupARN, func(g *model.EndpointGroup) error {
		var err error
		g.Endpoints, err = s.resolveEndpoints(ctx, g.Endpoints, in)
		return err
	})
}

// RemoveEndpoints removes endpoints from the group; every one must be in it.
func (s *Service) RemoveEndpoints(ctx context.Context, groupARN string, endpointIDs []string) error {
	if len(endpointIDs) > maxEndpoints {
		return model.Violation(codeInvalidArgument, "endpointIdentifiers", "["+strings.Join(endpointIDs, ", ")+"]",
			fmt.Sprintf("Member must have length less than or equal to %d", maxEndpoints))
	}
	for i, id := range endpointIDs {
		if err := checkLength(fmt.Sprintf("endpointIdentifiers.%d.member.endpointId", i+1), id, 0, maxGenericString); err != nil {
			return err
		}
	}
	_, err := s.updateGroup(ctx, groupARN, func(g *model.EndpointGroup) error {
		for _, id := range endpointIDs {
			i := slices.IndexFunc(g.Endpoints, func(e model.Endpoint) bool { return e.EndpointID == id })
			if i < 0 {
				return model.BadRequest(codeEndpointNotFound, endpointNotFoundMessage) // model text
			}
			g.Endpoints = slices.Delete(g.Endpoints, i, i+1)
		}
		return nil
	})
	return err
}

// updateGroup is a read-modify-write of one endpoint group that marks its
// accelerator IN_PROGRESS after the write.
func (s *Service) updateGroup(ctx context.Context, arn string, fn func(*model.EndpointGroup) error) (*model.EndpointGroup, error) {
	g, err := update(ctx, s.d.Store, model.KindEndpointGroup, arn, errEndpointGroupNotFound, fn)
	if err != nil {
		return nil, err
	}
	return g, s.markInProgress(ctx, acceleratorOf(arn))
}

// DeleteEndpointGroup deletes the endpoint group.
func (s *Service) DeleteEndpointGroup(ctx context.Context, arn string) error {
	if err := checkARN(model.KindEndpointGroup, arn); err != nil {
		return err
	}
	if _, err := s.d.Store.Delete(ctx, model.Key(model.KindEndpointGroup, arn), store.Any); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return errEndpointGroupNotFound()
		}
		return fmt.Errorf("delete endpoint group %s: %w", arn, err)
	}
	return s.markInProgress(ctx, acceleratorOf(arn))
}

// Endpoint health states (Global Accelerator's HealthState enum).
const (
	HealthInitial   = "INITIAL"
	HealthHealthy   = "HEALTHY"
	HealthUnhealthy = "UNHEALTHY"
)

// EndpointHealth is a load balancer endpoint's health as DescribeEndpointGroup
// reports it. Global Accelerator takes it from the load balancer: HEALTHY when
// every target group it forwards to has a healthy target; INITIAL while no
// target group has a verdict yet (no record, or every target still initial);
// UNHEALTHY otherwise. Global Accelerator documents HealthReason as null; the
// reason here is gatehouse's explanation and empty when HEALTHY.
func EndpointHealth(snap *model.Snapshot, endpointID string) (state, reason string) {
	if snap.LoadBalancers[endpointID] == nil {
		return HealthUnhealthy, "load balancer not found"
	}
	tgs := snap.LoadBalancerTargetGroups(endpointID)
	if len(tgs) == 0 {
		return HealthUnhealthy, "load balancer forwards to no target group"
	}
	if snap.LoadBalancerHealthy(endpointID) {
		return HealthHealthy, ""
	}
	for _, tg := range tgs {
		h := snap.TargetHealth[tg]
		if h == nil || anyInState(h, model.TargetHealthy) {
			continue // no verdict yet, or this one is fine
		}
		if len(h.Targets) == 0 {
			return HealthUnhealthy, "target group " + tg + " has no targets"
		}
		for _, t := range h.Targets {
			if t.State != model.TargetInitial {
				return HealthUnhealthy, "target group " + tg + " has no healthy target"
			}
		}
	}
	return HealthInitial, "initial health checking"
}

// Health is the endpoint's health in the newest snapshot (see EndpointHealth).
func (s *Service) Health(endpointID string) (state, reason string) {
	if s.d.Feed == nil {
		return HealthInitial, "initial health checking"
	}
	snap, _ := s.d.Feed.Current()
	return EndpointHealth(snap, endpointID)
}

func anyInState(h *model.TargetHealth, state string) bool {
	for _, t := range h.Targets {
		if t.State == state {
			return true
		}
	}
	return false
}
