package elbv2

import "context"

type setSecurityGroupsIn struct {
	LoadBalancerArn string   `query:"LoadBalancerArn" required:"true"`
	SecurityGroups  []string `query:"SecurityGroups"`
	// EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic is for Network Load
	// Balancers only; the decoder leaves it out, as an ALB has no use for it.
}

type setSecurityGroupsOut struct {
	SecurityGroupIDs []string `xml:"SecurityGroupIds>member"`
}

// setSecurityGroups replaces an application load balancer's security groups.
func (a api) setSecurityGroups(ctx context.Context, in *setSecurityGroupsIn) (any, error) {
	ids, err := a.b.SetSecurityGroups(ctx, in.LoadBalancerArn, in.SecurityGroups)
	if err != nil {
		return nil, err
	}
	return setSecurityGroupsOut{SecurityGroupIDs: ids}, nil
}
