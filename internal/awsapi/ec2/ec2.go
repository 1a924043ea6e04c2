package ec2

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"gatehouse/internal/awsapi"
	"gatehouse/internal/model"
	"gatehouse/internal/network"
	"gatehouse/internal/paging"
)

// New returns EC2's wire mapping onto net's operations.
func New(net *network.Service) *awsapi.Service {
	a := &api{net: net}
	return &awsapi.Service{
		Name:         "ec2",
		Protocol:     awsapi.EC2,
		BadInput:     "InvalidParameterValue",
		Version:      "2016-11-15",
		XMLNamespace: "http://ec2.amazonaws.com/doc/2016-11-15/",
		Handler: awsapi.QueryOps(map[string]awsapi.QueryOp{
			"DescribeVpcs":                  op(a.describeVpcs),
			"DescribeSubnets":               op(a.describeSubnets),
			"DescribeAvailabilityZones":     op(a.describeAvailabilityZones),
			"CreateSecurityGroup":           op(a.createSecurityGroup),
			"DescribeSecurityGroups":        op(a.describeSecurityGroups),
			"DeleteSecurityGroup":           op(a.deleteSecurityGroup),
			"AuthorizeSecurityGroupIngress": op(a.authorizeIngress),
			"RevokeSecurityGroupIngress":    op(a.revokeIngress),
			"DescribeSecurityGroupRules":    op(a.describeSecurityGroupRules),
			"AuthorizeSecurityGroupEgress":  op(a.authorizeEgress),
			"RevokeSecurityGroupEgress":     op(a.revokeEgress),
			"CreateVpcEndpoint":             op(a.createVpcEndpoint),
			"DescribeVpcEndpoints":          op(a.describeVpcEndpoints),
			"ModifyVpcEndpoint":             op(a.modifyVpcEndpoint),
			"DeleteVpcEndpoints":            op(a.deleteVpcEndpoints),
			"DescribeNetworkInterfaces":     op(a.describeNetworkInterfaces),
			"CreateTags":                    op(a.createTags),
			"DeleteTags":                    op(a.deleteTags),
		}),
	}
}

type api struct{ net *network.Service }

// op adapts an operation on a decoded input (awsapi.QueryOf). A DryRun request
// is decoded too (so a malformed one still fails) and then answered as EC2
// answers a dry run the caller is allowed to make.
func op[In any](fn func(ctx context.Context, in *In) (any, error)) awsapi.QueryOp {
	run := awsapi.QueryOf(fn)
	dryRun := awsapi.QueryOf(func(context.Context, *In) (any, error) {
		return nil, model.Errorf(http.StatusPreconditionFailed, "DryRunOperation", "Request would have succeeded, but DryRun flag is set.")
	})
	return func(ctx context.Context, form url.Values) (any, error) {
		if dry, _ := strconv.ParseBool(form.Get("DryRun")); dry {
			return dryRun(ctx, form)
		}
		return run(ctx, form)
	}
}

// ---- shared input shapes ----

type filterIn struct {
	Name   string   `query:"Name"`
	Values []string `query:"Value"`
}

// filtersOf merges the request's filters by name: two filters of one name
// match what either matches.
func filtersOf(in []filterIn) network.Filters {
	if len(in) == 0 {
		return nil
	}
	f := network.Filters{}
	for _, x := range in {
		f[x.Name] = append(f[x.Name], x.Values...)
	}
	return f
}

type tagIn struct {
	Key   string  `query:"Key"`
	Value *string `query:"Value"`
}

func tagsIn(in []tagIn) []network.Tag {
	out := make([]network.Tag, 0, len(in))
	for _, t := range in {
		out = append(out, network.Tag{Key: t.Key, Value: t.Value})
	}
	return out
}

type tagSpecIn struct {
	ResourceType string  `query:"ResourceType"`
	Tags         []tagIn `query:"Tag"`
}

func tagSpecsIn(in []tagSpecIn) []network.TagSpec {
	out := make([]network.TagSpec, 0, len(in))
	for _, s := range in {
		out = append(out, network.TagSpec{ResourceType: s.ResourceType, Tags: tagsIn(s.Tags)})
	}
	return out
}

// pageIn is the paging of a Describe call, embedded in its input.
type pageIn struct {
	MaxResults *int   `query:"MaxResults"`
	NextToken  string `query:"NextToken"`
}

// maxPage is the most items EC2 returns in one page.
const maxPage = 1000

// page cuts the items, sorted by ID, to the page the request asks for and
// returns the token of the next page ("" on the last). The token is the last
// ID returned (paging.Keyset), so a page stays right when items are added or
// deleted between calls. least is the smallest MaxResults the call accepts (at
// least 1).
func page[T any](items []*T, id func(*T) string, in pageIn, least int) ([]*T, string, error) {
	if in.MaxResults == nil && in.NextToken == "" {
		return items, "", nil
	}
	n := maxPage
	if in.MaxResults != nil {
		if *in.MaxResults < least {
			// UNVERIFIED: EC2's text for a MaxResults below its minimum.
			return nil, "", model.BadRequest("InvalidParameterValue", "Value ( %d ) for parameter maxResults is invalid. Expecting a value greater than %d.", *in.MaxResults, least)
		}
		n = min(*in.MaxResults, maxPage)
	}
	items, next, ok := paging.Keyset[*T]{Key: id}.Page(items, in.NextToken, n)
	if !ok {
		// UNVERIFIED: EC2's code and text for a token it did not issue.
		return nil, "", model.BadRequest("InvalidPaginationToken", "The specified pagination token is not valid or is expired.")
	}
	return items, next, nil
}

// pageOf pages what a Describe operation returned as page does and renders
// the page's items with render.
func pageOf[T, W any](items []*T, id func(*T) string, in pageIn, least int, render func(*T) W) ([]W, string, error) {
	items, next, err := page(items, id, in, least)
	if err != nil {
		return nil, "", err
	}
	out := make([]W, 0, len(items))
	for _, v := range items {
		out = append(out, render(v))
	}
	return out, next, nil
}

// groupNames maps every security group's ID to its name, for the groupSet of
// endpoints and interfaces.
func (a *api) groupNames(ctx context.Context) (map[string]string, error) {
	groups, err := a.net.DescribeSecurityGroups(ctx, nil, nil, nil)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, g := range groups {
		names[g.ID] = g.Name
	}
	return names, nil
}
