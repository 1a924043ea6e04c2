package network

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// Security groups: create and delete, the name claim that keeps a name unique
// in its VPC, and the VPC's default group.

// defaultGroupName is the security group EC2 creates with every VPC.
const defaultGroupName = "default"

// ensureDefaultGroup creates the VPC's "default" security group if it is missing.
// EC2's default group allows inbound traffic from members of the same group; a
// group source cannot be expressed with CIDR rules, so here it allows nothing
// until rules are authorized.
func (s *Service) ensureDefaultGroup(ctx context.Context, vpcID string) (*model.SecurityGroup, error) {
	sg := &model.SecurityGroup{
		ID:          defaultGroupID(vpcID),
		Name:        defaultGroupName,
		Description: "default VPC security group",
		VpcID:       vpcID,
	}
	sg, err := createOrLoad(ctx, s.st, model.Key(model.KindSecurityGroup, sg.ID), sg)
	if err != nil {
		return nil, fmt.Errorf("create default security group of %s: %w", vpcID, err)
	}
	if err := s.claimGroupName(ctx, vpcID, sg.Name, sg.ID); err != nil && !isEC2(err) {
		return nil, err
	}
	return sg, nil
}

func defaultGroupID(vpcID string) string { return "sg-" + stableHex(17, vpcID, defaultGroupName) }

// groupNameKey is a claim on a group name in a VPC: created with the group, so two
// concurrent creates of one name (on any node) cannot both succeed.
func groupNameKey(vpcID, name string) string { return "sgname/" + vpcID + "/" + name }

// claimGroupName claims name in vpcID for groupID. A claim left by a group that no
// longer exists (a create interrupted between its two writes) is taken over.
func (s *Service) claimGroupName(ctx context.Context, vpcID, name, groupID string) error {
	key := groupNameKey(vpcID, name)
	for {
		_, err := s.st.Put(ctx, key, []byte(groupID), 0)
		if err == nil || !errors.Is(err, store.ErrConflict) {
			return err
		}
		kv, err := s.st.Get(ctx, key)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		owner := string(kv.Value)
		if owner == groupID {
			return nil
		}
		if _, err := s.st.Get(ctx, model.Key(model.KindSecurityGroup, owner)); !errors.Is(err, store.ErrNotFound) {
			if err != nil {
				return err
			}
			return ec2Error("InvalidGroup.Duplicate", "The security group '%s' already exists for VPC '%s'", name, vpcID)
		}
		if _, err := s.st.Put(ctx, key, []byte(groupID), kv.ModRev); err == nil || !errors.Is(err, store.ErrConflict) {
			return err
		}
	}
}

