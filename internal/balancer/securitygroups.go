package balancer

import (
	"context"
	"errors"
	"slices"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// A load balancer's security groups are attached to its nodes' network
// interfaces. The balancer filters nothing by them: they matter where another
// group names them as a rule's source (the network service admits the nodes'
// addresses to an endpoint whose group allows the load balancer's group).

// SetSecurityGroups replaces the load balancer's security groups, as ELBv2's
// SetSecurityGroups does, and returns the groups it now has. The groups must
// exist in the load balancer's VPC; at least one is required.
func (s *Service) SetSecurityGroups(ctx context.Context, arn string, ids []string) ([]string, error) {
	ids = dedupeIDs(ids)
	if len(ids) == 0 {
		// best match: the Coral text of a missing required member.
		return nil, notNull("securityGroups")
	}
	s.opMu.Lock()
	defer s.opMu.Unlock()
	lb, err := s.loadLB(ctx, arn)
	if err != nil {
		return nil, err
	}
	sgs, err := s.securityGroups(ctx, lb.VpcID, ids)
	if err != nil {
		return nil, err
	}
	lb, err = s.updateLB(ctx, arn, func(v *model.LoadBalancer) error {
		v.SecurityGroupIDs = sgs
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The nodes' interfaces follow, so describe-network-interfaces lists the
	// new groups. Admission reads the load balancer's own record, so an
	// interface left behind here changes no traffic.
	for _, n := range lb.Nodes {
		_, err := store.Update(ctx, s.d.Store, model.Key(model.KindNetworkIface, n.NetworkInterfaceID), func(v *model.NetworkInterface) error {
			v.SecurityGroupIDs = slices.Clone(sgs)
			return nil
		})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.d.Log.Warn("update load balancer interface security groups", "eni", n.NetworkInterfaceID, "err", err)
		}
	}
	return slices.Clone(lb.SecurityGroupIDs), nil
}

func dedupeIDs(ids []string) []string {
	var out []string
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}
