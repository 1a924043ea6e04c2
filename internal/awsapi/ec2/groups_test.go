package ec2_test

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"gatehouse/internal/model"
)

// TestGroupSources drives security groups as rule sources through the SDK, as
// AWS's hardening step does: "allow 443 on the endpoint's group only from the
// load balancer's group".
// createGroup creates a security group in the default VPC, its name its
// description, and returns its ID.
func createGroup(t *testing.T, c *sdk.Client, name string) string {
	t.Helper()
	out, err := c.CreateSecurityGroup(context.Background(), &sdk.CreateSecurityGroupInput{GroupName: aws.String(name), Description: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.GroupId)
}

func TestGroupSources(t *testing.T) {
	ctx := context.Background()
	c, _ := start(t, 18525)
	account := model.DefaultEnv.Account
	endpointSG, lbSG := createGroup(t, c, "endpoint-sg"), createGroup(t, c, "lb-sg")
	fromLB := func(desc string) []types.IpPermission {
		pair := types.UserIdGroupPair{GroupId: aws.String(lbSG)}
		if desc != "" {
			pair.Description = aws.String(desc)
		}
		return []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), UserIdGroupPairs: []types.UserIdGroupPair{pair}}}
	}

	auth, err := c.AuthorizeSecurityGroupIngress(ctx, &sdk.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(endpointSG), IpPermissions: fromLB("HTTPS from the load balancer")})
	if err != nil {
		t.Fatal(err)
	}
	if len(auth.SecurityGroupRules) != 1 {
		t.Fatalf("authorize: got %d rules, want 1", len(auth.SecurityGroupRules))
	}
	added := auth.SecurityGroupRules[0]
	if ref := added.ReferencedGroupInfo; ref == nil || aws.ToString(ref.GroupId) != lbSG || aws.ToString(ref.UserId) != account || added.CidrIpv4 != nil {
		t.Errorf("authorized rule: got referenced %+v, cidr %v, want %s of %s and no CIDR", ref, aws.ToString(added.CidrIpv4), lbSG, account)
	}

	t.Run("describe-security-groups lists UserIdGroupPairs", func(t *testing.T) {
		out, err := c.DescribeSecurityGroups(ctx, &sdk.DescribeSecurityGroupsInput{GroupIds: []string{endpointSG}})
		if err != nil {
			t.Fatal(err)
		}
		perms := out.SecurityGroups[0].IpPermissions
		if len(perms) != 1 || len(perms[0].UserIdGroupPairs) != 1 || len(perms[0].IpRanges) != 0 {
			t.Fatalf("IpPermissions: got %+v, want one rule with one group pair", perms)
		}
		p, pair := perms[0], perms[0].UserIdGroupPairs[0]
		if aws.ToString(p.IpProtocol) != "tcp" || aws.ToInt32(p.FromPort) != 443 || aws.ToInt32(p.ToPort) != 443 {
			t.Errorf("permission: got %s %d-%d, want tcp 443-443", aws.ToString(p.IpProtocol), aws.ToInt32(p.FromPort), aws.ToInt32(p.ToPort))
		}
		if aws.ToString(pair.GroupId) != lbSG || aws.ToString(pair.UserId) != account || aws.ToString(pair.Description) != "HTTPS from the load balancer" {
			t.Errorf("group pair: got %s %s %q, want %s %s %q", aws.ToString(pair.GroupId), aws.ToString(pair.UserId), aws.ToString(pair.Description),
				lbSG, account, "HTTPS from the load balancer")
		}
	})
	t.Run("describe-security-group-rules names the referenced group", func(t *testing.T) {
		out, err := c.DescribeSecurityGroupRules(ctx, &sdk.DescribeSecurityGroupRulesInput{Filters: []types.Filter{filter("group-id", endpointSG)}})
		if err != nil {
			t.Fatal(err)
		}
		// The group's rules: the inbound one, and EC2's default outbound rule.
		var inbound, outbound []types.SecurityGroupRule
		for _, r := range out.SecurityGroupRules {
			if aws.ToBool(r.IsEgress) {
				outbound = append(outbound, r)
			} else {
				inbound = append(inbound, r)
			}
		}
		if len(inbound) != 1 || len(outbound) != 1 {
			t.Fatalf("rules: got %d inbound, %d outbound, want 1 and 1", len(inbound), len(outbound))
		}
		if o := outbound[0]; aws.ToString(o.IpProtocol) != "-1" || aws.ToString(o.CidrIpv4) != "0.0.0.0/0" {
			t.Errorf("outbound rule: got %s to %s, want -1 to 0.0.0.0/0", aws.ToString(o.IpProtocol), aws.ToString(o.CidrIpv4))
		}
		r := inbound[0]
		if aws.ToString(r.SecurityGroupRuleId) != aws.ToString(added.SecurityGroupRuleId) || aws.ToString(r.GroupId) != endpointSG || aws.ToBool(r.IsEgress) {
			t.Errorf("rule: got %s of %s (egress %v), want %s of %s, ingress", aws.ToString(r.SecurityGroupRuleId), aws.ToString(r.GroupId), aws.ToBool(r.IsEgress),
				aws.ToString(added.SecurityGroupRuleId), endpointSG)
		}
		if ref := r.ReferencedGroupInfo; ref == nil || aws.ToString(ref.GroupId) != lbSG || aws.ToString(ref.UserId) != account {
			t.Errorf("ReferencedGroupInfo: got %+v, want %s of %s", ref, lbSG, account)
		}
		if aws.ToString(r.Description) != "HTTPS from the load balancer" || r.CidrIpv4 != nil {
			t.Errorf("rule: got description %q, cidr %v, want the pair's description and no CIDR", aws.ToString(r.Description), aws.ToString(r.CidrIpv4))
		}
	})

	errCases := []struct {
		name      string
		call      func() error
		code, msg string
	}{
		{"duplicate pair, other description", func() error {
			_, err := c.AuthorizeSecurityGroupIngress(ctx, &sdk.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(endpointSG), IpPermissions: fromLB("again")})
			return err
		}, "InvalidPermission.Duplicate", `the specified rule "peer: ` + lbSG + `, TCP, from port: 443, to port: 443, ALLOW" already exists`},
		{"referenced group does not exist", func() error {
			_, err := c.AuthorizeSecurityGroupIngress(ctx, &sdk.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(endpointSG), IpPermissions: []types.IpPermission{{
				IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
				UserIdGroupPairs: []types.UserIdGroupPair{{GroupId: aws.String("sg-0123456789abcdef0")}}}}})
			return err
		}, "InvalidGroup.NotFound", "The security group 'sg-0123456789abcdef0' does not exist"},
		{"delete a referenced group", func() error {
			_, err := c.DeleteSecurityGroup(ctx, &sdk.DeleteSecurityGroupInput{GroupId: aws.String(lbSG)})
			return err
		}, "DependencyViolation", "resource " + lbSG + " has a dependent object"},
		{"revoke a pair on another port", func() error {
			_, err := c.RevokeSecurityGroupIngress(ctx, &sdk.RevokeSecurityGroupIngressInput{GroupId: aws.String(endpointSG), IpPermissions: []types.IpPermission{{
				IpProtocol: aws.String("tcp"), FromPort: aws.Int32(80), ToPort: aws.Int32(80),
				UserIdGroupPairs: []types.UserIdGroupPair{{GroupId: aws.String(lbSG)}}}}})
			return err
		}, "InvalidPermission.NotFound", "The specified rule does not exist in this security group."},
	}
	for _, ec := range errCases {
		t.Run(ec.name, func(t *testing.T) { apiErr(t, ec.name, ec.call(), ec.code, ec.msg) })
	}

	t.Run("source group by name grants ICMP, TCP and UDP", func(t *testing.T) {
		out, err := c.AuthorizeSecurityGroupIngress(ctx, &sdk.AuthorizeSecurityGroupIngressInput{GroupName: aws.String("lb-sg"), SourceSecurityGroupName: aws.String("endpoint-sg")})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range out.SecurityGroupRules {
			if r.ReferencedGroupInfo == nil || aws.ToString(r.ReferencedGroupInfo.GroupId) != endpointSG {
				t.Errorf("rule %s: got referenced %+v, want %s", aws.ToString(r.SecurityGroupRuleId), r.ReferencedGroupInfo, endpointSG)
			}
			got = append(got, aws.ToString(r.IpProtocol))
		}
		slices.Sort(got)
		if want := []string{"icmp", "tcp", "udp"}; !slices.Equal(got, want) {
			t.Errorf("protocols: got %v, want %v", got, want)
		}
	})
	t.Run("revoke by the same pair, then the group can go", func(t *testing.T) {
		// The owner given on the wire is part of the pair but not of the rule's identity.
		perms := fromLB("")
		perms[0].UserIdGroupPairs[0].UserId = aws.String(account)
		out, err := c.RevokeSecurityGroupIngress(ctx, &sdk.RevokeSecurityGroupIngressInput{GroupId: aws.String(endpointSG), IpPermissions: perms})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.RevokedSecurityGroupRules) != 1 || aws.ToString(out.RevokedSecurityGroupRules[0].ReferencedGroupId) != lbSG ||
			aws.ToString(out.RevokedSecurityGroupRules[0].SecurityGroupRuleId) != aws.ToString(added.SecurityGroupRuleId) {
			t.Fatalf("revoked: got %+v, want rule %s referencing %s", out.RevokedSecurityGroupRules, aws.ToString(added.SecurityGroupRuleId), lbSG)
		}
		// lb-sg still names endpoint-sg; endpoint-sg no longer names lb-sg.
		if _, err := c.DeleteSecurityGroup(ctx, &sdk.DeleteSecurityGroupInput{GroupId: aws.String(lbSG)}); err != nil {
			t.Errorf("delete lb-sg once no other group names it: got %v, want nil", err)
		}
		if _, err := c.DeleteSecurityGroup(ctx, &sdk.DeleteSecurityGroupInput{GroupId: aws.String(endpointSG)}); err != nil {
			t.Errorf("delete endpoint-sg once the group naming it is gone: got %v, want nil", err)
		}
	})
}

