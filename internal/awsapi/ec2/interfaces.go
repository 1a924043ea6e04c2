package ec2

import (
	"context"

	"gatehouse/internal/model"
)

// Network interfaces and tags.

type describeInterfacesIn struct {
	NetworkInterfaceIDs []string   `query:"NetworkInterfaceId"`
	Filters             []filterIn `query:"Filter"`
	pageIn
}

type describeInterfacesOut struct {
	NetworkInterfaces []networkInterface `xml:"networkInterfaceSet>item"`
	NextToken         string             `xml:"nextToken,omitempty"`
}

func (a *api) describeNetworkInterfaces(ctx context.Context, in *describeInterfacesIn) (any, error) {
	enis, err := a.net.DescribeNetworkInterfaces(ctx, in.NetworkInterfaceIDs, filtersOf(in.Filters))
	if err != nil {
		return nil, err
	}
	names, err := a.groupNames(ctx)
	if err != nil {
		return nil, err
	}
	out := &describeInterfacesOut{}
	out.NetworkInterfaces, out.NextToken, err = pageOf(enis, func(n *model.NetworkInterface) string { return n.ID }, in.pageIn, 5,
		func(n *model.NetworkInterface) networkInterface { return networkInterfaceOf(a.net.Env(), n, names) })
	if err != nil {
		return nil, err
	}
	return out, nil
}

type tagsReqIn struct {
	ResourceIDs []string `query:"ResourceId"`
	Tags        []tagIn  `query:"Tag"`
}

func (a *api) createTags(ctx context.Context, in *tagsReqIn) (any, error) {
	if err := a.net.CreateTags(ctx, in.ResourceIDs, tagsIn(in.Tags)); err != nil {
		return nil, err
	}
	return &returnOut{Return: true}, nil
}

func (a *api) deleteTags(ctx context.Context, in *tagsReqIn) (any, error) {
	if err := a.net.DeleteTags(ctx, in.ResourceIDs, tagsIn(in.Tags)); err != nil {
		return nil, err
	}
	return &returnOut{Return: true}, nil
}
