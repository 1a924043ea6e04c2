package ec2_test

import (
	"context"
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/ec2"

	"gatehouse/internal/awsapi/awsapitest"
)

// post sends form (Version added) as a signed ec2Query request and returns the
// status and the error code and message of the answer ("" when it is no error).
func post(t *testing.T, endpoint, form string) (int, string, string) {
	t.Helper()
	body := form + "&Version=2016-11-15"
	req, err := http.NewRequest(http.MethodPost, endpoint+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	status, _, b := awsapitest.Send(t, req, "ec2")
	var e struct {
		XMLName xml.Name `xml:"Response"`
		Code    string   `xml:"Errors>Error>Code"`
		Message string   `xml:"Errors>Error>Message"`
	}
	if status != http.StatusOK {
		if err := xml.Unmarshal(b, &e); err != nil {
			t.Errorf("%s: error body %q is not EC2's envelope: %v", form, b, err)
		}
	}
	return status, e.Code, e.Message
}

// TestErrors: malformed requests, missing members, wrong types and unknown IDs
// each get EC2's own error, never a 500.
func TestErrors(t *testing.T) {
	ctx := context.Background()
	c, endpoint := start(t, 18523)
	def, err := c.DescribeSecurityGroups(ctx, &sdk.DescribeSecurityGroupsInput{GroupNames: []string{"default"}})
	if err != nil {
		t.Fatal(err)
	}
	vpcID := aws.ToString(def.SecurityGroups[0].VpcId)
	execAPI := url.QueryEscape("com.amazonaws.us-west-2.execute-api")
	cases := []struct {
		name, form string
		code, msg  string
	}{
		{"unknown action", "Action=RunInstances", "InvalidAction", "The action RunInstances is not valid for this web service."},
		{"not an integer", "Action=DescribeVpcs&MaxResults=ten", "InvalidParameterValue", "Value 'ten' at 'MaxResults' is not a valid integer"},
		{"not a boolean", "Action=CreateVpcEndpoint&VpcId=" + vpcID + "&ServiceName=" + execAPI + "&PrivateDnsEnabled=maybe",
			"InvalidParameterValue", "Value 'maybe' at 'PrivateDnsEnabled' is not a valid boolean"},
		{"not a port", "Action=AuthorizeSecurityGroupIngress&GroupName=default&IpProtocol=tcp&FromPort=x", "InvalidParameterValue", "Value 'x' at 'FromPort' is not a valid integer"},
		{"group without name", "Action=CreateSecurityGroup&GroupDescription=d", "MissingParameter", "The request must contain the parameter GroupName"},
		{"group without description", "Action=CreateSecurityGroup&GroupName=n", "MissingParameter", "The request must contain the parameter GroupDescription"},
		{"group named sg-", "Action=CreateSecurityGroup&GroupName=sg-1&GroupDescription=d", "InvalidParameterValue", "Group names may not be in the format sg-*."},
		{"group tagged as another type", "Action=CreateSecurityGroup&GroupName=n&GroupDescription=d&TagSpecification.1.ResourceType=instance&TagSpecification.1.Tag.1.Key=k&TagSpecification.1.Tag.1.Value=v",
			"InvalidParameterValue", "'instance' is not a valid taggable resource type for this operation."},
		{"modify without endpoint", "Action=ModifyVpcEndpoint", "MissingParameter", "The request must contain the parameter VpcEndpointId"},
		{"delete no endpoints", "Action=DeleteVpcEndpoints", "MissingParameter", "The request must contain the parameter VpcEndpointId"},
		{"endpoint without vpc", "Action=CreateVpcEndpoint&ServiceName=" + execAPI, "MissingParameter", "The request must contain the parameter VpcId"},
		{"unknown vpc", "Action=DescribeVpcs&VpcId.1=vpc-0000000000000000a", "InvalidVpcID.NotFound", "The vpc ID 'vpc-0000000000000000a' does not exist"},
		{"unknown subnet", "Action=DescribeSubnets&SubnetId.1=subnet-0000000000000000a", "InvalidSubnetID.NotFound", "The subnet ID 'subnet-0000000000000000a' does not exist"},
		{"unknown interface", "Action=DescribeNetworkInterfaces&NetworkInterfaceId.1=eni-0000000000000000a", "InvalidNetworkInterfaceID.NotFound", "The networkInterface ID 'eni-0000000000000000a' does not exist"},
		{"unknown endpoint", "Action=DescribeVpcEndpoints&VpcEndpointId.1=vpce-0000000000000000a", "InvalidVpcEndpointId.NotFound", "The Vpc Endpoint Id 'vpce-0000000000000000a' does not exist"},
		{"modify unknown endpoint", "Action=ModifyVpcEndpoint&VpcEndpointId=vpce-0000000000000000a", "InvalidVpcEndpointId.NotFound", "The Vpc Endpoint Id 'vpce-0000000000000000a' does not exist"},
		{"unknown group id", "Action=DeleteSecurityGroup&GroupId=sg-0000000000000000a", "InvalidGroup.NotFound", "The security group 'sg-0000000000000000a' does not exist"},
		{"unknown group name", "Action=DeleteSecurityGroup&GroupName=nope", "InvalidGroup.NotFound", "The security group 'nope' does not exist in default VPC '" + vpcID + "'"},
		{"group neither id nor name", "Action=DeleteSecurityGroup", "MissingParameter", "The request must contain the parameter groupId or groupName"},
		{"default group", "Action=DeleteSecurityGroup&GroupName=default", "CannotDelete",
			`the specified group: "` + aws.ToString(def.SecurityGroups[0].GroupId) + `" name: "default" cannot be deleted by a user`},
		{"unknown filter", "Action=DescribeVpcEndpoints&Filter.1.Name=bogus&Filter.1.Value.1=x", "InvalidParameterValue", "The filter 'bogus' is invalid"},
		{"bad page token", "Action=DescribeSecurityGroups&NextToken=%21%21", "InvalidPaginationToken", "The specified pagination token is not valid or is expired."},
		{"unknown zone", "Action=DescribeAvailabilityZones&ZoneName.1=us-west-2z", "InvalidParameterValue", "Invalid availability zone: [us-west-2z]"},
		{"other service", "Action=CreateVpcEndpoint&VpcEndpointType=Interface&VpcId=" + vpcID + "&ServiceName=com.amazonaws.us-west-2.s3",
			"InvalidServiceName", "The Vpc Endpoint Service 'com.amazonaws.us-west-2.s3' does not exist"},
		{"unknown endpoint subnet", "Action=CreateVpcEndpoint&VpcEndpointType=Interface&PrivateDnsEnabled=false&VpcId=" + vpcID + "&ServiceName=" + execAPI + "&SubnetId.1=subnet-0000000000000000a",
			"InvalidSubnetID.NotFound", "The subnet ID 'subnet-0000000000000000a' does not exist"},
		{"endpoint in unknown vpc", "Action=CreateVpcEndpoint&VpcEndpointType=Interface&VpcId=vpc-0000000000000000a&ServiceName=" + execAPI,
			"InvalidVpcID.NotFound", "The vpc ID 'vpc-0000000000000000a' does not exist"},
		{"bad cidr", "Action=AuthorizeSecurityGroupIngress&GroupName=default&IpProtocol=tcp&FromPort=1&ToPort=2&CidrIp=10.0.0.0/33",
			"InvalidParameterValue", "Value (10.0.0.0/33) for parameter cidrIp is invalid. This is not a valid CIDR block."},
		{"group source that does not exist", "Action=AuthorizeSecurityGroupIngress&GroupName=default&IpPermissions.1.IpProtocol=-1&IpPermissions.1.Groups.1.GroupId=sg-1",
			"InvalidGroup.NotFound", "The security group 'sg-1' does not exist"},
		{"group source by an unknown name", "Action=AuthorizeSecurityGroupIngress&GroupName=default&IpPermissions.1.IpProtocol=-1&IpPermissions.1.Groups.1.GroupName=nope",
			"InvalidGroup.NotFound", "The security group 'nope' does not exist in default VPC '" + vpcID + "'"},
		{"prefix list source", "Action=AuthorizeSecurityGroupIngress&GroupName=default&IpPermissions.1.IpProtocol=-1&IpPermissions.1.PrefixListIds.1.PrefixListId=pl-1",
			"InvalidParameterValue", "gatehouse security groups allow traffic from CIDR ranges and security groups only, not from prefix lists"},
		{"no permissions", "Action=AuthorizeSecurityGroupIngress&GroupName=default", "MissingParameter", "The request must contain the parameter IpPermissions"},
		{"unknown rule id", "Action=RevokeSecurityGroupIngress&GroupName=default&SecurityGroupRuleId.1=sgr-0000000000000000a",
			"InvalidSecurityGroupRuleId.NotFound", "The security group rule ID 'sgr-0000000000000000a' does not exist"},
		{"tag a bad id", "Action=CreateTags&ResourceId.1=i-123&Tag.1.Key=k&Tag.1.Value=v", "InvalidID", "The ID 'i-123' is not valid"},
		{"tag nothing", "Action=CreateTags&Tag.1.Key=k", "MissingParameter", "The request must contain the parameter ResourceId"},
		{"reserved tag", "Action=CreateTags&ResourceId.1=" + vpcID + "&Tag.1.Key=aws:x&Tag.1.Value=v", "InvalidParameterValue",
			"Value (aws:x) for parameter key is invalid. Tag keys starting with 'aws:' are reserved for internal use"},
		{"dry run", "Action=DescribeVpcs&DryRun=true", "DryRunOperation", "Request would have succeeded, but DryRun flag is set."},
		{"malformed dry run", "Action=DescribeVpcs&DryRun=true&MaxResults=ten", "InvalidParameterValue", "Value 'ten' at 'MaxResults' is not a valid integer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, code, msg := post(t, endpoint, tc.form)
			wantStatus := http.StatusBadRequest
			if tc.code == "DryRunOperation" {
				wantStatus = http.StatusPreconditionFailed
			}
			if status != wantStatus || code != tc.code || msg != tc.msg {
				t.Errorf("got %d %s %q, want %d %s %q", status, code, msg, wantStatus, tc.code, tc.msg)
			}
		})
	}
}
