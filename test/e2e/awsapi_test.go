package e2e

import (
	"context"
	"errors"
	"fmt"
	"gatehouse/internal/testutil"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/globalaccelerator"
	gatypes "github.com/aws/aws-sdk-go-v2/service/globalaccelerator/types"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/miekg/dns"
)

// aws holds one SDK client per service, all against the daemon's endpoint.
type awsClients struct {
	sts   *sts.Client
	r53   *route53.Client
	acm   *acm.Client
	ec2   *ec2.Client
	apigw *apigateway.Client
	apiv2 *apigatewayv2.Client
	elb   *elbv2.Client
	ga    *globalaccelerator.Client
}

func sdkClients(endpoint string) awsClients { return sdkClientsAs(endpoint, "test", "test") }

func sdkClientsAs(endpoint, key, secret string) awsClients {
	cfg := aws.Config{
		Region:           "us-west-2",
		Credentials:      credentials.NewStaticCredentialsProvider(key, secret, ""),
		BaseEndpoint:     aws.String("http://" + endpoint),
		RetryMaxAttempts: 1,
	}
	return awsClients{
		sts: sts.NewFromConfig(cfg), r53: route53.NewFromConfig(cfg), acm: acm.NewFromConfig(cfg),
		ec2: ec2.NewFromConfig(cfg), apigw: apigateway.NewFromConfig(cfg), apiv2: apigatewayv2.NewFromConfig(cfg),
		elb: elbv2.NewFromConfig(cfg), ga: globalaccelerator.NewFromConfig(cfg),
	}
}

// wantAPIError checks that err is the AWS error code, as a script reads it.
func wantAPIError(t *testing.T, step string, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code {
		t.Fatalf("%s: got %v, want %s", step, err, code)
	}
	t.Logf("%s: %s: %s", step, ae.ErrorCode(), ae.ErrorMessage())
}

// eventually polls cond until it holds, within the e2e limit, and logs how
// long that took (what AWS takes minutes for: `go test -v -run AWSSDK
// ./test/e2e/` shows it); the limit only bounds a hang.
func eventually(t *testing.T, what string, cond func() (ok bool, got string)) {
	t.Helper()
	start := time.Now()
	testutil.EventuallyWithin(t, waitLimit, what, cond)
	t.Logf("%s: after %v", what, time.Since(start).Round(time.Millisecond))
}

