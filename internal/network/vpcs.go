package network

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// The default VPC and its subnets: created by gatehouse itself (EnsureDefaultVPC),
// with stable IDs, never by a caller.

// EnsureDefaultVPC creates the default VPC, its default security group and one
// subnet per plan entry if they do not exist, and returns the VPC and its subnets
// (sorted by availability zone). It is idempotent, also when several processes
// share one store.
func (s *Service) EnsureDefaultVPC(ctx context.Context) (*model.VPC, []*model.Subnet, error) {
	vpcs, err := store.LoadAll[model.VPC](ctx, s.st, model.Prefix(model.KindVPC))
	if err != nil {
		return nil, nil, fmt.Errorf("load vpcs: %w", err)
	}
	var vpc *model.VPC
	for _, v := range vpcs {
		if v.IsDefault {
			vpc = v
			break
		}
	}
	if vpc == nil {
		if _, err := netip.ParsePrefix(s.cidr); err != nil {
			return nil, nil, fmt.Errorf("default vpc cidr %q: %w", s.cidr, err)
		}
		vpc = &model.VPC{
			ID:        "vpc-" + stableHex(17, "default-vpc", s.env.Account, s.env.Region),
			CIDR:      s.cidr,
			IsDefault: true,
			State:     "available",
		}
		if vpc, err = createOrLoad(ctx, s.st, model.Key(model.KindVPC, vpc.ID), vpc); err != nil {
			return nil, nil, fmt.Errorf("create default vpc: %w", err)
		}
		s.log.Info("created default vpc", "vpc", vpc.ID, "cidr", vpc.CIDR)
	}
	if _, err := s.ensureDefaultGroup(ctx, vpc.ID); err != nil {
		return nil, nil, err
	}
	vpcPfx, err := netip.ParsePrefix(vpc.CIDR)
	if err != nil {
		return nil, nil, fmt.Errorf("default vpc %s cidr %q: %w", vpc.ID, vpc.CIDR, err)
	}
	all, err := store.LoadAll[model.Subnet](ctx, s.st, model.Prefix(model.KindSubnet))
	if err != nil {
		return nil, nil, fmt.Errorf("load subnets: %w", err)
	}
	var subnets []*model.Subnet
	for _, sn := range all {
		if sn.VpcID == vpc.ID {
			subnets = append(subnets, sn)
		}
	}
	for _, p := range s.plan {
		if slices.ContainsFunc(subnets, func(sn *model.Subnet) bool { return sn.AvailabilityZone == p.AZ }) {
			continue
		}
		pfx, err := netip.ParsePrefix(p.CIDR)
		if err != nil || pfx.Masked() != pfx || !vpcPfx.Contains(pfx.Addr()) || pfx.Bits() < vpcPfx.Bits() {
			return nil, nil, fmt.Errorf("subnet plan %s: cidr %q is not a subnet of the vpc's %s", p.AZ, p.CIDR, vpc.CIDR)
		}
		if !strings.HasPrefix(p.AZ, s.env.Region) || len(p.AZ) != len(s.env.Region)+1 {
			return nil, nil, fmt.Errorf("subnet plan %s: availability zone is not in region %s", p.AZ, s.env.Region)
		}
		sn := &model.Subnet{
			ID:                 "subnet-" + stableHex(17, vpc.ID, p.AZ),
			VpcID:              vpc.ID,
			CIDR:               p.CIDR,
			AvailabilityZone:   p.AZ,
			AvailabilityZoneID: azID(s.env.Region, p.AZ),
			DefaultForAz:       true,
		}
		if sn, err = createOrLoad(ctx, s.st, model.Key(model.KindSubnet, sn.ID), sn); err != nil {
			return nil, nil, fmt.Errorf("create subnet %s: %w", p.AZ, err)
		}
		subnets = append(subnets, sn)
	}
	slices.SortFunc(subnets, func(a, b *model.Subnet) int { return strings.Compare(a.AvailabilityZone, b.AvailabilityZone) })
	return vpc, subnets, nil
}

// azID is the availability zone ID of az: "us-west-2a" → "usw2-az1". (EC2 maps
// letters to IDs per account; the embedded default maps them in order.)
func azID(region, az string) string {
	parts := strings.Split(region, "-")
	var b strings.Builder
	for i, p := range parts {
		switch {
		case i == 0 || i == len(parts)-1:
			b.WriteString(p)
		default:
			b.WriteString(directionAbbrev(p))
		}
	}
	n := 1
	if suffix := strings.TrimPrefix(az, region); len(suffix) == 1 && suffix[0] >= 'a' && suffix[0] <= 'z' {
		n = int(suffix[0]-'a') + 1
	}
	return b.String() + "-az" + strconv.Itoa(n)
}

func directionAbbrev(p string) string {
	switch p {
	case "north", "south", "east", "west", "central":
		return p[:1]
	case "northeast", "northwest", "southeast", "southwest":
		return p[:1] + p[5:6]
	case "":
		return ""
	}
	return p[:1]
}

// resolveVpc loads the VPC, or the default VPC when id is empty.
func (s *Service) resolveVpc(ctx context.Context, id string) (*model.VPC, error) {
	if id == "" {
		vpcs, err := store.LoadAll[model.VPC](ctx, s.st, model.Prefix(model.KindVPC))
		if err != nil {
			return nil, err
		}
		for _, v := range vpcs {
			if v.IsDefault {
				return v, nil
			}
		}
		return nil, ec2Error("VPCIdNotSpecified", "No default VPC for this user")
	}
	vpc, _, err := load[model.VPC](ctx, s.st, model.KindVPC, id, errVpcNotFound)
	return vpc, err
}
