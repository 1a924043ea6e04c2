package ec2_test

import (
	"context"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"gatehouse/internal/awsapi/awsapitest"
	"gatehouse/internal/awsapi/ec2"
	"gatehouse/internal/model"
	"gatehouse/internal/network"
	"gatehouse/internal/store"
)

// FuzzRequest sends arbitrary signed ec2Query forms through the endpoint: every
// answer is a success or an EC2 error envelope with a 4xx status, never a 500
// or a panic. The operations run for real (on a mem store), so filters,
// wildcards, pagination and the rules behind them are fuzzed too.
func FuzzRequest(f *testing.F) {
	for _, seed := range []string{
		"Action=DescribeVpcs&Filter.1.Name=is-default&Filter.1.Value.1=true",
		"Action=DescribeSubnets&Filter.1.Name=availability-zone&Filter.1.Value.1=us-west-2*&MaxResults=5",
		"Action=DescribeAvailabilityZones&ZoneName.1=us-west-2a",
		"Action=CreateSecurityGroup&GroupName=web&GroupDescription=d&TagSpecification.1.ResourceType=security-group&TagSpecification.1.Tag.1.Key=k&TagSpecification.1.Tag.1.Value=v",
		"Action=DescribeSecurityGroups&GroupName.1=default&Filter.1.Name=group-name&Filter.1.Value.1=*a?lt",
		"Action=AuthorizeSecurityGroupIngress&GroupName=default&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=443&IpPermissions.1.ToPort=443&IpPermissions.1.IpRanges.1.CidrIp=0.0.0.0/0",
		"Action=RevokeSecurityGroupIngress&GroupName=default&IpProtocol=-1&CidrIp=10.0.0.0/8",
		"Action=AuthorizeSecurityGroupIngress&GroupName=default&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=443&IpPermissions.1.ToPort=443&IpPermissions.1.Groups.1.GroupName=default&IpPermissions.1.Groups.1.Description=self",
		"Action=AuthorizeSecurityGroupIngress&GroupName=default&SourceSecurityGroupName=default",
		"Action=RevokeSecurityGroupIngress&GroupName=default&IpPermissions.1.IpProtocol=-1&IpPermissions.1.Groups.1.GroupId=sg-1&IpPermissions.1.Groups.1.UserId=1",
		"Action=DescribeSecurityGroupRules&Filter.1.Name=group-id&Filter.1.Value.1=sg-*&MaxResults=5",
		"Action=AuthorizeSecurityGroupEgress&GroupId=sg-1&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=5432&IpPermissions.1.ToPort=5432&IpPermissions.1.Groups.1.GroupId=sg-1",
		"Action=RevokeSecurityGroupEgress&GroupId=sg-1&SecurityGroupRuleId.1=sgr-1",
		"Action=CreateVpcEndpoint&VpcEndpointType=Interface&ServiceName=com.amazonaws.us-west-2.execute-api&VpcId=vpc-1&SubnetId.1=subnet-1&PrivateDnsEnabled=false",
		"Action=DescribeVpcEndpoints&MaxResults=1&NextToken=dnBjZS0x",
		"Action=ModifyVpcEndpoint&VpcEndpointId=vpce-1&ResetPolicy=true",
		"Action=DeleteVpcEndpoints&VpcEndpointId.1=vpce-1",
		"Action=DescribeNetworkInterfaces&Filter.1.Name=description&Filter.1.Value.1=VPC%20Endpoint%20Interface%20*",
		"Action=CreateTags&ResourceId.1=sg-1&Tag.1.Key=k",
		"Action=DeleteTags&ResourceId.1=sg-1",
		"Action=DescribeVpcs&DryRun=true",
	} {
		f.Add(seed)
	}
	st := store.NewMem()
	f.Cleanup(func() { st.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := network.New(network.Deps{Store: st, Log: log, Env: model.DefaultEnv, VPCCIDR: "127.0.21.0/24", Subnets: testPlan, Port: 18524})
	if _, _, err := svc.EnsureDefaultVPC(context.Background()); err != nil {
		f.Fatal(err)
	}
	endpoint, _ := awsapitest.Start(f, ec2.New(svc))
	f.Fuzz(func(t *testing.T, form string) {
		req, err := http.NewRequest(http.MethodPost, endpoint+"/", strings.NewReader(form+"&Version=2016-11-15"))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		status, _, body := awsapitest.Send(t, req, "ec2")
		if status == http.StatusOK {
			return
		}
		var e struct {
			Code string `xml:"Errors>Error>Code"`
		}
		if status >= 500 || xml.Unmarshal(body, &e) != nil || e.Code == "" {
			t.Fatalf("%q: got %d %s, want 200 or an EC2 client error", form, status, body)
		}
	})
}