// CreateSecurityGroup creates a security group without ingress rules. An empty
// vpcID means the default VPC, as in EC2.
func (s *Service) CreateSecurityGroup(ctx context.Context, name, description, vpcID string, tags map[string]string) (*model.SecurityGroup, error) {
	switch {
	case name == "":
		return nil, errMissing("GroupName")
	case description == "":
		return nil, errMissing("GroupDescription")
	}
	if err := checkGroupText(name, description); err != nil {
		return nil, err
	}
	if strings.HasPrefix(strings.ToLower(name), "sg-") {
		return nil, errInvalidValue("Group names may not be in the format sg-*.")
	}
	if name == defaultGroupName {
		// EC2 documents the code; the message text is a best match.
		return nil, ec2Error("InvalidGroup.Reserved", "The security group '%s' is reserved", name)
	}
	var out *model.SecurityGroup
	err := retryConflict(ctx, func() (err error) {
		out, err = s.createGroupOnce(ctx, name, description, vpcID, tags)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// createGroupOnce is one attempt of CreateSecurityGroup: the group and the
// claim on its name are written in one Txn, conditioned on the claim being as
// read (absent, or left by a group that no longer exists) and on no group
// having been created since the listing the quota counted. ErrConflict means
// try again.
func (s *Service) createGroupOnce(ctx context.Context, name, description, vpcID string, tags map[string]string) (*model.SecurityGroup, error) {
	vpc, err := s.resolveVpc(ctx, vpcID)
	if err != nil {
		return nil, err
	}
	groups, groupsRev, err := store.LoadAllAt[model.SecurityGroup](ctx, s.st, model.Prefix(model.KindSecurityGroup))
	if err != nil {
		return nil, err
	}
	if countIn(groups, func(g *model.SecurityGroup) bool { return g.VpcID == vpc.ID }) >= s.quotas.SecurityGroups {
		return nil, errGroupLimit(vpc.ID)
	}
	sg := &model.SecurityGroup{
		ID:          "sg-" + model.RandomHex(17),
		Name:        name,
		Description: description,
		VpcID:       vpc.ID,
		Tags:        tags,
	}
	nameKey := groupNameKey(vpc.ID, name)
	var claimRev int64 // 0: no claim, the name is free
	switch kv, err := s.st.Get(ctx, nameKey); {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return nil, err
	case slices.ContainsFunc(groups, func(g *model.SecurityGroup) bool { return g.ID == string(kv.Value) }):
		return nil, ec2Error("InvalidGroup.Duplicate", "The security group '%s' already exists for VPC '%s'", name, vpc.ID)
	default:
		// A claim left by a group that no longer exists (a create interrupted
		// before the Txn existed, or a delete that lost it) is taken over.
		claimRev = kv.ModRev
	}
	key := model.Key(model.KindSecurityGroup, sg.ID)
	put, err := store.SaveOp(key, sg)
	if err != nil {
		return nil, err
	}
	conds := []store.Cond{
		store.NoneAfter(model.Prefix(model.KindSecurityGroup), groupsRev),
		store.KeyIs(nameKey, claimRev),
		store.KeyIs(key, 0),
	}
	if _, err := s.st.Txn(ctx, conds, []store.Op{store.Put(nameKey, []byte(sg.ID)), put}); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, err
		}
		return nil, fmt.Errorf("create security group: %w", err)
	}
	return sg, nil
}

// loadGroup loads security group id, or answers InvalidGroup.NotFound.
func (s *Service) loadGroup(ctx context.Context, id string) (*model.SecurityGroup, int64, error) {
	return load[model.SecurityGroup](ctx, s.st, model.KindSecurityGroup, id, errGroupNotFound)
}

// updateGroup applies fn to security group id, or answers InvalidGroup.NotFound.
func (s *Service) updateGroup(ctx context.Context, id string, fn func(*model.SecurityGroup) error) (*model.SecurityGroup, error) {
	return update(ctx, s.st, model.KindSecurityGroup, id, errGroupNotFound, fn)
}

// DeleteSecurityGroup deletes a group that no endpoint, network interface or load
// balancer uses. A VPC's default group cannot be deleted. The check and the
// delete are one Txn: it deletes only if the group and every record that could
// name it (endpoints, interfaces, load balancers, groups with rules) are as
// checked, so a child created meanwhile, on any node, makes it check again.
func (s *Service) DeleteSecurityGroup(ctx context.Context, id string) error {
	return retryConflict(ctx, func() error { return s.deleteGroupOnce(ctx, id) })
}

func (s *Service) deleteGroupOnce(ctx context.Context, id string) error {
	key := model.Key(model.KindSecurityGroup, id)
	sg, rev, err := s.loadGroup(ctx, id)
	if err != nil {
		return err
	}
	if sg.Name == defaultGroupName {
		return ec2Error("CannotDelete", "the specified group: %q name: %q cannot be deleted by a user", id, sg.Name)
	}
	used, conds, err := s.groupInUse(ctx, id)
	if err != nil {
		return err
	}
	if used {
		return ec2Error("DependencyViolation", "resource %s has a dependent object", id)
	}
	conds = append(conds, store.KeyIs(key, rev))
	ops := []store.Op{store.Del(key), store.Del(groupNameKey(sg.VpcID, sg.Name))}
	if _, err := s.st.Txn(ctx, conds, ops); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return err // retried
		}
		return fmt.Errorf("delete security group %s: %w", id, err)
	}
	return nil
}