// TestEgressRules: outbound rules are stored and reported as EC2 does, a new
// group with its default rule (all traffic to 0.0.0.0/0), groups as
// destinations included.
func TestEgressRules(t *testing.T) {
	ctx := context.Background()
	c, _ := start(t, 18526)
	web, db := createGroup(t, c, "web"), createGroup(t, c, "db")
	egress := func() []types.IpPermission {
		t.Helper()
		out, err := c.DescribeSecurityGroups(ctx, &sdk.DescribeSecurityGroupsInput{GroupIds: []string{web}})
		if err != nil {
			t.Fatal(err)
		}
		return out.SecurityGroups[0].IpPermissionsEgress
	}
	if got := egress(); len(got) != 1 || aws.ToString(got[0].IpProtocol) != "-1" || len(got[0].IpRanges) != 1 || aws.ToString(got[0].IpRanges[0].CidrIp) != "0.0.0.0/0" {
		t.Fatalf("a new group's outbound rules: got %+v, want all traffic to 0.0.0.0/0", got)
	}
	toDB := []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(5432), ToPort: aws.Int32(5432),
		UserIdGroupPairs: []types.UserIdGroupPair{{GroupId: aws.String(db)}}}}
	auth, err := c.AuthorizeSecurityGroupEgress(ctx, &sdk.AuthorizeSecurityGroupEgressInput{GroupId: aws.String(web), IpPermissions: toDB})
	if err != nil {
		t.Fatal(err)
	}
	if len(auth.SecurityGroupRules) != 1 || !aws.ToBool(auth.SecurityGroupRules[0].IsEgress) || auth.SecurityGroupRules[0].ReferencedGroupInfo == nil ||
		aws.ToString(auth.SecurityGroupRules[0].ReferencedGroupInfo.GroupId) != db {
		t.Fatalf("authorize egress: got %+v, want one outbound rule to %s", auth.SecurityGroupRules, db)
	}
	// The same rule inbound is another rule, with another ID.
	in, err := c.AuthorizeSecurityGroupIngress(ctx, &sdk.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(web), IpPermissions: toDB})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(in.SecurityGroupRules[0].SecurityGroupRuleId) == aws.ToString(auth.SecurityGroupRules[0].SecurityGroupRuleId) {
		t.Errorf("inbound and outbound rule ids: got %s twice, want distinct", aws.ToString(in.SecurityGroupRules[0].SecurityGroupRuleId))
	}

	errCases := []struct {
		name      string
		call      func() error
		code, msg string
	}{
		{"default rule again", func() error {
			_, err := c.AuthorizeSecurityGroupEgress(ctx, &sdk.AuthorizeSecurityGroupEgressInput{GroupId: aws.String(web), IpPermissions: []types.IpPermission{{
				IpProtocol: aws.String("-1"), IpRanges: []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}})
			return err
		}, "InvalidPermission.Duplicate", `the specified rule "peer: 0.0.0.0/0, ALL, ALLOW" already exists`},
		{"destination group does not exist", func() error {
			_, err := c.AuthorizeSecurityGroupEgress(ctx, &sdk.AuthorizeSecurityGroupEgressInput{GroupId: aws.String(web), IpPermissions: []types.IpPermission{{
				IpProtocol: aws.String("-1"), UserIdGroupPairs: []types.UserIdGroupPair{{GroupId: aws.String("sg-0123456789abcdef0")}}}}})
			return err
		}, "InvalidGroup.NotFound", "The security group 'sg-0123456789abcdef0' does not exist"},
		{"delete a destination group", func() error {
			_, err := c.DeleteSecurityGroup(ctx, &sdk.DeleteSecurityGroupInput{GroupId: aws.String(db)})
			return err
		}, "DependencyViolation", "resource " + db + " has a dependent object"},
		{"revoke an unknown rule id", func() error {
			_, err := c.RevokeSecurityGroupEgress(ctx, &sdk.RevokeSecurityGroupEgressInput{GroupId: aws.String(web), SecurityGroupRuleIds: []string{"sgr-0000000000000000a"}})
			return err
		}, "InvalidSecurityGroupRuleId.NotFound", "The security group rule ID 'sgr-0000000000000000a' does not exist"},
	}
	for _, ec := range errCases {
		t.Run(ec.name, func(t *testing.T) { apiErr(t, ec.name, ec.call(), ec.code, ec.msg) })
	}

	rules, err := c.DescribeSecurityGroupRules(ctx, &sdk.DescribeSecurityGroupRulesInput{Filters: []types.Filter{filter("group-id", web)}})
	if err != nil {
		t.Fatal(err)
	}
	var defaultRule string
	for _, r := range rules.SecurityGroupRules {
		if aws.ToBool(r.IsEgress) && aws.ToString(r.CidrIpv4) == "0.0.0.0/0" {
			defaultRule = aws.ToString(r.SecurityGroupRuleId)
		}
	}
	rev, err := c.RevokeSecurityGroupEgress(ctx, &sdk.RevokeSecurityGroupEgressInput{GroupId: aws.String(web), SecurityGroupRuleIds: []string{defaultRule}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rev.RevokedSecurityGroupRules) != 1 || !aws.ToBool(rev.RevokedSecurityGroupRules[0].IsEgress) || aws.ToString(rev.RevokedSecurityGroupRules[0].CidrIpv4) != "0.0.0.0/0" {
		t.Errorf("revoke the default rule: got %+v, want it, outbound", rev.RevokedSecurityGroupRules)
	}
	if got := egress(); len(got) != 1 || len(got[0].UserIdGroupPairs) != 1 || aws.ToString(got[0].UserIdGroupPairs[0].GroupId) != db || len(got[0].IpRanges) != 0 {
		t.Errorf("outbound rules after revoking the default: got %+v, want tcp 5432 to %s only", got, db)
	}
	if _, err := c.RevokeSecurityGroupEgress(ctx, &sdk.RevokeSecurityGroupEgressInput{GroupId: aws.String(web), IpPermissions: toDB}); err != nil {
		t.Fatal(err)
	}
	if got := egress(); len(got) != 0 {
		t.Errorf("outbound rules after revoking all: got %+v, want none", got)
	}
}
