package network

import (
	"context"
	"errors"
	"slices"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// Outbound rules. gatehouse filters inbound traffic only (an interface
// endpoint and a load balancer node answer; they open nothing of their own
// that a group could stop), so outbound rules are stored and reported as EC2
// does, with EC2's checks and errors, and change no traffic. A new group has
// EC2's default rule, all traffic to 0.0.0.0/0 (model.DefaultEgress).

// AuthorizeEgress adds outbound rules to a security group. If any rule exists
// already, nothing is added (InvalidPermission.Duplicate).
func (s *Service) AuthorizeEgress(ctx context.Context, groupID string, perms []model.IPPermission) (*model.SecurityGroup, error) {
	add, err := validPerms(perms)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if add, err = s.checkSourceGroups(ctx, groupID, add); err != nil {
		return nil, err
	}
	return s.updateGroup(ctx, groupID, func(sg *model.SecurityGroup) error {
		have := atomsOf(sg.EgressRules())
		for _, a := range add {
			if hasAtom(have, a) {
				return ec2Error("InvalidPermission.Duplicate", "the specified rule %q already exists", peer(a))
			}
		}
		// EC2 counts outbound rules apart from inbound ones, with the same quota.
		if len(have)+len(add) > maxIngressRules {
			return errRuleLimit()
		}
		sg.Egress, sg.NoEgress = permsOf(append(have, add...)), false
		return nil
	})
}

// RevokeEgress removes outbound rules from a security group. If any rule does
// not exist, nothing is removed (InvalidPermission.NotFound).
func (s *Service) RevokeEgress(ctx context.Context, groupID string, perms []model.IPPermission) (*model.SecurityGroup, error) {
	del, err := validPerms(perms)
	if err != nil {
		return nil, err
	}
	return s.updateGroup(ctx, groupID, func(sg *model.SecurityGroup) error {
		have := atomsOf(sg.EgressRules())
		for _, a := range del {
			if !hasAtom(have, a) {
				return ec2Error("InvalidPermission.NotFound", "The specified rule does not exist in this security group.")
			}
		}
		sg.Egress = permsOf(slices.DeleteFunc(have, func(a atom) bool { return hasAtom(del, a) }))
		sg.NoEgress = len(sg.Egress) == 0
		return nil
	})
}

// RevokeEgressRules removes the outbound rules with the given IDs from a
// group, or none if any ID is not one of the group's outbound rules.
func (s *Service) RevokeEgressRules(ctx context.Context, groupID string, ruleIDs []string) (*model.SecurityGroup, error) {
	sg, _, err := store.Load[model.SecurityGroup](ctx, s.st, model.Key(model.KindSecurityGroup, groupID))
	if errors.Is(err, store.ErrNotFound) {
		return nil, errGroupNotFound(groupID)
	}
	if err != nil {
		return nil, err
	}
	perms, err := permissionsOfRules(EgressRules(groupID, sg.EgressRules()), ruleIDs)
	if err != nil {
		return nil, err
	}
	return s.RevokeEgress(ctx, groupID, perms)
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