// groupInUse reports whether an endpoint, a network interface or a load
// balancer has security group id, or a rule (inbound or outbound) of another
// group names it as its source or destination (EC2 answers the same error; a
// group's rules naming itself do not count). It returns the conditions under
// which that answer still holds: nothing under the kinds it listed changed.
func (s *Service) groupInUse(ctx context.Context, id string) (bool, []store.Cond, error) {
	var conds []store.Cond
	for _, check := range []func() (bool, store.Cond, error){
		func() (bool, store.Cond, error) {
			return anyHasGroup(ctx, s.st, model.KindVpcEndpoint, id, func(ep *model.VpcEndpoint) []string { return ep.SecurityGroupIDs })
		},
		func() (bool, store.Cond, error) {
			return anyHasGroup(ctx, s.st, model.KindNetworkIface, id, func(n *model.NetworkInterface) []string { return n.SecurityGroupIDs })
		},
		func() (bool, store.Cond, error) {
			return anyHasGroup(ctx, s.st, model.KindLoadBalancer, id, func(lb *model.LoadBalancer) []string { return lb.SecurityGroupIDs })
		},
		func() (bool, store.Cond, error) { return s.groupReferenced(ctx, id) },
	} {
		used, cond, err := check()
		if used || err != nil {
			return used, nil, err
		}
		conds = append(conds, cond)
	}
	return false, conds, nil
}

// anyHasGroup reports whether a resource of kind lists security group id
// among its groups, and the condition that none of them changed since.
func anyHasGroup[T any](ctx context.Context, st store.Store, kind model.Kind, id string, groups func(*T) []string) (bool, store.Cond, error) {
	items, rev, err := store.LoadAllAt[T](ctx, st, model.Prefix(kind))
	if err != nil {
		return false, store.Cond{}, err
	}
	used := slices.ContainsFunc(items, func(v *T) bool { return slices.Contains(groups(v), id) })
	return used, store.NoneAfter(model.Prefix(kind), rev), nil
}

// maxGroupText is the length of a security group's name and description:
// "Up to 255 characters in length" (EC2 API reference, CreateSecurityGroup).
const maxGroupText = 255

// groupTextRE is the characters a VPC security group's name and description may
// hold (the same reference): a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*
var groupTextRE = regexp.MustCompile(`^[a-zA-Z0-9. _\-:/()#,@\[\]+=&;{}!$*]*$`)

// checkGroupText applies EC2's rules to a new group's name and description:
// ASCII only (recorded text, checked first), then length and characters. The
// description's text is recorded (cds-snc/notification-terraform#561); the
// name's is a best match, worded like it.
func checkGroupText(name, description string) error {
	for _, f := range []struct{ param, v string }{{"GroupName", name}, {"GroupDescription", description}} {
		for _, r := range f.v {
			if r < 0x20 || r > 0x7e {
				return errInvalidValue("Value (%s) for parameter %s is invalid. Character sets beyond ASCII are not supported.", f.v, f.param)
			}
		}
	}
	if len(name) > maxGroupText {
		// best match
		return errInvalidValue("Value (%s) for parameter GroupName is invalid. Length exceeds maximum of 255 characters.", name)
	}
	if !groupTextRE.MatchString(name) {
		// best match
		return errInvalidValue("Invalid security group name. Valid names are strings less than 256 characters from the following set:  a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*")
	}
	if len(description) > maxGroupText || !groupTextRE.MatchString(description) {
		return errInvalidValue("Invalid security group description. Valid descriptions are strings less than 256 characters from the following set:  a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*")
	}
	return nil
}