// TestWalkthroughAWSSDK runs ../shared/WALKTHROUGH.md step by step with the
// AWS SDK for Go v2 against a running daemon, checks the traffic, then cleans
// up in the walkthrough's order and checks that each step stops its traffic.
func TestWalkthroughAWSSDK(t *testing.T) {
	needRoot(t)
	r := start(t)
	c := sdkClients(r.cfg.AWSListen)
	ctx := context.Background()

	who := testutil.Must[*sts.GetCallerIdentityOutput](t)(c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	if aws.ToString(who.Account) != "000000000000" {
		t.Fatalf("account %q", aws.ToString(who.Account))
	}
	_, err := sdkClientsAs(r.cfg.AWSListen, "test", "wrong").ga.ListAccelerators(ctx, &globalaccelerator.ListAcceleratorsInput{})
	wantAPIError(t, "a wrong secret key", err, "InvalidSignatureException")
	_, err = sdkClientsAs(r.cfg.AWSListen, "AKIDUNKNOWN", "test").elb.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{})
	wantAPIError(t, "an unknown access key", err, "InvalidClientTokenId")

	// The hosted zone the certificate is validated in and the alias lives in.
	zone := testutil.Must[*route53.CreateHostedZoneOutput](t)(c.r53.CreateHostedZone(ctx, &route53.CreateHostedZoneInput{
		Name: aws.String("example.test"), CallerReference: aws.String("walkthrough-1")}))
	zoneID := aws.ToString(zone.HostedZone.Id)

	// 1. Certificate, DNS-validated.
	certARN := aws.ToString(testutil.Must[*acm.RequestCertificateOutput](t)(c.acm.RequestCertificate(ctx, &acm.RequestCertificateInput{
		DomainName: aws.String(domain), ValidationMethod: acmtypes.ValidationMethodDns})).CertificateArn)
	var rr *acmtypes.ResourceRecord
	eventually(t, "the certificate lists its validation record", func() (bool, string) {
		d := testutil.Must[*acm.DescribeCertificateOutput](t)(c.acm.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: &certARN}))
		if len(d.Certificate.DomainValidationOptions) == 1 {
			rr = d.Certificate.DomainValidationOptions[0].ResourceRecord
		}
		return rr != nil, fmt.Sprintf("%d validation options, none with a record", len(d.Certificate.DomainValidationOptions))
	})
	change(t, c, zoneID, r53types.ChangeActionCreate, r53types.ResourceRecordSet{
		Name: rr.Name, Type: r53types.RRType(rr.Type), TTL: aws.Int64(300),
		ResourceRecords: []r53types.ResourceRecord{{Value: rr.Value}}})
	eventually(t, "the certificate is ISSUED", func() (bool, string) {
		d := testutil.Must[*acm.DescribeCertificateOutput](t)(c.acm.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: &certARN}))
		return d.Certificate.Status == acmtypes.CertificateStatusIssued, "status " + string(d.Certificate.Status)
	})

	// 2. Interface endpoint for execute-api in two availability zones.
	vpcs := testutil.Must[*ec2.DescribeVpcsOutput](t)(c.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}))
	if len(vpcs.Vpcs) != 1 {
		t.Fatalf("want the default VPC, got %d VPCs", len(vpcs.Vpcs))
	}
	vpcID := aws.ToString(vpcs.Vpcs[0].VpcId)
	subnets := testutil.Must[*ec2.DescribeSubnetsOutput](t)(c.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{}))
	var subnetIDs []string // zones a and b
	for _, s := range subnets.Subnets {
		if z := aws.ToString(s.AvailabilityZone); z == "us-west-2a" || z == "us-west-2b" {
			subnetIDs = append(subnetIDs, aws.ToString(s.SubnetId))
		}
	}
	if len(subnetIDs) != 2 {
		t.Fatalf("subnets in us-west-2a/b: %v", subnetIDs)
	}
	sg := testutil.Must[*ec2.CreateSecurityGroupOutput](t)(c.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName: aws.String("endpoint-sg"), Description: aws.String("execute-api endpoint"), VpcId: &vpcID}))
	testutil.Must[*ec2.AuthorizeSecurityGroupIngressOutput](t)(c.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: sg.GroupId, IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), CidrIp: aws.String("0.0.0.0/0")}))
	vpce := testutil.Must[*ec2.CreateVpcEndpointOutput](t)(c.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{
		VpcId: &vpcID, ServiceName: aws.String("com.amazonaws.us-west-2.execute-api"), VpcEndpointType: ec2types.VpcEndpointTypeInterface,
		SubnetIds: subnetIDs, SecurityGroupIds: []string{aws.ToString(sg.GroupId)}, PrivateDnsEnabled: aws.Bool(true)}))
	vpceID := aws.ToString(vpce.VpcEndpoint.VpcEndpointId)
	eventually(t, "the endpoint is available", func() (bool, string) {
		d := testutil.Must[*ec2.DescribeVpcEndpointsOutput](t)(c.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{vpceID}}))
		if len(d.VpcEndpoints) != 1 {
			return false, fmt.Sprintf("%d endpoints described", len(d.VpcEndpoints))
		}
		return d.VpcEndpoints[0].State == "available", "state " + string(d.VpcEndpoints[0].State)
	})
	enis := testutil.Must[*ec2.DescribeNetworkInterfacesOutput](t)(c.ec2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{
		Filters: []ec2types.Filter{{Name: aws.String("vpc-endpoint-id"), Values: []string{vpceID}}}}))
	var endpointIPs []string
	for _, ni := range enis.NetworkInterfaces {
		endpointIPs = append(endpointIPs, aws.ToString(ni.PrivateIpAddress))
	}
	if len(endpointIPs) != 2 {
		t.Fatalf("endpoint IPs %v, want one per subnet", endpointIPs)
	}

	// 3. Private REST API, GET / with a MOCK integration. A private API
	// without a resource policy cannot be deployed.
	api := testutil.Must[*apigateway.CreateRestApiOutput](t)(c.apigw.CreateRestApi(ctx, &apigateway.CreateRestApiInput{
		Name: aws.String("demo"), EndpointConfiguration: &agtypes.EndpointConfiguration{
			Types: []agtypes.EndpointType{agtypes.EndpointTypePrivate}, VpcEndpointIds: []string{vpceID}}}))
	apiID := aws.ToString(api.Id)
	res := testutil.Must[*apigateway.GetResourcesOutput](t)(c.apigw.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: &apiID}))
	if len(res.Items) != 1 || aws.ToString(res.Items[0].Path) != "/" {
		t.Fatalf("resources of a new API: %+v", res.Items)
	}
	root := res.Items[0].Id
	testutil.Must[*apigateway.PutMethodOutput](t)(c.apigw.PutMethod(ctx, &apigateway.PutMethodInput{
		RestApiId: &apiID, ResourceId: root, HttpMethod: aws.String("GET"), AuthorizationType: aws.String("NONE")}))
	testutil.Must[*apigateway.PutIntegrationOutput](t)(c.apigw.PutIntegration(ctx, &apigateway.PutIntegrationInput{
		RestApiId: &apiID, ResourceId: root, HttpMethod: aws.String("GET"), Type: agtypes.IntegrationTypeMock,
		RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}}))
	testutil.Must[*apigateway.PutMethodResponseOutput](t)(c.apigw.PutMethodResponse(ctx, &apigateway.PutMethodResponseInput{
		RestApiId: &apiID, ResourceId: root, HttpMethod: aws.String("GET"), StatusCode: aws.String("200")}))
	testutil.Must[*apigateway.PutIntegrationResponseOutput](t)(c.apigw.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{
		RestApiId: &apiID, ResourceId: root, HttpMethod: aws.String("GET"), StatusCode: aws.String("200")}))
	_, err = c.apigw.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &apiID, StageName: aws.String("prod")})
	wantAPIError(t, "create-deployment without a resource policy", err, "BadRequestException")
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*"}]}`
	testutil.Must[*apigateway.UpdateRestApiOutput](t)(c.apigw.UpdateRestApi(ctx, &apigateway.UpdateRestApiInput{
		RestApiId: &apiID, PatchOperations: []agtypes.PatchOperation{{Op: agtypes.OpReplace, Path: aws.String("/policy"), Value: aws.String(policy)}}}))
	testutil.Must[*apigateway.CreateDeploymentOutput](t)(c.apigw.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{
		RestApiId: &apiID, StageName: aws.String("prod")}))

	// 4. Custom domain name (REGIONAL) and the API mapping.
	testutil.Must[*apigateway.CreateDomainNameOutput](t)(c.apigw.CreateDomainName(ctx, &apigateway.CreateDomainNameInput{
		DomainName: aws.String(domain), RegionalCertificateArn: &certARN,
		EndpointConfiguration: &agtypes.EndpointConfiguration{Types: []agtypes.EndpointType{agtypes.EndpointTypeRegional}}}))
	mapping := testutil.Must[*apigatewayv2.CreateApiMappingOutput](t)(c.apiv2.CreateApiMapping(ctx, &apigatewayv2.CreateApiMappingInput{
		DomainName: aws.String(domain), ApiId: &apiID, Stage: aws.String("prod")}))
	_, err = c.apigw.CreateBasePathMapping(ctx, &apigateway.CreateBasePathMappingInput{DomainName: aws.String(domain), RestApiId: &apiID, Stage: aws.String("prod")})
	wantAPIError(t, "a second mapping of the same base path", err, "ConflictException")

	// 5. Load balancer: target group of the endpoint's IPs, health checks
	// over HTTPS that expect 403, an HTTPS listener with the certificate.
	tg := testutil.Must[*elbv2.CreateTargetGroupOutput](t)(c.elb.CreateTargetGroup(ctx, &elbv2.CreateTargetGroupInput{
		Name: aws.String("api-targets"), Protocol: elbtypes.ProtocolEnumHttps, ProtocolVersion: aws.String("HTTP1"), Port: aws.Int32(443),
		VpcId: &vpcID, TargetType: elbtypes.TargetTypeEnumIp, HealthCheckProtocol: elbtypes.ProtocolEnumHttps,
		Matcher: &elbtypes.Matcher{HttpCode: aws.String("403")},
		// ALB's defaults (30 s × 5) take 150 s to call a target healthy; the
		// walkthrough's stack file uses the fastest ALB allows, as here.
		HealthCheckIntervalSeconds: aws.Int32(5), HealthCheckTimeoutSeconds: aws.Int32(2), HealthyThresholdCount: aws.Int32(2)}))
	tgARN := aws.ToString(tg.TargetGroups[0].TargetGroupArn)
	var targets []elbtypes.TargetDescription
	for _, ip := range endpointIPs {
		targets = append(targets, elbtypes.TargetDescription{Id: aws.String(ip), Port: aws.Int32(443)})
	}
	testutil.Must[*elbv2.RegisterTargetsOutput](t)(c.elb.RegisterTargets(ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: &tgARN, Targets: targets}))
	albSG := testutil.Must[*ec2.CreateSecurityGroupOutput](t)(c.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName: aws.String("alb-sg"), Description: aws.String("public HTTPS"), VpcId: &vpcID}))
	testutil.Must[*ec2.AuthorizeSecurityGroupIngressOutput](t)(c.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: albSG.GroupId, IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), CidrIp: aws.String("0.0.0.0/0")}))
	lb := testutil.Must[*elbv2.CreateLoadBalancerOutput](t)(c.elb.CreateLoadBalancer(ctx, &elbv2.CreateLoadBalancerInput{
		Name: aws.String("edge"), Subnets: subnetIDs, SecurityGroups: []string{aws.ToString(albSG.GroupId)},
		Scheme: elbtypes.LoadBalancerSchemeEnumInternetFacing, Type: elbtypes.LoadBalancerTypeEnumApplication}))
	lbARN := aws.ToString(lb.LoadBalancers[0].LoadBalancerArn)
	listener := testutil.Must[*elbv2.CreateListenerOutput](t)(c.elb.CreateListener(ctx, &elbv2.CreateListenerInput{
		LoadBalancerArn: &lbARN, Protocol: elbtypes.ProtocolEnumHttps, Port: aws.Int32(443),
		Certificates:   []elbtypes.Certificate{{CertificateArn: &certARN}},
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: &tgARN}}}))
	listenerARN := aws.ToString(listener.Listeners[0].ListenerArn)
	eventually(t, "both endpoint IPs are healthy (the API answers the probes 403)", func() (bool, string) {
		h := testutil.Must[*elbv2.DescribeTargetHealthOutput](t)(c.elb.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: &tgARN}))
		healthy := 0
		for _, d := range h.TargetHealthDescriptions {
			if d.TargetHealth.State == elbtypes.TargetHealthStateEnumHealthy {
				healthy++
			}
		}
		return healthy == 2, targetHealth(h.TargetHealthDescriptions)
	})

	// The Global Accelerator add-on: an accelerator in front of the ALB.
	acc := testutil.Must[*globalaccelerator.CreateAcceleratorOutput](t)(c.ga.CreateAccelerator(ctx, &globalaccelerator.CreateAcceleratorInput{
		Name: aws.String("edge"), IdempotencyToken: aws.String("walkthrough-1"), Enabled: aws.Bool(true)}))
	accARN := aws.ToString(acc.Accelerator.AcceleratorArn)
	gaListener := testutil.Must[*globalaccelerator.CreateListenerOutput](t)(c.ga.CreateListener(ctx, &globalaccelerator.CreateListenerInput{
		AcceleratorArn: &accARN, Protocol: gatypes.ProtocolTcp, PortRanges: []gatypes.PortRange{{FromPort: aws.Int32(443), ToPort: aws.Int32(443)}},
		IdempotencyToken: aws.String("walkthrough-2")}))
	gaListenerARN := aws.ToString(gaListener.Listener.ListenerArn)
	group := testutil.Must[*globalaccelerator.CreateEndpointGroupOutput](t)(c.ga.CreateEndpointGroup(ctx, &globalaccelerator.CreateEndpointGroupInput{
		ListenerArn: &gaListenerARN, EndpointGroupRegion: aws.String("us-west-2"), IdempotencyToken: aws.String("walkthrough-3"),
		EndpointConfigurations: []gatypes.EndpointConfiguration{{EndpointId: &lbARN, ClientIPPreservationEnabled: aws.Bool(true)}}}))
	groupARN := aws.ToString(group.EndpointGroup.EndpointGroupArn)
	var staticIPs []string
	var accDNS string
	eventually(t, "the accelerator is DEPLOYED", func() (bool, string) {
		d := testutil.Must[*globalaccelerator.DescribeAcceleratorOutput](t)(c.ga.DescribeAccelerator(ctx, &globalaccelerator.DescribeAcceleratorInput{AcceleratorArn: &accARN}))
		staticIPs = nil
		for _, s := range d.Accelerator.IpSets {
			staticIPs = append(staticIPs, s.IpAddresses...)
		}
		accDNS = aws.ToString(d.Accelerator.DnsName)
		return d.Accelerator.Status == gatypes.AcceleratorStatusDeployed, "status " + string(d.Accelerator.Status)
	})
	slices.Sort(staticIPs)
	if len(staticIPs) != 2 {
		t.Fatalf("static IPs %v, want two", staticIPs)
	}

	// 6. The alias record to the accelerator.
	change(t, c, zoneID, r53types.ChangeActionCreate, r53types.ResourceRecordSet{
		Name: aws.String(domain), Type: r53types.RRTypeA,
		AliasTarget: &r53types.AliasTarget{DNSName: &accDNS, HostedZoneId: aws.String("Z2BJ6XQ5FK7U4H"), EvaluateTargetHealth: false}})
	_, err = c.r53.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{HostedZoneId: &zoneID, ChangeBatch: &r53types.ChangeBatch{
		Changes: []r53types.Change{{Action: r53types.ChangeActionCreate, ResourceRecordSet: &r53types.ResourceRecordSet{
			Name: aws.String(domain), Type: r53types.RRTypeA, AliasTarget: &r53types.AliasTarget{DNSName: &accDNS, HostedZoneId: aws.String("Z2BJ6XQ5FK7U4H")}}}}}})
	wantAPIError(t, "creating the alias record twice", err, "InvalidChangeBatch")

	// 7. Validation: DNS answers the static IPs, each serves the mock over
	// TLS the certificate makes valid, and a path with no method is 403.
	if got := resolve(t, r.cfg.DNSListen, domain); !slices.Equal(got, staticIPs) {
		t.Fatalf("%s resolves to %v, want the static IPs %v", domain, got, staticIPs)
	}
	for _, ip := range staticIPs {
		hc := client(t, r.cfg.DataDir, ip, "")
		if status, _, body := get(t, hc, "/"); status != 200 || body != "" {
			t.Fatalf("GET / via %s: %d %q, want 200 and an empty body", ip, status, body)
		}
		if status, _, _ := get(t, hc, "/nope"); status != 403 {
			t.Fatalf("GET /nope via %s: %d, want 403", ip, status)
		}
	}

	// AWS's refusals a user meets on the way.
	_, err = c.ga.DeleteAccelerator(ctx, &globalaccelerator.DeleteAcceleratorInput{AcceleratorArn: &accARN})
	wantAPIError(t, "delete-accelerator while enabled", err, "AcceleratorNotDisabledException")
	_, err = c.acm.DeleteCertificate(ctx, &acm.DeleteCertificateInput{CertificateArn: &certARN})
	wantAPIError(t, "delete-certificate in use", err, "ResourceInUseException")
	_, err = c.apigw.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: aws.String("nosuchapi")})
	wantAPIError(t, "get-rest-api of an unknown id", err, "NotFoundException")

	// Clean-up, in the walkthrough's order; each step stops its traffic.
	// 1. The alias record.
	change(t, c, zoneID, r53types.ChangeActionDelete, r53types.ResourceRecordSet{
		Name: aws.String(domain), Type: r53types.RRTypeA,
		AliasTarget: &r53types.AliasTarget{DNSName: &accDNS, HostedZoneId: aws.String("Z2BJ6XQ5FK7U4H"), EvaluateTargetHealth: false}})
	// The certificate's validation record still lives under the name, so it
	// is an empty non-terminal: NOERROR with no answer (RFC 8020), not NXDOMAIN.
	if in := lookup(t, r.cfg.DNSListen, domain); in.Rcode != dns.RcodeSuccess || len(in.Answer) != 0 {
		t.Fatalf("after deleting the alias, %s answers %s %v; want NOERROR and no records", domain, dns.RcodeToString[in.Rcode], in.Answer)
	}
	// 2. Disable the accelerator, then delete it (endpoint group and listener first).
	testutil.Must[*globalaccelerator.UpdateAcceleratorOutput](t)(c.ga.UpdateAccelerator(ctx, &globalaccelerator.UpdateAcceleratorInput{
		AcceleratorArn: &accARN, Enabled: aws.Bool(false)}))
	eventually(t, "the static IPs stop answering once the accelerator is disabled", func() (bool, string) { return noneAnswers(staticIPs) })
	testutil.Must[*globalaccelerator.DeleteEndpointGroupOutput](t)(c.ga.DeleteEndpointGroup(ctx, &globalaccelerator.DeleteEndpointGroupInput{EndpointGroupArn: &groupARN}))
	testutil.Must[*globalaccelerator.DeleteListenerOutput](t)(c.ga.DeleteListener(ctx, &globalaccelerator.DeleteListenerInput{ListenerArn: &gaListenerARN}))
	testutil.Must[*globalaccelerator.DeleteAcceleratorOutput](t)(c.ga.DeleteAccelerator(ctx, &globalaccelerator.DeleteAcceleratorInput{AcceleratorArn: &accARN}))
	_, err = c.ga.DescribeAccelerator(ctx, &globalaccelerator.DescribeAcceleratorInput{AcceleratorArn: &accARN})
	wantAPIError(t, "describe-accelerator after delete", err, "AcceleratorNotFoundException")
	// 3. The load balancer and its target group.
	// The ALB's nodes, as a user finds them: its DNS name, one IP per subnet.
	lbs := testutil.Must[*elbv2.DescribeLoadBalancersOutput](t)(c.elb.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{LoadBalancerArns: []string{lbARN}}))
	lbIPs := resolve(t, r.cfg.DNSListen, aws.ToString(lbs.LoadBalancers[0].DNSName))
	if got := answering(lbIPs...); len(lbIPs) != 2 || len(got) != 2 {
		t.Fatalf("the load balancer's nodes %v: %v answer before its deletion; want two, both", lbIPs, got)
	}
	testutil.Must[*elbv2.DeleteListenerOutput](t)(c.elb.DeleteListener(ctx, &elbv2.DeleteListenerInput{ListenerArn: &listenerARN}))
	testutil.Must[*elbv2.DeleteLoadBalancerOutput](t)(c.elb.DeleteLoadBalancer(ctx, &elbv2.DeleteLoadBalancerInput{LoadBalancerArn: &lbARN}))
	testutil.Must[*elbv2.DeleteTargetGroupOutput](t)(c.elb.DeleteTargetGroup(ctx, &elbv2.DeleteTargetGroupInput{TargetGroupArn: &tgARN}))
	eventually(t, "the load balancer's nodes stop answering", func() (bool, string) { return noneAnswers(lbIPs) })
	_, err = c.elb.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{TargetGroupArns: []string{tgARN}})
	wantAPIError(t, "describe-target-groups after delete", err, "TargetGroupNotFound")
	// 4. The custom domain name, then the API.
	testutil.Must[*apigatewayv2.DeleteApiMappingOutput](t)(c.apiv2.DeleteApiMapping(ctx, &apigatewayv2.DeleteApiMappingInput{
		DomainName: aws.String(domain), ApiMappingId: mapping.ApiMappingId}))
	testutil.Must[*apigateway.DeleteDomainNameOutput](t)(c.apigw.DeleteDomainName(ctx, &apigateway.DeleteDomainNameInput{DomainName: aws.String(domain)}))
	testutil.Must[*apigateway.DeleteRestApiOutput](t)(c.apigw.DeleteRestApi(ctx, &apigateway.DeleteRestApiInput{RestApiId: &apiID}))
	_, err = c.apigw.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: &apiID})
	wantAPIError(t, "get-rest-api after delete", err, "NotFoundException")
	// 5. The interface endpoint: its IPs stop listening.
	if got := answering(endpointIPs...); len(got) != len(endpointIPs) {
		t.Fatalf("of the endpoint IPs %v only %v answer before the endpoint's deletion", endpointIPs, got)
	}
	del := testutil.Must[*ec2.DeleteVpcEndpointsOutput](t)(c.ec2.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{vpceID}}))
	if len(del.Unsuccessful) != 0 {
		t.Fatalf("delete-vpc-endpoints: %+v", del.Unsuccessful)
	}
	eventually(t, "the endpoint's IPs stop answering", func() (bool, string) { return noneAnswers(endpointIPs) })
	// 6. The certificate, no longer in use.
	testutil.Must[*acm.DeleteCertificateOutput](t)(c.acm.DeleteCertificate(ctx, &acm.DeleteCertificateInput{CertificateArn: &certARN}))
	_, err = c.acm.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: &certARN})
	wantAPIError(t, "describe-certificate after delete", err, "ResourceNotFoundException")

	// What is left is ours to remove too: security groups and the zone.
	for _, id := range []*string{sg.GroupId, albSG.GroupId} {
		testutil.Must[*ec2.DeleteSecurityGroupOutput](t)(c.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: id}))
	}
	change(t, c, zoneID, r53types.ChangeActionDelete, r53types.ResourceRecordSet{
		Name: rr.Name, Type: r53types.RRType(rr.Type), TTL: aws.Int64(300),
		ResourceRecords: []r53types.ResourceRecord{{Value: rr.Value}}})
	testutil.Must[*route53.DeleteHostedZoneOutput](t)(c.r53.DeleteHostedZone(ctx, &route53.DeleteHostedZoneInput{Id: &zoneID}))
}

