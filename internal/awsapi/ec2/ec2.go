package ec2

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"gatehouse/internal/awsapi"
	"gatehouse/internal/model"
	"gatehouse/internal/network"
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
// ID returned, so a page stays right when items are added or deleted between
// calls. least is the smallest MaxResults the call accepts (at least 1).
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
	items = slices.Clone(items)
	slices.SortFunc(items, func(a, b *T) int { return strings.Compare(id(a), id(b)) })
	if in.NextToken != "" {
		after, err := base64.RawURLEncoding.DecodeString(in.NextToken)
		if err != nil || len(after) == 0 {
			// UNVERIFIED: EC2's code and text for a token it did not issue.
			return nil, "", model.BadRequest("InvalidPaginationToken", "The specified pagination token is not valid or is expired.")
		}
		i, _ := slices.BinarySearchFunc(items, string(after), func(v *T, s string) int { return strings.Compare(id(v), s) })
		for i < len(items) && id(items[i]) <= string(after) {
			i++
		}
		items = items[i:]
	}
	if len(items) <= n {
		return items, "", nil
	}
	return items[:n], base64.RawURLEncoding.EncodeToString([]byte(id(items[n-1]))), nil
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

// ---- VPCs, subnets, zones ----

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
	vpcs, next, err := page(vpcs, func(v *model.VPC) string { return v.ID }, in.pageIn, 5)
	if err != nil {
		return nil, err
	}
	out := &describeVpcsOut{NextToken: next}
	for _, v := range vpcs {
		out.Vpcs = append(out.Vpcs, vpcOf(a.net.Env(), v))
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
	subnets, next, err := page(subnets, func(s *model.Subnet) string { return s.ID }, in.pageIn, 5)
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
	out := &describeSubnetsOut{NextToken: next}
	for _, s := range subnets {
		out.Subnets = append(out.Subnets, subnetOf(a.net, s, used[s.ID]))
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

// ---- security groups ----

type createGroupIn struct {
	GroupName   string      `query:"GroupName"`
	Description string      `query:"GroupDescription"`
	VpcID       string      `query:"VpcId"`
	TagSpecs    []tagSpecIn `query:"TagSpecification"`
}

type createGroupOut struct {
	GroupID          string `xml:"groupId"`
	Tags             []tag  `xml:"tagSet>item"`
	SecurityGroupArn string `xml:"securityGroupArn"`
}

func (a *api) createSecurityGroup(ctx context.Context, in *createGroupIn) (any, error) {
	tags, err := network.TagsFor("security-group", tagSpecsIn(in.TagSpecs))
	if err != nil {
		return nil, err
	}
	g, err := a.net.CreateSecurityGroup(ctx, in.GroupName, in.Description, in.VpcID, tags)
	if err != nil {
		return nil, err
	}
	return &createGroupOut{GroupID: g.ID, Tags: tagsOf(g.Tags), SecurityGroupArn: a.net.SecurityGroupARN(g.ID)}, nil
}

type describeGroupsIn struct {
	GroupIDs   []string   `query:"GroupId"`
	GroupNames []string   `query:"GroupName"`
	Filters    []filterIn `query:"Filter"`
	pageIn
}

type describeGroupsOut struct {
	SecurityGroups []securityGroup `xml:"securityGroupInfo>item"`
	NextToken      string          `xml:"nextToken,omitempty"`
}

func (a *api) describeSecurityGroups(ctx context.Context, in *describeGroupsIn) (any, error) {
	groups, err := a.net.DescribeSecurityGroups(ctx, in.GroupIDs, in.GroupNames, filtersOf(in.Filters))
	if err != nil {
		return nil, err
	}
	groups, next, err := page(groups, func(g *model.SecurityGroup) string { return g.ID }, in.pageIn, 5)
	if err != nil {
		return nil, err
	}
	out := &describeGroupsOut{NextToken: next}
	for _, g := range groups {
		out.SecurityGroups = append(out.SecurityGroups, securityGroupOf(a.net, g))
	}
	return out, nil
}

// A group is named by GroupId, or by GroupName in the default VPC.
type deleteGroupIn struct {
	GroupID   string `query:"GroupId"`
	GroupName string `query:"GroupName"`
}

type deleteGroupOut struct {
	Return  bool   `xml:"return"`
	GroupID string `xml:"groupId"`
}

func (a *api) deleteSecurityGroup(ctx context.Context, in *deleteGroupIn) (any, error) {
	id, err := a.net.GroupID(ctx, in.GroupID, in.GroupName)
	if err != nil {
		return nil, err
	}
	if err := a.net.DeleteSecurityGroup(ctx, id); err != nil {
		return nil, err
	}
	return &deleteGroupOut{Return: true, GroupID: id}, nil
}

type ipRangeIn struct {
	CidrIP string `query:"CidrIp"`
}

type ipv6RangeIn struct {
	CidrIPv6 string `query:"CidrIpv6"`
}

// groupPairIn is a UserIdGroupPair: a security group as a rule's source, named
// by ID, or by name in the default VPC (the CLI's --source-group sends either).
type groupPairIn struct {
	GroupID     string `query:"GroupId"`
	GroupName   string `query:"GroupName"`
	UserID      string `query:"UserId"`
	Description string `query:"Description"`
}

type prefixListIn struct {
	PrefixListID string `query:"PrefixListId"`
}

type permissionIn struct {
	IPProtocol    string         `query:"IpProtocol"`
	FromPort      *int           `query:"FromPort"`
	ToPort        *int           `query:"ToPort"`
	IPRanges      []ipRangeIn    `query:"IpRanges"`
	IPv6Ranges    []ipv6RangeIn  `query:"Ipv6Ranges"`
	Groups        []groupPairIn  `query:"Groups"`
	PrefixListIDs []prefixListIn `query:"PrefixListIds"`
}

// ingressIn is AuthorizeSecurityGroupIngress's and RevokeSecurityGroupIngress's
// request: IpPermissions, or the shorthand of one protocol, port range and CIDR,
// or of a source group by name (SourceSecurityGroupName, default VPC).
type ingressIn struct {
	GroupID          string         `query:"GroupId"`
	GroupName        string         `query:"GroupName"`
	Permissions      []permissionIn `query:"IpPermissions"`
	IPProtocol       string         `query:"IpProtocol"`
	FromPort         *int           `query:"FromPort"`
	ToPort           *int           `query:"ToPort"`
	CidrIP           string         `query:"CidrIp"`
	SourceGroup      string         `query:"SourceSecurityGroupName"`
	SourceGroupOwner string         `query:"SourceSecurityGroupOwnerId"`
	RuleIDs          []string       `query:"SecurityGroupRuleId"`
	TagSpecs         []tagSpecIn    `query:"TagSpecification"`
}

// port is a port the request left out: -1, which EC2 reads as "all" where a
// protocol has no ports and refuses where it has.
func port(p *int) int {
	if p == nil {
		return -1
	}
	return *p
}

// permissions returns the request's rules, sources by CIDR or by security
// group; a group named by name is the default VPC's group of that name.
// Prefix lists cannot be expressed by gatehouse's rules and are refused.
//
// SourceSecurityGroupName without a protocol grants, as EC2 documents, "full
// ICMP, UDP, and TCP access" from that group: three rules.
func (a *api) permissions(ctx context.Context, in *ingressIn) ([]model.IPPermission, error) {
	perms := slices.Clone(in.Permissions)
	var source []groupPairIn
	if in.SourceGroup != "" {
		source = []groupPairIn{{GroupName: in.SourceGroup, UserID: in.SourceGroupOwner}}
	}
	switch {
	case in.IPProtocol != "" || in.CidrIP != "" || in.FromPort != nil || in.ToPort != nil:
		p := permissionIn{IPProtocol: in.IPProtocol, FromPort: in.FromPort, ToPort: in.ToPort, Groups: source}
		if in.CidrIP != "" {
			p.IPRanges = []ipRangeIn{{CidrIP: in.CidrIP}}
		}
		perms = append(perms, p)
	case source != nil:
		all, icmpAll, top := 0, -1, 65535
		perms = append(perms,
			permissionIn{IPProtocol: "icmp", FromPort: &icmpAll, ToPort: &icmpAll, Groups: source},
			permissionIn{IPProtocol: "tcp", FromPort: &all, ToPort: &top, Groups: source},
			permissionIn{IPProtocol: "udp", FromPort: &all, ToPort: &top, Groups: source})
	}
	var out []model.IPPermission
	for _, p := range perms {
		if len(p.PrefixListIDs) > 0 {
			return nil, model.BadRequest("InvalidParameterValue", "gatehouse security groups allow traffic from CIDR ranges and security groups only, not from prefix lists")
		}
		m := model.IPPermission{Protocol: p.IPProtocol, FromPort: port(p.FromPort), ToPort: port(p.ToPort)}
		for _, r := range p.IPRanges {
			m.CIDRs = append(m.CIDRs, r.CidrIP)
		}
		for _, r := range p.IPv6Ranges {
			m.CIDRs = append(m.CIDRs, r.CidrIPv6)
		}
		for _, g := range p.Groups {
			id := g.GroupID
			if id == "" && g.GroupName != "" {
				var err error
				if id, err = a.net.GroupID(ctx, "", g.GroupName); err != nil {
					return nil, err
				}
			}
			m.Groups = append(m.Groups, model.GroupPair{GroupID: id, UserID: g.UserID, Description: g.Description})
		}
		out = append(out, m)
	}
	return out, nil
}

type authorizeOut struct {
	Return bool                `xml:"return"`
	Rules  []securityGroupRule `xml:"securityGroupRuleSet>item"`
}

func (a *api) authorizeIngress(ctx context.Context, in *ingressIn) (any, error) {
	perms, err := a.permissions(ctx, in)
	if err != nil {
		return nil, err
	}
	id, err := a.net.GroupID(ctx, in.GroupID, in.GroupName)
	if err != nil {
		return nil, err
	}
	after, err := a.net.AuthorizeIngress(ctx, id, perms)
	if err != nil {
		return nil, err
	}
	// The rules as stored (a group source with its owner filled in), limited to
	// the ones this request added.
	added := network.Rules(id, perms)
	out := &authorizeOut{Return: true}
	for _, r := range rulesOf(a.net, id, after.Ingress) {
		if slices.ContainsFunc(added, func(n network.Rule) bool { return n.ID == r.ID }) {
			out.Rules = append(out.Rules, r)
		}
	}
	return out, nil
}

type revokedRule struct {
	ID                string `xml:"securityGroupRuleId"`
	GroupID           string `xml:"groupId"`
	IsEgress          bool   `xml:"isEgress"`
	Protocol          string `xml:"ipProtocol"`
	FromPort          int    `xml:"fromPort"`
	ToPort            int    `xml:"toPort"`
	CidrIPv4          string `xml:"cidrIpv4,omitempty"`
	CidrIPv6          string `xml:"cidrIpv6,omitempty"`
	ReferencedGroupID string `xml:"referencedGroupId,omitempty"`
	Description       string `xml:"description,omitempty"`
}

type revokeOut struct {
	Return bool          `xml:"return"`
	Rules  []revokedRule `xml:"revokedSecurityGroupRuleSet>item"`
}

func (a *api) revokeIngress(ctx context.Context, in *ingressIn) (any, error) {
	id, err := a.net.GroupID(ctx, in.GroupID, in.GroupName)
	if err != nil {
		return nil, err
	}
	groups, err := a.net.DescribeSecurityGroups(ctx, []string{id}, nil, nil)
	if err != nil {
		return nil, err
	}
	var after *model.SecurityGroup
	if len(in.RuleIDs) > 0 {
		after, err = a.net.RevokeIngressRules(ctx, id, in.RuleIDs)
	} else {
		var perms []model.IPPermission
		if perms, err = a.permissions(ctx, in); err == nil {
			after, err = a.net.RevokeIngress(ctx, id, perms)
		}
	}
	if err != nil {
		return nil, err
	}
	// The revoked rules: the group's rules before that it lacks after.
	return &revokeOut{Return: true, Rules: revoked(a.net, network.Rules(id, groups[0].Ingress), network.Rules(id, after.Ingress))}, nil
}

// egressIn is AuthorizeSecurityGroupEgress's and RevokeSecurityGroupEgress's
// request: the group by ID, and IpPermissions (or, to revoke, rule IDs). The
// shorthand members of the ingress calls are "Not supported" here, as EC2
// documents; the CLI's --protocol/--port/--cidr send IpPermissions.
type egressIn struct {
	GroupID     string         `query:"GroupId" required:"true"`
	Permissions []permissionIn `query:"IpPermissions"`
	RuleIDs     []string       `query:"SecurityGroupRuleId"`
	TagSpecs    []tagSpecIn    `query:"TagSpecification"`
}

func (a *api) authorizeEgress(ctx context.Context, in *egressIn) (any, error) {
	perms, err := a.permissions(ctx, &ingressIn{Permissions: in.Permissions})
	if err != nil {
		return nil, err
	}
	after, err := a.net.AuthorizeEgress(ctx, in.GroupID, perms)
	if err != nil {
		return nil, err
	}
	added := network.EgressRules(in.GroupID, perms)
	out := &authorizeOut{Return: true}
	for _, r := range network.EgressRules(in.GroupID, after.EgressRules()) {
		if slices.ContainsFunc(added, func(n network.Rule) bool { return n.ID == r.ID }) {
			out.Rules = append(out.Rules, ruleOf(a.net, r))
		}
	}
	return out, nil
}

func (a *api) revokeEgress(ctx context.Context, in *egressIn) (any, error) {
	groups, err := a.net.DescribeSecurityGroups(ctx, []string{in.GroupID}, nil, nil)
	if err != nil {
		return nil, err
	}
	var after *model.SecurityGroup
	if len(in.RuleIDs) > 0 {
		after, err = a.net.RevokeEgressRules(ctx, in.GroupID, in.RuleIDs)
	} else {
		var perms []model.IPPermission
		if perms, err = a.permissions(ctx, &ingressIn{Permissions: in.Permissions}); err == nil {
			after, err = a.net.RevokeEgress(ctx, in.GroupID, perms)
		}
	}
	if err != nil {
		return nil, err
	}
	return &revokeOut{Return: true, Rules: revoked(a.net,
		network.EgressRules(in.GroupID, groups[0].EgressRules()), network.EgressRules(in.GroupID, after.EgressRules()))}, nil
}

// revoked reports the rules of before that after lacks.
func revoked(net *network.Service, before, after []network.Rule) []revokedRule {
	var out []revokedRule
	for _, r := range before {
		if slices.ContainsFunc(after, func(k network.Rule) bool { return k.ID == r.ID }) {
			continue
		}
		sr := ruleOf(net, r)
		rr := revokedRule{ID: sr.ID, GroupID: sr.GroupID, IsEgress: sr.IsEgress, Protocol: sr.Protocol, FromPort: sr.FromPort, ToPort: sr.ToPort,
			CidrIPv4: sr.CidrIPv4, CidrIPv6: sr.CidrIPv6, Description: sr.Description}
		if sr.Referenced != nil {
			rr.ReferencedGroupID = sr.Referenced.GroupID
		}
		out = append(out, rr)
	}
	return out
}

type describeRulesIn struct {
	RuleIDs []string   `query:"SecurityGroupRuleId"`
	Filters []filterIn `query:"Filter"`
	pageIn
}

type describeRulesOut struct {
	Rules     []securityGroupRule `xml:"securityGroupRuleSet>item"`
	NextToken string              `xml:"nextToken,omitempty"`
}

func (a *api) describeSecurityGroupRules(ctx context.Context, in *describeRulesIn) (any, error) {
	rules, err := a.net.DescribeSecurityGroupRules(ctx, in.RuleIDs, filtersOf(in.Filters))
	if err != nil {
		return nil, err
	}
	rules, next, err := page(rules, func(r *network.Rule) string { return r.ID }, in.pageIn, 5)
	if err != nil {
		return nil, err
	}
	out := &describeRulesOut{NextToken: next}
	for _, r := range rules {
		out.Rules = append(out.Rules, ruleOf(a.net, *r))
	}
	return out, nil
}

// ---- VPC endpoints ----

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
	// DescribeVpcEndpoints documents no lower bound on MaxResults.
	eps, next, err := page(eps, func(e *model.VpcEndpoint) string { return e.ID }, in.pageIn, 1)
	if err != nil {
		return nil, err
	}
	names, err := a.groupNames(ctx)
	if err != nil {
		return nil, err
	}
	out := &describeEndpointsOut{NextToken: next}
	for _, e := range eps {
		out.VpcEndpoints = append(out.VpcEndpoints, vpcEndpointOf(a.net.Env(), e, names))
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

// ---- network interfaces and tags ----

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
	enis, next, err := page(enis, func(n *model.NetworkInterface) string { return n.ID }, in.pageIn, 5)
	if err != nil {
		return nil, err
	}
	names, err := a.groupNames(ctx)
	if err != nil {
		return nil, err
	}
	out := &describeInterfacesOut{NextToken: next}
	for _, n := range enis {
		out.NetworkInterfaces = append(out.NetworkInterfaces, networkInterfaceOf(a.net.Env(), n, names))
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
