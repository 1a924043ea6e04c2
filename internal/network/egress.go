package network

import (
	"context"

	"gatehouse/internal/model"
)

// Outbound rules. gatehouse filters inbound traffic only (an interface
// endpoint and a load balancer node answer; they open nothing of their own
// that a group could stop), so outbound rules are stored and reported as EC2
// does, with EC2's checks and errors, and change no traffic. A new group has
// EC2's default rule, all traffic to 0.0.0.0/0 (model.DefaultEgress).

// AuthorizeEgress adds outbound rules to a security group. If any rule exists
// already, nothing is added (InvalidPermission.Duplicate).
func (s *Service) AuthorizeEgress(ctx context.Context, groupID string, perms []model.IPPermission) (*model.SecurityGroup, error) {
	return s.authorize(ctx, groupID, perms, true)
}

// RevokeEgress removes outbound rules from a security group. If any rule does
// not exist, nothing is removed (InvalidPermission.NotFound).
func (s *Service) RevokeEgress(ctx context.Context, groupID string, perms []model.IPPermission) (*model.SecurityGroup, error) {
	return s.revoke(ctx, groupID, perms, true)
}

// RevokeEgressRules removes the outbound rules with the given IDs from a
// group, or none if any ID is not one of the group's outbound rules.
func (s *Service) RevokeEgressRules(ctx context.Context, groupID string, ruleIDs []string) (*model.SecurityGroup, error) {
	return s.revokeRuleIDs(ctx, groupID, ruleIDs, true)
}
