package elbv2

import (
	"context"

	"gatehouse/internal/balancer"
	"gatehouse/internal/model"
)

type lbsResult struct {
	LoadBalancers []lbOut `xml:"LoadBalancers>member"`
	NextMarker    string  `xml:"NextMarker,omitempty"`
}

type createLoadBalancerIn struct {
	Name           string   `query:"Name" required:"true"`
	Subnets        []string `query:"Subnets"`
	SubnetMappings []struct {
		SubnetID           string `query:"SubnetId" required:"true"`
		AllocationID       string `query:"AllocationId"`
		PrivateIPv4Address string `query:"PrivateIPv4Address"`
	} `query:"SubnetMappings"`
	SecurityGroups []string `query:"SecurityGroups"`
	Scheme         string   `query:"Scheme"`
	Tags           []tagIn  `query:"Tags"`
	Type           string   `query:"Type"`
	IPAddressType  string   `query:"IpAddressType"`
}

func (a api) createLoadBalancer(ctx context.Context, in *createLoadBalancerIn) (any, error) {
	subnets := in.Subnets
	for _, m := range in.SubnetMappings {
		if m.AllocationID != "" || m.PrivateIPv4Address != "" {
			// Nodes take their addresses from the subnet's pool.
			return nil, model.BadRequest("InvalidConfigurationRequest", "gatehouse does not serve subnet mappings with an allocation id or a private IPv4 address") // gatehouse's own text
		}
		subnets = append(subnets, m.SubnetID)
	}
	tags, err := tagMap(in.Tags)
	if err != nil {
		return nil, err
	}
	lb, err := a.b.CreateLoadBalancer(ctx, balancer.CreateLBInput{Name: in.Name, SubnetIDs: subnets,
		SecurityGroupIDs: in.SecurityGroups, Scheme: in.Scheme, Type: in.Type, IPAddressType: in.IPAddressType, Tags: tags})
	if err != nil {
		return nil, err
	}
	return lbsResult{LoadBalancers: lbsOut([]*model.LoadBalancer{lb})}, nil
}

type describeLoadBalancersIn struct {
	LoadBalancerArns []string `query:"LoadBalancerArns"`
	Names            []string `query:"Names"`
	pageIn
}

func (a api) describeLoadBalancers(ctx context.Context, in *describeLoadBalancersIn) (any, error) {
	lbs, err := a.b.DescribeLoadBalancers(ctx, in.LoadBalancerArns, in.Names)
	if err != nil {
		return nil, err
	}
	pg, next, err := page(in.pageIn, lbs, listed(lbs, len(in.LoadBalancerArns)+len(in.Names) > 0,
		func(lb *model.LoadBalancer) string { return lb.ARN }))
	if err != nil {
		return nil, err
	}
	return lbsResult{LoadBalancers: lbsOut(pg), NextMarker: next}, nil
}

// lbARNIn names one load balancer.
type lbARNIn struct {
	LoadBalancerArn string `query:"LoadBalancerArn" required:"true"`
}

func (a api) deleteLoadBalancer(ctx context.Context, in *lbARNIn) (any, error) {
	return nil, a.b.DeleteLoadBalancer(ctx, in.LoadBalancerArn)
}

func (a api) describeLoadBalancerAttributes(ctx context.Context, in *lbARNIn) (any, error) {
	return attributes(a.b.DescribeLoadBalancerAttributes(ctx, in.LoadBalancerArn))
}

type modifyLoadBalancerAttributesIn struct {
	LoadBalancerArn string        `query:"LoadBalancerArn" required:"true"`
	Attributes      []attributeIn `query:"Attributes" required:"true"`
}

func (a api) modifyLoadBalancerAttributes(ctx context.Context, in *modifyLoadBalancerAttributesIn) (any, error) {
	return attributes(a.b.ModifyLoadBalancerAttributes(ctx, in.LoadBalancerArn, attributeMap(in.Attributes)))
}
