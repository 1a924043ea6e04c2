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
	// No mutex: the load balancer is written over its revision as read and
	// conditioned on the groups as checked, so a group deleted on any node
	// in between is never attached: the retry answers InvalidSecurityGroup.
	lb, err := retryOnConflict(ctx, func() (*model.LoadBalancer, error) {
		key := model.Key(model.KindLoadBalancer, arn)
		lb, rev, err := store.LoadOr[model.LoadBalancer](ctx, s.d.Store, key, lbNotFound)
		if err != nil {
			return nil, err
		}
		sgs, conds, err := s.securityGroups(ctx, lb.VpcID, ids)
		if err != nil {
			return nil, err
		}
		lb.SecurityGroupIDs = sgs
		op, err := store.SaveOp(key, lb)
		if err != nil {
			return nil, err
		}
		_, err = s.d.Store.Txn(ctx, append(conds, store.KeyIs(key, rev)), []store.Op{op})
		return lb, err
	})
	if err != nil {
		return nil, err
	}
	sgs := lb.SecurityGroupIDs
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
