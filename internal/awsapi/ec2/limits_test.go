package ec2_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"gatehouse/internal/awsapi/awsapitest"
)

// policyOf is a valid endpoint policy of exactly n characters.
func policyOf(n int) string {
	const head, tail = `{"Statement":[],"Comment":"`, `"}`
	return head + strings.Repeat("a", n-len(head)-len(tail)) + tail
}

// TestFieldLimits sends every limited field of the EC2 operations through the
// SDK: one over the limit answers 400 with EC2's code and message, at the limit
// the request succeeds.
func TestFieldLimits(t *testing.T) {
	ctx := context.Background()
	c, _ := start(t, 18528)
	subnets, err := c.DescribeSubnets(ctx, &sdk.DescribeSubnetsInput{})
	if err != nil || len(subnets.Subnets) == 0 {
		t.Fatalf("subnets: got %+v, %v", subnets, err)
	}
	vpcID, subnetID := aws.ToString(subnets.Subnets[0].VpcId), aws.ToString(subnets.Subnets[0].SubnetId)
	var groupIDs []string
	for i := range 6 {
		g, err := c.CreateSecurityGroup(ctx, &sdk.CreateSecurityGroupInput{GroupName: aws.String(fmt.Sprintf("lim%d", i)), Description: aws.String("x")})
		if err != nil {
			t.Fatal(err)
		}
		groupIDs = append(groupIDs, aws.ToString(g.GroupId))
	}
	a := awsapitest.Long
	seq := 0
	newGroup := func(name, desc string, tags ...types.Tag) error {
		seq++
		in := &sdk.CreateSecurityGroupInput{GroupName: aws.String(name), Description: aws.String(desc)}
		if len(tags) > 0 {
			in.TagSpecifications = []types.TagSpecification{{ResourceType: types.ResourceTypeSecurityGroup, Tags: tags}}
		}
		g, err := c.CreateSecurityGroup(ctx, in)
		if err == nil {
			_, err = c.DeleteSecurityGroup(ctx, &sdk.DeleteSecurityGroupInput{GroupId: g.GroupId})
		}
		return err
	}
	tagsOf := func(n int) []types.Tag {
		tags := make([]types.Tag, n)
		for i := range tags {
			tags[i] = types.Tag{Key: aws.String(fmt.Sprintf("k%02d", i)), Value: aws.String("v")}
		}
		return tags
	}
	endpoint := func(policy string, groups []string) error {
		e, err := c.CreateVpcEndpoint(ctx, &sdk.CreateVpcEndpointInput{VpcId: aws.String(vpcID), VpcEndpointType: types.VpcEndpointTypeInterface,
			ServiceName: aws.String("com.amazonaws.us-west-2.execute-api"), SubnetIds: []string{subnetID}, SecurityGroupIds: groups,
			PrivateDnsEnabled: aws.Bool(false), PolicyDocument: aws.String(policy)})
		if err == nil {
			_, err = c.DeleteVpcEndpoints(ctx, &sdk.DeleteVpcEndpointsInput{VpcEndpointIds: []string{aws.ToString(e.VpcEndpoint.VpcEndpointId)}})
		}
		return err
	}
	const badValue = "InvalidParameterValue"
	const descRule = "Invalid security group description. Valid descriptions are strings less than 256 characters from the following set:  a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*"

	tests := []struct {
		name      string
		call      func(v string) error
		at, over  string
		code, msg string
	}{
		{"CreateSecurityGroup name", func(v string) error { return newGroup(v, "x") },
			a(255), a(256), badValue, "Value (" + a(128) + "...) for parameter GroupName is invalid. Length exceeds maximum of 255 characters."},
		{"CreateSecurityGroup name a megabyte", func(v string) error { return newGroup(v, "x") },
			a(254), a(1 << 20), badValue, "Value (" + a(128) + "...) for parameter GroupName is invalid. Length exceeds maximum of 255 characters."},
		{"CreateSecurityGroup name characters", func(v string) error { return newGroup(v, "x") },
			"a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*", "a%b", badValue,
			"Invalid security group name. Valid names are strings less than 256 characters from the following set:  a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*"},
		{"CreateSecurityGroup name not ASCII", func(v string) error { return newGroup(v, "x") },
			"plain", "grüppe", badValue, "Value (grüppe) for parameter GroupName is invalid. Character sets beyond ASCII are not supported."},
		{"CreateSecurityGroup description", func(v string) error { return newGroup(fmt.Sprintf("d%d", seq), v) },
			a(255), a(256), badValue, descRule},
		{"CreateSecurityGroup description characters", func(v string) error { return newGroup(fmt.Sprintf("d%d", seq), v) },
			"it is (ok) #1: [a]+b=c&d;{e}!$*, @x/y_z-w.", "it's", badValue, descRule},
		{"CreateSecurityGroup tag key", func(v string) error {
			return newGroup(fmt.Sprintf("t%d", seq), "x", types.Tag{Key: aws.String(v), Value: aws.String("v")})
		}, a(128), a(129), badValue, "Tag key exceeds the maximum length of 128 characters"},
		{"CreateTags tag value", func(v string) error {
			_, err := c.CreateTags(ctx, &sdk.CreateTagsInput{Resources: []string{groupIDs[0]}, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String(v)}}})
			return err
		}, a(256), a(257), badValue, "Tag value exceeds the maximum length of 256 characters"},
		{"CreateTags count", func(v string) error {
			_, err := c.CreateTags(ctx, &sdk.CreateTagsInput{Resources: []string{groupIDs[1]}, Tags: tagsOf(len(v))})
			return err
		}, a(50), a(51), "TagLimitExceeded", "The maximum number of Tags for a resource has been reached."},
		{"AuthorizeSecurityGroupIngress rules", func(v string) error {
			g, err := c.CreateSecurityGroup(ctx, &sdk.CreateSecurityGroupInput{GroupName: aws.String(fmt.Sprintf("rules%d", len(v))), Description: aws.String("x")})
			if err != nil {
				return err
			}
			ranges := make([]types.IpRange, len(v))
			for i := range ranges {
				ranges[i] = types.IpRange{CidrIp: aws.String(fmt.Sprintf("10.0.%d.0/24", i))}
			}
			_, err = c.AuthorizeSecurityGroupIngress(ctx, &sdk.AuthorizeSecurityGroupIngressInput{GroupId: g.GroupId,
				IpPermissions: []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), IpRanges: ranges}}})
			return err
		}, a(60), a(61), "RulesPerSecurityGroupLimitExceeded", "The maximum number of rules per security group has been reached."},
		{"CreateVpcEndpoint policy", func(v string) error { return endpoint(v, groupIDs[:1]) },
			policyOf(20480), policyOf(20481), "InvalidPolicyDocument", "The policy document exceeds the maximum length of 20480 characters"},
		{"CreateVpcEndpoint security groups", func(v string) error { return endpoint("", groupIDs[:len(v)]) },
			a(5), a(6), "SecurityGroupsPerInterfaceLimitExceeded", "The maximum number of security groups per interface has been reached."},
		{"DescribeSecurityGroups filter values", func(v string) error {
			_, err := c.DescribeSecurityGroups(ctx, &sdk.DescribeSecurityGroupsInput{Filters: []types.Filter{
				{Name: aws.String("group-name"), Values: strings.Split(v, ",")[:100]},
				{Name: aws.String("tag:x"), Values: strings.Split(v, ",")[100:]},
			}})
			return err
		}, strings.Repeat("x,", 199) + "x", strings.Repeat("x,", 200) + "x", "FilterLimitExceeded",
			"The maximum number of filter values specified on a single call is 200"},
		{"DescribeSecurityGroups filter value", func(v string) error {
			_, err := c.DescribeSecurityGroups(ctx, &sdk.DescribeSecurityGroupsInput{Filters: []types.Filter{{Name: aws.String("group-name"), Values: []string{v}}}})
			return err
		}, a(255), a(256), "FilterLimitExceeded", "The maximum length for a filter value is 255 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, code, msg := awsapitest.APIError(t, tt.call(tt.over))
			if status != 400 || code != tt.code || msg != tt.msg {
				t.Errorf("over the limit: got %d %s %.400q, want 400 %s %.400q", status, code, msg, tt.code, tt.msg)
			}
			if _, code, msg := awsapitest.APIError(t, tt.call(tt.at)); code != "" {
				t.Errorf("at the limit: got %s %.400q, want success", code, msg)
			}
		})
	}
}
