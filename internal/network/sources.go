package network

import (
	"context"
	"net/netip"
	"slices"
	"strings"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// Security groups as rule sources. A rule may name a security group instead of
// a CIDR (EC2's UserIdGroupPairs): it then admits traffic from every network
// interface the group is attached to. The operations check that the group
// exists in the VPC, keep a referenced group from being deleted, and report the
// rules (DescribeSecurityGroupRules); compile expands each referenced group into
// the /32s of its members' interfaces (groupMembers), so admission follows the
// members with the next snapshot.

// maxRuleDescription is EC2's limit on a rule's description (UserIdGroupPair
// Description: "Up to 255 characters in length").
const maxRuleDescription = 255

// ruleDescriptionChars is the set EC2 documents for a rule description besides
// letters and digits: "a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=;{}!$*" (and
// "&", which its error message lists too).
const ruleDescriptionChars = " ._-:/()#,@[]+=&;{}!$*"

// groupAtom checks one group source of a permission and returns it as an atom.
func groupAtom(proto string, from, to int, g model.GroupPair) (atom, error) {
	id := strings.TrimSpace(g.GroupID)
	switch {
	case id == "":
		return atom{}, errMissing("GroupId") // best match
	case !strings.HasPrefix(id, "sg-"):
		// best match: recalled from EC2's answers for a malformed group ID.
		return atom{}, ec2Error("InvalidGroupId.Malformed", "Invalid id: \"%s\" (expecting \"sg-...\")", model.Clip(id))
	}
	if !validRuleDescription(g.Description) {
		// recalled from EC2's answers; the set it lists is the documented one.
		return atom{}, errInvalidValue("Invalid rule description. Valid descriptions are strings less than 256 characters from the following set:  a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*")
	}
	return atom{proto: proto, from: from, to: to, group: id, user: g.UserID, desc: g.Description}, nil
}

func validRuleDescription(d string) bool {
	if len(d) > maxRuleDescription {
		return false
	}
	for _, r := range d {
		ok := 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune(ruleDescriptionChars, r)
		if !ok {
			return false
		}
	}
	return true
}

// checkSourceGroups checks that every group source among atoms exists, in the
// VPC of group groupID and in this account, and returns the atoms with the
// owning account filled in, as EC2 reports it, and the conditions that the
// source groups are as checked: a rule is written only if every group it names
// still exists (DeleteSecurityGroup's Txn, in turn, fails if a rule came).
func (s *Service) checkSourceGroups(ctx context.Context, groupID string, atoms []atom) ([]atom, []store.Cond, error) {
	if !slices.ContainsFunc(atoms, func(a atom) bool { return a.group != "" }) {
		return atoms, nil, nil
	}
	sg, _, err := s.loadGroup(ctx, groupID)
	if err != nil {
		return nil, nil, err
	}
	var conds []store.Cond
	out := slices.Clone(atoms)
	for i, a := range out {
		if a.group == "" {
			continue
		}
		if a.user != "" && a.user != s.env.Account {
			// Another account's groups do not exist here. best match
			return nil, nil, errGroupNotFound(a.group)
		}
		out[i].user = s.env.Account
		if a.group == groupID {
			continue // a group may admit its own members
		}
		src, rev, err := s.loadGroup(ctx, a.group)
		if err != nil {
			return nil, nil, err
		}
		if src.VpcID != sg.VpcID {
			// best match: the code EC2 gives a group of another, unpeered VPC.
			return nil, nil, errInvalidParam("You have specified two resources that belong to different networks.")
		}
		key := model.Key(model.KindSecurityGroup, a.group)
		if !slices.ContainsFunc(conds, func(c store.Cond) bool { return c.Key == key }) {
			conds = append(conds, store.KeyIs(key, rev))
		}
	}
	return out, conds, nil
}

// groupReferenced reports whether a rule (inbound or outbound) of another
// group names group id as its source or destination, and the condition that
// no group changed since.
func (s *Service) groupReferenced(ctx context.Context, id string) (bool, store.Cond, error) {
	groups, rev, err := store.LoadAllAt[model.SecurityGroup](ctx, s.st, model.Prefix(model.KindSecurityGroup))
	if err != nil {
		return false, store.Cond{}, err
	}
	used := slices.ContainsFunc(groups, func(g *model.SecurityGroup) bool { return g.ID != id && referencesGroup(g, id) })
	return used, store.NoneAfter(model.Prefix(model.KindSecurityGroup), rev), nil
}

func referencesGroup(g *model.SecurityGroup, id string) bool {
	for _, p := range slices.Concat(g.Ingress, g.Egress) {
		if slices.ContainsFunc(p.Groups, func(pair model.GroupPair) bool { return pair.GroupID == id }) {
			return true
		}
	}
	return false
}

// DescribeSecurityGroupRules returns the rules with the given IDs (every rule of
// every group if none, inbound and outbound) that match the filters, sorted by
// group and rule ID.
// Besides the tag filters (rules carry no tags, so those match nothing) it
// accepts EC2's "group-id" and "security-group-rule-id".
func (s *Service) DescribeSecurityGroupRules(ctx context.Context, ruleIDs []string, f Filters) ([]*Rule, error) {
	groups, err := store.LoadAll[model.SecurityGroup](ctx, s.st, model.Prefix(model.KindSecurityGroup))
	if err != nil {
		return nil, err
	}
	slices.SortFunc(groups, func(a, b *model.SecurityGroup) int { return strings.Compare(a.ID, b.ID) })
	var all []*Rule
	for _, g := range groups {
		rules := slices.Concat(Rules(g.ID, g.Ingress), EgressRules(g.ID, g.EgressRules()))
		slices.SortFunc(rules, func(a, b Rule) int { return strings.Compare(a.ID, b.ID) })
		for i := range rules {
			all = append(all, &rules[i])
		}
	}
	if len(ruleIDs) > 0 {
		var picked []*Rule
		for _, id := range dedupe(ruleIDs) {
			i := slices.IndexFunc(all, func(r *Rule) bool { return r.ID == id })
			if i < 0 {
				// UNVERIFIED: EC2's text for an unknown rule ID (as RevokeIngressRules).
				return nil, ec2Error("InvalidSecurityGroupRuleId.NotFound", "The security group rule ID '%s' does not exist", id)
			}
			picked = append(picked, all[i])
		}
		all = picked
	}
	fs := fields[Rule]{
		"group-id":               func(r *Rule) []string { return one(r.GroupID) },
		"security-group-rule-id": func(r *Rule) []string { return one(r.ID) },
	}
	return filter(all, f, fs, func(*Rule) map[string]string { return nil })
}

// groupMembers maps every security group to the addresses of the network
// interfaces it is attached to, each a /32 (or /128), sorted and once. The
// owner of an interface is the authority on its groups: a load balancer's
// SecurityGroupIDs for its nodes, an endpoint's for its interfaces, so a group
// change applies in the same snapshot as the owner's record even before the
// interface records follow; an interface that no owner claims counts by its
// own SecurityGroupIDs. Pure: part of compile.
func groupMembers(snap *model.Snapshot) map[string][]netip.Prefix {
	members := map[string][]netip.Prefix{}
	owned := map[string]bool{}
	add := func(ip string, groups []string) {
		addr, err := netip.ParseAddr(ip)
		if err != nil {
			return // a bad record admits nothing
		}
		addr = addr.Unmap()
		for _, g := range groups {
			members[g] = append(members[g], netip.PrefixFrom(addr, addr.BitLen()))
		}
	}
	for _, lb := range snap.LoadBalancers {
		for _, n := range lb.Nodes {
			owned[n.NetworkInterfaceID] = true
			add(n.IP, lb.SecurityGroupIDs)
		}
	}
	for _, ep := range snap.VpcEndpoints {
		for _, id := range ep.NetworkInterfaceIDs {
			owned[id] = true
			if eni := snap.NetworkIfaces[id]; eni != nil {
				add(eni.PrivateIP, ep.SecurityGroupIDs)
			}
		}
	}
	for id, eni := range snap.NetworkIfaces {
		if !owned[id] {
			add(eni.PrivateIP, eni.SecurityGroupIDs)
		}
	}
	for g, pfxs := range members {
		slices.SortFunc(pfxs, func(a, b netip.Prefix) int { return a.Addr().Compare(b.Addr()) })
		members[g] = slices.Compact(pfxs)
	}
	return members
}