// change applies one change and waits until Route 53 says it is INSYNC.
func change(t *testing.T, c awsClients, zoneID string, action r53types.ChangeAction, set r53types.ResourceRecordSet) {
	t.Helper()
	ctx := context.Background()
	out := testutil.Must[*route53.ChangeResourceRecordSetsOutput](t)(
		c.r53.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{HostedZoneId: &zoneID,
			ChangeBatch: &r53types.ChangeBatch{Changes: []r53types.Change{{Action: action, ResourceRecordSet: &set}}}}))
	eventually(t, "the change is INSYNC", func() (bool, string) {
		g := testutil.Must[*route53.GetChangeOutput](t)(c.r53.GetChange(ctx, &route53.GetChangeInput{Id: out.ChangeInfo.Id}))
		return g.ChangeInfo.Status == r53types.ChangeStatusInsync, "status " + string(g.ChangeInfo.Status)
	})
}

// noneAnswers holds when none of ips accepts a TCP connection on 443, and
// names those that still do.
func noneAnswers(ips []string) (bool, string) {
	still := answering(ips...)
	return len(still) == 0, fmt.Sprintf("%v answering", still)
}

// answering returns the IPs that accept a TCP connection on 443.
func answering(ips ...string) []string {
	var ok []string
	for _, ip := range ips {
		if c, err := net.DialTimeout("tcp", net.JoinHostPort(ip, "443"), time.Second); err == nil {
			c.Close()
			ok = append(ok, ip)
		}
	}
	return ok
}

// targetHealth is the target health describe-target-health reported, one
// "ip:port state reason description" per target.
func targetHealth(ds []elbtypes.TargetHealthDescription) string {
	var out []string
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%s:%d %s %s %s", aws.ToString(d.Target.Id), aws.ToInt32(d.Target.Port), d.TargetHealth.State, d.TargetHealth.Reason, aws.ToString(d.TargetHealth.Description)))
	}
	return "[" + strings.Join(out, "; ") + "]"
}
