package ec2_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"gatehouse/internal/awsapi"
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
	srv := awsapi.NewServer(map[string]string{awsapitest.Key: awsapitest.Secret}, log, ec2.New(svc))
	creds := aws.Credentials{AccessKeyID: awsapitest.Key, SecretAccessKey: awsapitest.Secret}
	f.Fuzz(func(t *testing.T, form string) {
		body := form + "&Version=2016-11-15"
		req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		sum := sha256.Sum256([]byte(body))
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "ec2", "us-west-2", time.Now()); err != nil {
			t.Skip() // a form the signer cannot sign is no request
		}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code == http.StatusOK {
			return
		}
		var e struct {
			Code string `xml:"Errors>Error>Code"`
		}
		if w.Code >= 500 || xml.Unmarshal(w.Body.Bytes(), &e) != nil || e.Code == "" {
			t.Fatalf("%q: got %d %s, want 200 or an EC2 client error", form, w.Code, w.Body.Bytes())
		}
	})
}
