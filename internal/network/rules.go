package network

import (
	"context"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// Inbound rules of security groups: EC2's checks of a permission, rules as
// atoms (one source each), and the rules as EC2 reports them.

// atom is one (protocol, port range, source) rule: the unit EC2 compares when
// it reports a duplicate or a missing rule. The source is a CIDR or a security
// group; a group source's account and description are not part of its identity
// (key), so a second rule that differs only in its description is a duplicate.
type atom struct {
	proto    string
	from, to int
	cidr     string // a CIDR source, or
	group    string // a security group source (its ID)
	user     string // group source: the account that owns the group
	desc     string // group source: the rule's description
}

// key is the atom without what does not name the rule.
func (a atom) key() atom {
	a.user, a.desc = "", ""
	return a
}

// source is what EC2 names as the rule's peer: the CIDR or the group ID.
func (a atom) source() string {
	if a.group != "" {
		return a.group
	}
	return a.cidr
}

// hasAtom reports whether atoms hold the rule a.
func hasAtom(atoms []atom, a atom) bool {
	return slices.ContainsFunc(atoms, func(b atom) bool { return b.key() == a.key() })
}

// validPerms checks permissions as EC2 does and returns them as atoms, with
// protocols and ports normalised. A rule listed twice in one request is an error.
func validPerms(perms []model.IPPermission) ([]atom, error) {
	if len(perms) == 0 {
		return nil, errMissing("IpPermissions")
	}
	var out []atom
	for _, p := range perms {
		n := NormalizePermission(p)
		proto, from, to := n.Protocol, n.FromPort, n.ToPort
		switch proto {
		case "":
			return nil, errMissing("IpProtocol")
		case "tcp", "udp":
			// best match: EC2's texts for bad TCP/UDP ranges are not documented.
			for _, port := range []int{from, to} {
				if port < 0 || port > 65535 {
					return nil, errInvalidValue("Invalid value '%d' for portRange. Must be between 0 and 65535.", port)
				}
			}
			if from > to {
				return nil, errInvalidValue("Invalid TCP/UDP port range (%d - %d)", from, to)
			}
		case "icmp":
			for _, v := range []int{from, to} {
				if v < -1 || v > 255 {
					return nil, errInvalidValue("Invalid value '%d' for ICMP type or code. Must be between -1 and 255.", v) // best match
				}
			}
		case "-1":
		default:
			if n, err := strconv.Atoi(proto); err != nil || n < 0 || n > 255 {
				return nil, errInvalidValue("Invalid value '%s' for IP protocol. Unknown protocol.", p.Protocol)
			}
		}
		if len(p.CIDRs) == 0 && len(p.Groups) == 0 {
			return nil, errMissing("IpRanges") // best match
		}
		for _, c := range p.CIDRs {
			pfx, err := netip.ParsePrefix(c)
			if err != nil {
				param := "cidrIp"
				if strings.Contains(c, ":") {
					param = "cidrIpv6"
				}
				return nil, errInvalidValue("Value (%s) for parameter %s is invalid. This is not a valid CIDR block.", c, param)
			}
			if pfx.Masked() != pfx {
				return nil, errInvalidValue("CIDR block %s is malformed", c)
			}
			a := atom{proto: proto, from: from, to: to, cidr: pfx.String()}
			if hasAtom(out, a) {
				return nil, errInvalidValue("The same permission must not appear multiple times")
			}
			out = append(out, a)
		}
		for _, g := range p.Groups {
			a, err := groupAtom(proto, from, to, g)
			if err != nil {
				return nil, err
			}
			if hasAtom(out, a) {
				return nil, errInvalidValue("The same permission must not appear multiple times")
			}
			out = append(out, a)
		}
	}
	return out, nil
}

func atomsOf(perms []model.IPPermission) []atom {
	var out []atom
	for _, p := range perms {
		for _, c := range p.CIDRs {
			out = append(out, atom{proto: p.Protocol, from: p.FromPort, to: p.ToPort, cidr: c})
		}
		for _, g := range p.Groups {
			out = append(out, atom{proto: p.Protocol, from: p.FromPort, to: p.ToPort, group: g.GroupID, user: g.UserID, desc: g.Description})
		}
	}
	return out
}

// permsOf groups atoms by protocol and port range, in first-seen order, as EC2
// reports IpPermissions.
func permsOf(atoms []atom) []model.IPPermission {
	var out []model.IPPermission
	for _, a := range atoms {
		i := slices.IndexFunc(out, func(p model.IPPermission) bool {
			return p.Protocol == a.proto && p.FromPort == a.from && p.ToPort == a.to
		})
		if i < 0 {
			out = append(out, model.IPPermission{Protocol: a.proto, FromPort: a.from, ToPort: a.to})
			i = len(out) - 1
		}
		if a.group != "" {
			out[i].Groups = append(out[i].Groups, model.GroupPair{GroupID: a.group, UserID: a.user, Description: a.desc})
			continue
		}
		out[i].CIDRs = append(out[i].CIDRs, a.cidr)
	}
	return out
}

// AuthorizeIngress adds ingress rules to a security group. If any rule exists
// already, nothing is added (InvalidPermission.Duplicate). A security group
// named as a source must exist in the group's VPC.
func (s *Service) AuthorizeIngress(ctx context.Context, groupID string, perms []model.IPPermission) (*model.SecurityGroup, error) {
	return s.authorize(ctx, groupID, perms, false)
}

// RevokeIngress removes ingress rules from a security group. If any rule does not
// exist, nothing is removed (InvalidPermission.NotFound).
func (s *Service) RevokeIngress(ctx context.Context, groupID string, perms []model.IPPermission) (*model.SecurityGroup, error) {
	return s.revoke(ctx, groupID, perms, false)
}

// RevokeIngressRules removes the rules with the given IDs from a group, or none
// if any ID is not one of the group's rules.
func (s *Service) RevokeIngressRules(ctx context.Context, groupID string, ruleIDs []string) (*model.SecurityGroup, error) {
	return s.revokeRuleIDs(ctx, groupID, ruleIDs, false)
}

// permissionsOfRules returns the rules with the given IDs as permissions, one
// source each, or an error naming the first ID that is not among rules.
func permissionsOfRules(rules []Rule, ids []string) ([]model.IPPermission, error) {
	var perms []model.IPPermission
	for _, id := range dedupe(ids) {
		i := slices.IndexFunc(rules, func(r Rule) bool { return r.ID == id })
		if i < 0 {
			// UNVERIFIED: EC2's text for an unknown rule ID.
			return nil, ec2Error("InvalidSecurityGroupRuleId.NotFound", "The security group rule ID '%s' does not exist", id)
		}
		r := rules[i]
		p := model.IPPermission{Protocol: r.Protocol, FromPort: r.FromPort, ToPort: r.ToPort}
		if r.ReferencedGroup != nil {
			p.Groups = []model.GroupPair{*r.ReferencedGroup}
		} else {
			p.CIDRs = []string{r.CIDR}
		}
		perms = append(perms, p)
	}
	return perms, nil
}

// Inbound and outbound rules are checked, counted and stored the same way;
// egress says which of a group's two lists an operation works on.

// permsIn returns the group's inbound or, with egress, outbound permissions.
func permsIn(sg *model.SecurityGroup, egress bool) []model.IPPermission {
	if egress {
		return sg.EgressRules()
	}
	return sg.Ingress
}

// setPerms replaces the group's inbound or outbound permissions. A group whose
// last outbound rule is revoked keeps none (NoEgress), not EC2's default.
func setPerms(sg *model.SecurityGroup, egress bool, perms []model.IPPermission) {
	if egress {
		sg.Egress, sg.NoEgress = perms, len(perms) == 0
		return
	}
	sg.Ingress = perms
}

// authorize adds rules to one of a group's lists, all or none. The group is
// written in one Txn conditioned on every source group it names being as
// checked, so DeleteSecurityGroup (on any node) never removes a group that a
// rule is about to name as its source.
func (s *Service) authorize(ctx context.Context, groupID string, perms []model.IPPermission, egress bool) (*model.SecurityGroup, error) {
	add, err := validPerms(perms)
	if err != nil {
		return nil, err
	}
	var out *model.SecurityGroup
	err = retryConflict(ctx, func() error {
		add, conds, err := s.checkSourceGroups(ctx, groupID, add)
		if err != nil {
			return err
		}
		key := model.Key(model.KindSecurityGroup, groupID)
		sg, rev, err := s.loadGroup(ctx, groupID)
		if err != nil {
			return err
		}
		have := atomsOf(permsIn(sg, egress))
		for _, a := range add {
			if hasAtom(have, a) {
				return ec2Error("InvalidPermission.Duplicate", "the specified rule %q already exists", peer(a))
			}
		}
		// EC2 counts outbound rules apart from inbound ones, with the same quota.
		if len(have)+len(add) > s.quotas.RulesPerGroup {
			return errRuleLimit()
		}
		setPerms(sg, egress, permsOf(append(have, add...)))
		put, err := store.SaveOp(key, sg)
		if err != nil {
			return err
		}
		// A group naming itself is conditioned once, on the revision just read.
		conds = slices.DeleteFunc(conds, func(c store.Cond) bool { return c.Key == key })
		if _, err := s.st.Txn(ctx, append(conds, store.KeyIs(key, rev)), []store.Op{put}); err != nil {
			return err
		}
		out = sg
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// revoke removes rules from one of a group's lists, all or none.
func (s *Service) revoke(ctx context.Context, groupID string, perms []model.IPPermission, egress bool) (*model.SecurityGroup, error) {
	del, err := validPerms(perms)
	if err != nil {
		return nil, err
	}
	return s.updateGroup(ctx, groupID, func(sg *model.SecurityGroup) error {
		have := atomsOf(permsIn(sg, egress))
		for _, a := range del {
			if !hasAtom(have, a) {
				return ec2Error("InvalidPermission.NotFound", "The specified rule does not exist in this security group.")
			}
		}
		setPerms(sg, egress, permsOf(slices.DeleteFunc(have, func(a atom) bool { return hasAtom(del, a) })))
		return nil
	})
}

// revokeRuleIDs removes the rules with the given IDs from one of a group's
// lists, or none if any ID is not one of that list's rules.
func (s *Service) revokeRuleIDs(ctx context.Context, groupID string, ruleIDs []string, egress bool) (*model.SecurityGroup, error) {
	sg, _, err := s.loadGroup(ctx, groupID)
	if err != nil {
		return nil, err
	}
	perms, err := permissionsOfRules(rules(groupID, permsIn(sg, egress), egress), ruleIDs)
	if err != nil {
		return nil, err
	}
	return s.revoke(ctx, groupID, perms, egress)
}

// Rule is one ingress rule as EC2's SecurityGroupRule reports it. Its ID is
// derived from the group and the rule, so it is stable without being stored.
type Rule struct {
	ID       string // "sgr-…"
	GroupID  string
	Protocol string
	FromPort int
	ToPort   int
	CIDR     string // the source (or, outbound, the destination): a CIDR, or
	// ReferencedGroup is the source (destination) security group (EC2's
	// ReferencedGroupInfo), with the account that owns it and the rule's
	// description.
	ReferencedGroup *model.GroupPair
	IsEgress        bool
}

// Rules returns perms, one rule per source (CIDR or group), as inbound rules of
// groupID. Invalid permissions give no rules: call it with permissions an
// operation accepted.
func Rules(groupID string, perms []model.IPPermission) []Rule { return rules(groupID, perms, false) }

// EgressRules is Rules for outbound rules. Their IDs differ from those of
// inbound rules with the same fields.
func EgressRules(groupID string, perms []model.IPPermission) []Rule {
	return rules(groupID, perms, true)
}

func rules(groupID string, perms []model.IPPermission, egress bool) []Rule {
	atoms, _ := validPerms(perms)
	out := make([]Rule, 0, len(atoms))
	for _, a := range atoms {
		parts := []string{groupID, a.proto, strconv.Itoa(a.from), strconv.Itoa(a.to), a.source()}
		if egress {
			parts = append(parts, "egress")
		}
		r := Rule{
			ID:      "sgr-" + stableHex(17, parts...),
			GroupID: groupID, Protocol: a.proto, FromPort: a.from, ToPort: a.to, CIDR: a.cidr, IsEgress: egress,
		}
		if a.group != "" {
			r.ReferencedGroup = &model.GroupPair{GroupID: a.group, UserID: a.user, Description: a.desc}
		}
		out = append(out, r)
	}
	return out
}
