package ec2

import (
	"context"

	"gatehouse/internal/model"
	"gatehouse/internal/network"
)

// Interface VPC endpoints.

type createEndpointIn struct {
	VpcID             string      `query:"VpcId"`
	ServiceName       string      `query:"ServiceName"`
	VpcEndpointType   string      `query:"VpcEndpointType"`
	SubnetIDs         []string    `query:"SubnetId"`
	SecurityGroupIDs  []string    `query:"SecurityGroupId"`
	PrivateDNSEnabled *bool       `query:"PrivateDnsEnabled"`
	PolicyDocument    string      `query:"PolicyDocument"`
	TagSpecs          []tagSpecIn `query:"TagSpecification"`
	ClientToken       string      `query:"ClientToken"`
}

type createEndpointOut struct {
	VpcEndpoint vpcEndpoint `xml:"vpcEndpoint"`
	ClientToken string      `xml:"clientToken,omitempty"`
}

func (a *api) createVpcEndpoint(ctx context.Context, in *createEndpointIn) (any, error) {
	tags, err := network.TagsFor("vpc-endpoint", tagSpecsIn(in.TagSpecs))
	if err != nil {
		return nil, err
	}
	ep, err := a.net.CreateVpcEndpoint(ctx, network.CreateEndpointInput{
		VpcID: in.VpcID, ServiceName: in.ServiceName, VpcEndpointType: in.VpcEndpointType, SubnetIDs: in.SubnetIDs,
		SecurityGroupIDs: in.SecurityGroupIDs, PrivateDNSEnabled: in.PrivateDNSEnabled, PolicyDocument: in.PolicyDocument, Tags: tags,
	})
	if err != nil {
		return nil, err
	}
	names, err := a.groupNames(ctx)
	if err != nil {
		return nil, err
	}
	return &createEndpointOut{VpcEndpoint: vpcEndpointOf(a.net.Env(), ep, names), ClientToken: in.ClientToken}, nil
}

type describeEndpointsIn struct {
	VpcEndpointIDs []string   `query:"VpcEndpointId"`
	Filters        []filterIn `query:"Filter"`
	pageIn
}

type describeEndpointsOut struct {
	VpcEndpoints []vpcEndpoint `xml:"vpcEndpointSet>item"`
	NextToken    string        `xml:"nextToken,omitempty"`
}

func (a *api) describeVpcEndpoints(ctx context.Context, in *describeEndpointsIn) (any, error) {
	eps, err := a.net.DescribeVpcEndpoints(ctx, in.VpcEndpointIDs, filtersOf(in.Filters))
	if err != nil {
		return nil, err
	}
	names, err := a.groupNames(ctx)
	if err != nil {
		return nil, err
	}
	out := &describeEndpointsOut{}
	// DescribeVpcEndpoints documents no lower bound on MaxResults.
	out.VpcEndpoints, out.NextToken, err = pageOf(eps, func(e *model.VpcEndpoint) string { return e.ID }, in.pageIn, 1,
		func(e *model.VpcEndpoint) vpcEndpoint { return vpcEndpointOf(a.net.Env(), e, names) })
	if err != nil {
		return nil, err
	}
	return out, nil
}

type modifyEndpointIn struct {
	VpcEndpointID          string   `query:"VpcEndpointId" required:"true"`
	ResetPolicy            bool     `query:"ResetPolicy"`
	PolicyDocument         *string  `query:"PolicyDocument"`
	AddSubnetIDs           []string `query:"AddSubnetId"`
	RemoveSubnetIDs        []string `query:"RemoveSubnetId"`
	AddSecurityGroupIDs    []string `query:"AddSecurityGroupId"`
	RemoveSecurityGroupIDs []string `query:"RemoveSecurityGroupId"`
	PrivateDNSEnabled      *bool    `query:"PrivateDnsEnabled"`
}

type returnOut struct {
	Return bool `xml:"return"`
}

func (a *api) modifyVpcEndpoint(ctx context.Context, in *modifyEndpointIn) (any, error) {
	policy := in.PolicyDocument
	if in.ResetPolicy {
		policy = new(string) // "" is the default policy
	}
	_, err := a.net.ModifyVpcEndpoint(ctx, in.VpcEndpointID, network.ModifyEndpointInput{
		AddSubnetIDs: in.AddSubnetIDs, RemoveSubnetIDs: in.RemoveSubnetIDs,
		AddSecurityGroupIDs: in.AddSecurityGroupIDs, RemoveSecurityGroupIDs: in.RemoveSecurityGroupIDs,
		PolicyDocument: policy, PrivateDNSEnabled: in.PrivateDNSEnabled,
	})
	if err != nil {
		return nil, err
	}
	return &returnOut{Return: true}, nil
}

type deleteEndpointsIn struct {
	VpcEndpointIDs []string `query:"VpcEndpointId"`
}

type deleteEndpointsOut struct {
	Unsuccessful []unsuccessfulItem `xml:"unsuccessful>item"`
}

func (a *api) deleteVpcEndpoints(ctx context.Context, in *deleteEndpointsIn) (any, error) {
	bad, err := a.net.DeleteVpcEndpoints(ctx, in.VpcEndpointIDs)
	if err != nil {
		return nil, err
	}
	out := &deleteEndpointsOut{}
	for _, u := range bad {
		out.Unsuccessful = append(out.Unsuccessful, unsuccessfulItem{Code: u.Code, Message: u.Message, ResourceID: u.ResourceID})
	}
	return out, nil
}
