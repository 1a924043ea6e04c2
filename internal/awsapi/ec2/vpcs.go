package ec2

import (
	"context"

	"gatehouse/internal/model"
)

// VPCs, subnets and availability zones: Describe only (the default VPC is
// gatehouse's own).

type describeVpcsIn struct {
	VpcIDs  []string   `query:"VpcId"`
	Filters []filterIn `query:"Filter"`
	pageIn
}

type describeVpcsOut struct {
	Vpcs      []vpc  `xml:"vpcSet>item"`
	NextToken string `xml:"nextToken,omitempty"`
}

func (a *api) describeVpcs(ctx context.Context, in *describeVpcsIn) (any, error) {
	vpcs, err := a.net.DescribeVpcs(ctx, in.VpcIDs, filtersOf(in.Filters))
	if err != nil {
		return nil, err
	}
	out := &describeVpcsOut{}
	out.Vpcs, out.NextToken, err = pageOf(vpcs, func(v *model.VPC) string { return v.ID }, in.pageIn, 5,
		func(v *model.VPC) vpc { return vpcOf(a.net.Env(), v) })
	if err != nil {
		return nil, err
	}
	return out, nil
}

type describeSubnetsIn struct {
	SubnetIDs []string   `query:"SubnetId"`
	Filters   []filterIn `query:"Filter"`
	pageIn
}

type describeSubnetsOut struct {
	Subnets   []subnet `xml:"subnetSet>item"`
	NextToken string   `xml:"nextToken,omitempty"`
}

func (a *api) describeSubnets(ctx context.Context, in *describeSubnetsIn) (any, error) {
	subnets, err := a.net.DescribeSubnets(ctx, in.SubnetIDs, filtersOf(in.Filters))
	if err != nil {
		return nil, err
	}
	enis, err := a.net.DescribeNetworkInterfaces(ctx, nil, nil)
	if err != nil {
		return nil, err
	}
	used := map[string]int{}
	for _, n := range enis {
		used[n.SubnetID]++
	}
	out := &describeSubnetsOut{}
	out.Subnets, out.NextToken, err = pageOf(subnets, func(s *model.Subnet) string { return s.ID }, in.pageIn, 5,
		func(s *model.Subnet) subnet { return subnetOf(a.net, s, used[s.ID]) })
	if err != nil {
		return nil, err
	}
	return out, nil
}

type describeZonesIn struct {
	ZoneNames            []string   `query:"ZoneName"`
	ZoneIDs              []string   `query:"ZoneId"`
	Filters              []filterIn `query:"Filter"`
	AllAvailabilityZones bool       `query:"AllAvailabilityZones"`
}

type describeZonesOut struct {
	Zones []zone `xml:"availabilityZoneInfo>item"`
}

func (a *api) describeAvailabilityZones(ctx context.Context, in *describeZonesIn) (any, error) {
	zones, err := a.net.DescribeAvailabilityZones(ctx, in.ZoneNames, in.ZoneIDs, filtersOf(in.Filters))
	if err != nil {
		return nil, err
	}
	out := &describeZonesOut{}
	for _, z := range zones {
		out.Zones = append(out.Zones, zoneOf(z))
	}
	return out, nil
}
