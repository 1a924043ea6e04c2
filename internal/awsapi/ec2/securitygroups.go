package ec2

import (
	"context"
	"slices"

	"gatehouse/internal/model"
	"gatehouse/internal/network"
)

// Security groups and their rules, inbound and outbound.

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
	out := &describeGroupsOut{}
	out.SecurityGroups, out.NextToken, err = pageOf(groups, func(g *model.SecurityGroup) string { return g.ID }, in.pageIn, 5,
		func(g *model.SecurityGroup) securityGroup { return securityGroupOf(a.net, g) })
	if err != nil {
		return nil, err
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
	out := &describeRulesOut{}
	out.Rules, out.NextToken, err = pageOf(rules, func(r *network.Rule) string { return r.ID }, in.pageIn, 5,
		func(r *network.Rule) securityGroupRule { return ruleOf(a.net, *r) })
	if err != nil {
		return nil, err
	}
	return out, nil
}
