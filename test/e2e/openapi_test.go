package e2e

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/testutil"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// TestOpenAPIImportServes imports an OpenAPI 3 definition of a private API
// (a MOCK integration, its policy and endpoint in x-amazon-apigateway-*
// extensions) with the AWS SDK, deploys it, calls it over real HTTPS through
// an interface endpoint, then replaces it with PutRestApi and exports it.
func TestOpenAPIImportServes(t *testing.T) {
	needRoot(t)
	r := start(t, addressPlan("127.95.0.0/16", "127.95.1.0/24", "127.95.2.0/24"))
	c := sdkClients(r.cfg.AWSListen)
	ctx := context.Background()

	// An interface endpoint for execute-api.
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
	vpceID := aws.ToString(vpce.VpcEndpoint.VpcEndpointId)
	eventually(t, "the endpoint is available", func() (bool, string) {
		d := testutil.Must[*ec2.DescribeVpcEndpointsOutput](t)(c.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{vpceID}}))
		return len(d.VpcEndpoints) == 1 && d.VpcEndpoints[0].State == "available", fmt.Sprintf("%+v", d.VpcEndpoints)
	})
	enis := testutil.Must[*ec2.DescribeNetworkInterfacesOutput](t)(c.ec2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{
		Filters: []ec2types.Filter{{Name: aws.String("vpc-endpoint-id"), Values: []string{vpceID}}}}))
	endpointIP := aws.ToString(enis.NetworkInterfaces[0].PrivateIpAddress)

	definition := `openapi: 3.0.1
info:
  title: imported
  version: "1.0"
paths:
  /pets:
    get:
      responses:
        "200":
          description: the pets
          headers:
            X-Source: {schema: {type: string}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates:
          application/json: '{"statusCode": 200}'
        responses:
          default:
            statusCode: "200"
            responseParameters:
              method.response.header.X-Source: "'openapi'"
            responseTemplates:
              application/json: '{"pets": ["rex", "tom"]}'
x-amazon-apigateway-endpoint-configuration:
  vpcEndpointIds: [` + vpceID + `]
x-amazon-apigateway-policy:
  Version: "2012-10-17"
  Statement:
    - Effect: Allow
      Principal: "*"
      Action: execute-api:Invoke
      Resource: execute-api:/*
`
	api := testutil.Must[*apigateway.ImportRestApiOutput](t)(c.apigw.ImportRestApi(ctx, &apigateway.ImportRestApiInput{
		Body: []byte(definition), FailOnWarnings: true, Parameters: map[string]string{"endpointConfigurationTypes": "PRIVATE"}}))
	apiID := aws.ToString(api.Id)
	testutil.Must[*apigateway.CreateDeploymentOutput](t)(c.apigw.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{
		RestApiId: &apiID, StageName: aws.String("prod")}))

	// Calls through the endpoint, by the API's private DNS name (as SNI and Host).
	host := apiID + ".execute-api.us-west-2.amazonaws.com"
	hc := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: caPool(t, r.cfg.DataDir)},
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, net.JoinHostPort(endpointIP, "443"))
		},
	}}
	get := func(path string) (int, http.Header, string) {
		t.Helper()
		resp, err := hc.Get("https://" + host + "/prod" + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("GET %s: read: %v", path, err)
		}
		return resp.StatusCode, resp.Header, string(b)
	}
	eventually(t, "the imported API serves", func() (bool, string) {
		status, _, body := get("/pets")
		return status == 200, fmt.Sprintf("%d %s", status, body)
	})
	status, hdr, body := get("/pets")
	if status != 200 || body != `{"pets": ["rex", "tom"]}` || hdr.Get("X-Source") != "openapi" {
		t.Errorf("GET /pets: got %d %q X-Source %q, want 200 %q openapi", status, body, hdr.Get("X-Source"), `{"pets": ["rex", "tom"]}`)
	}
	if status, _, _ := get("/owners"); status != 403 {
		t.Errorf("GET /owners before the put: got %d, want 403", status)
	}

	// PutRestApi (merge) adds a path; a new deployment serves it.
	owners := strings.Replace(definition, "  /pets:\n", "  /owners:\n    get:\n      responses: {\"200\": {description: ok}}\n"+
		"      x-amazon-apigateway-integration:\n        type: mock\n        requestTemplates: {application/json: '{\"statusCode\": 200}'}\n"+
		"        responses: {default: {statusCode: \"200\", responseTemplates: {application/json: '{\"owners\": 1}'}}}\n  /pets:\n", 1)
	testutil.Must[*apigateway.PutRestApiOutput](t)(c.apigw.PutRestApi(ctx, &apigateway.PutRestApiInput{RestApiId: &apiID,
		Mode: agtypes.PutModeMerge, Body: []byte(owners)}))
	testutil.Must[*apigateway.CreateDeploymentOutput](t)(c.apigw.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{
		RestApiId: &apiID, StageName: aws.String("prod")}))
	eventually(t, "the put path serves", func() (bool, string) {
		status, _, body := get("/owners")
		return status == 200 && body == `{"owners": 1}`, fmt.Sprintf("%d %s", status, body)
	})
	if status, _, _ := get("/pets"); status != 200 {
		t.Errorf("GET /pets after the merge: got %d, want 200", status)
	}

	// The export names both paths and the MOCK integration.
	exp := testutil.Must[*apigateway.GetExportOutput](t)(c.apigw.GetExport(ctx, &apigateway.GetExportInput{RestApiId: &apiID,
		StageName: aws.String("prod"), ExportType: aws.String("oas30"), Parameters: map[string]string{"extensions": "apigateway"}}))
	for _, want := range []string{`"/owners"`, `"/pets"`, `"type": "mock"`, `"x-amazon-apigateway-policy"`, vpceID} {
		if !strings.Contains(string(exp.Body), want) {
			t.Errorf("export: got %s, want it to contain %s", exp.Body, want)
		}
	}
}
