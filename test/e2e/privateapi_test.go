package e2e

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"gatehouse/internal/testutil"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// privateEndpoint is an execute-api interface endpoint in the default VPC,
// and an HTTPS client that reaches the private APIs behind it.
type privateEndpoint struct {
	id string // vpce-…, what a private API names in its endpoint configuration
	ip string // the endpoint's address in its subnet
	// client trusts only gatehouse's CA and sends every connection to ip:443,
	// so a URL names the API by its private DNS name (as SNI and Host) as a
	// client inside the VPC does.
	client *http.Client
}

// privateAPIClient creates, with the AWS SDK, an interface endpoint for
// execute-api in the default VPC's first subnet, behind a security group
// open on 443, and waits until it is available and has its address.
func privateAPIClient(t *testing.T, r *running, c awsClients) privateEndpoint {
	t.Helper()
	ctx := context.Background()
	vpcs := testutil.Must[*ec2.DescribeVpcsOutput](t)(c.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}))
	vpcID := aws.ToString(vpcs.Vpcs[0].VpcId)
	subnets := testutil.Must[*ec2.DescribeSubnetsOutput](t)(c.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{}))
	sg := testutil.Must[*ec2.CreateSecurityGroupOutput](t)(c.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName: aws.String("endpoint-sg"), Description: aws.String("execute-api endpoint"), VpcId: &vpcID}))
	testutil.Must[*ec2.AuthorizeSecurityGroupIngressOutput](t)(c.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: sg.GroupId, IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), CidrIp: aws.String("0.0.0.0/0")}))
	vpce := testutil.Must[*ec2.CreateVpcEndpointOutput](t)(c.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{
		VpcId: &vpcID, ServiceName: aws.String("com.amazonaws.us-west-2.execute-api"), VpcEndpointType: ec2types.VpcEndpointTypeInterface,
		SubnetIds: []string{aws.ToString(subnets.Subnets[0].SubnetId)}, SecurityGroupIds: []string{aws.ToString(sg.GroupId)}}))
	e := privateEndpoint{id: aws.ToString(vpce.VpcEndpoint.VpcEndpointId)}
	eventually(t, "the endpoint is available", func() (bool, string) {
		d := testutil.Must[*ec2.DescribeVpcEndpointsOutput](t)(c.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{e.id}}))
		return len(d.VpcEndpoints) == 1 && d.VpcEndpoints[0].State == "available", fmt.Sprintf("%+v", d.VpcEndpoints)
	})
	eventually(t, "the endpoint has its address", func() (bool, string) {
		enis := testutil.Must[*ec2.DescribeNetworkInterfacesOutput](t)(c.ec2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{
			Filters: []ec2types.Filter{{Name: aws.String("vpc-endpoint-id"), Values: []string{e.id}}}}))
		if len(enis.NetworkInterfaces) == 1 {
			e.ip = aws.ToString(enis.NetworkInterfaces[0].PrivateIpAddress)
		}
		return e.ip != "", fmt.Sprintf("%d interfaces", len(enis.NetworkInterfaces))
	})
	e.client = &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: caPool(t, r.cfg.DataDir)},
		DisableKeepAlives: true,
		// As curl does for a large body: send it only once the server agrees.
		ExpectContinueTimeout: 10 * time.Second,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, net.JoinHostPort(e.ip, "443"))
		},
	}}
	return e
}

// openPolicy lets anyone invoke every method: a private API's policy must
// allow the call, and these tests are about what comes after it.
const openPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*"}]}`

// createAPI creates, with the AWS SDK, a private REST API named name that
// only this endpoint reaches, with openPolicy.
func (e privateEndpoint) createAPI(t *testing.T, c awsClients, name string) *apigateway.CreateRestApiOutput {
	t.Helper()
	return testutil.Must[*apigateway.CreateRestApiOutput](t)(c.apigw.CreateRestApi(context.Background(), &apigateway.CreateRestApiInput{
		Name: aws.String(name), Policy: aws.String(openPolicy), EndpointConfiguration: &agtypes.EndpointConfiguration{
			Types: []agtypes.EndpointType{agtypes.EndpointTypePrivate}, VpcEndpointIds: []string{e.id}}}))
}
