package network

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"gatehouse/internal/ipam"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// Network interfaces of interface endpoints: one per subnet, each holding an
// address claimed through ipam for as long as it exists.

// createInterfaces creates one network interface per subnet for ep, each with an
// address claimed from its subnet, each written only if groupConds (the
// endpoint's security groups as checked) hold, so no interface names a group
// deleted meanwhile. On failure it undoes what it did; ErrConflict means a
// group changed.
func (s *Service) createInterfaces(ctx context.Context, ep *model.VpcEndpoint, subnets []*model.Subnet, groupConds []store.Cond) ([]*model.NetworkInterface, error) {
	var done []*model.NetworkInterface
	for _, sn := range subnets {
		n := &model.NetworkInterface{
			ID:               "eni-" + model.RandomHex(17),
			SubnetID:         sn.ID,
			VpcID:            sn.VpcID,
			AvailabilityZone: sn.AvailabilityZone,
			Description:      "VPC Endpoint Interface " + ep.ID,
			InterfaceType:    "vpc_endpoint",
			VpcEndpointID:    ep.ID,
			SecurityGroupIDs: ep.SecurityGroupIDs,
		}
		ip, err := ipam.Allocate(ctx, s.st, sn.CIDR, n.ID)
		if err != nil {
			s.deleteInterfaces(ctx, done)
			if errors.Is(err, ipam.ErrExhausted) {
				// best match
				return nil, ec2Error("InsufficientFreeAddressesInSubnet", "There are not enough free addresses in subnet '%s' to satisfy the requested number of instances.", sn.ID)
			}
			return nil, fmt.Errorf("claim address in %s: %w", sn.ID, err)
		}
		n.PrivateIP = ip.String()
		key := model.Key(model.KindNetworkIface, n.ID)
		put, err := store.SaveOp(key, n)
		if err == nil {
			_, err = s.st.Txn(ctx, append(slices.Clone(groupConds), store.KeyIs(key, 0)), []store.Op{put})
		}
		if err != nil {
			ipam.Release(ctx, s.st, n.PrivateIP)
			s.deleteInterfaces(ctx, done)
			if errors.Is(err, store.ErrConflict) {
				return nil, err
			}
			return nil, fmt.Errorf("create network interface: %w", err)
		}
		done = append(done, n)
	}
	return done, nil
}

// deleteInterfaces deletes network interfaces and releases their addresses. The
// record goes first: an address is never free while an interface still names it.
func (s *Service) deleteInterfaces(ctx context.Context, enis []*model.NetworkInterface) error {
	var errs []error
	for _, n := range enis {
		if _, err := s.st.Delete(ctx, model.Key(model.KindNetworkIface, n.ID), store.Any); err != nil && !errors.Is(err, store.ErrNotFound) {
			errs = append(errs, fmt.Errorf("delete network interface %s: %w", n.ID, err))
			continue
		}
		if err := ipam.Release(ctx, s.st, n.PrivateIP); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
