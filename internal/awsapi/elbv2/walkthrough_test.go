package elbv2_test

import (
	"fmt"
	"gatehouse/internal/testutil"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// TestWalkthrough drives the walkthrough's load balancer steps with the SDK,
// in its order, and checks what a script would read: an HTTPS target group of
// IP targets checked over HTTPS with success code 403, an internet-facing ALB
// with an HTTPS listener on 443, the targets becoming healthy, traffic through
// the listener, and the clean-up (load balancer, then target group).
func TestWalkthrough(t *testing.T) {
	e := newEnv(t)
	ctx := e.ctx
	port := backend(t)

	tgOut, err := e.elb.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{
		Name: aws.String("api-targets"), Protocol: types.ProtocolEnumHttps, ProtocolVersion: aws.String("HTTP1"),
		Port: aws.Int32(443), VpcId: aws.String(testVPC), TargetType: types.TargetTypeEnumIp,
		HealthCheckProtocol: types.ProtocolEnumHttps, HealthCheckIntervalSeconds: aws.Int32(5), HealthCheckTimeoutSeconds: aws.Int32(2),
		HealthyThresholdCount: aws.Int32(2), Matcher: &types.Matcher{HttpCode: aws.String("403")},
	})
	if err != nil {
		t.Fatalf("CreateTargetGroup: %v", err)
	}
	tg := tgOut.TargetGroups[0]
	tgARN := aws.ToString(tg.TargetGroupArn)
	if !strings.HasPrefix(tgARN, "arn:aws:elasticloadbalancing:us-west-2:000000000000:targetgroup/api-targets/") ||
		tg.Protocol != types.ProtocolEnumHttps || aws.ToString(tg.ProtocolVersion) != "HTTP1" || tg.TargetType != types.TargetTypeEnumIp ||
		tg.HealthCheckProtocol != types.ProtocolEnumHttps || aws.ToString(tg.Matcher.HttpCode) != "403" ||
		aws.ToString(tg.HealthCheckPort) != "traffic-port" || aws.ToString(tg.HealthCheckPath) != "/" || !aws.ToBool(tg.HealthCheckEnabled) {
		t.Errorf("target group: got %+v", tg)
	}

	if _, err := e.elb.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: &tgARN,
		Targets: []types.TargetDescription{{Id: aws.String(targetIP), Port: aws.Int32(int32(port))}}}); err != nil {
		t.Fatalf("RegisterTargets: %v", err)
	}

	lbOut, err := e.elb.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{
		Name: aws.String("edge"), Subnets: []string{subnetA, subnetB}, SecurityGroups: []string{sgWeb},
		Scheme: types.LoadBalancerSchemeEnumInternetFacing, Type: types.LoadBalancerTypeEnumApplication,
		IpAddressType: types.IpAddressTypeIpv4,
	})
	if err != nil {
		t.Fatalf("CreateLoadBalancer: %v", err)
	}
	lb := lbOut.LoadBalancers[0]
	lbARN := aws.ToString(lb.LoadBalancerArn)
	if !strings.HasPrefix(lbARN, "arn:aws:elasticloadbalancing:us-west-2:000000000000:loadbalancer/app/edge/") ||
		!strings.HasPrefix(aws.ToString(lb.DNSName), "edge-") || aws.ToString(lb.CanonicalHostedZoneId) != "Z1H1FL5HABSF5" ||
		lb.State.Code != types.LoadBalancerStateEnumProvisioning || lb.Scheme != types.LoadBalancerSchemeEnumInternetFacing ||
		aws.ToString(lb.VpcId) != testVPC || len(lb.AvailabilityZones) != 2 || lb.CreatedTime == nil ||
		len(lb.SecurityGroups) != 1 || lb.SecurityGroups[0] != sgWeb || lb.Type != types.LoadBalancerTypeEnumApplication {
		t.Errorf("load balancer: got %+v", lb)
	}
	if since := time.Since(aws.ToTime(lb.CreatedTime)); since < -time.Minute || since > time.Minute {
		t.Errorf("CreatedTime: got %v, want about now", lb.CreatedTime)
	}

	lsOut, err := e.elb.CreateListener(ctx, &elb.CreateListenerInput{
		LoadBalancerArn: &lbARN, Protocol: types.ProtocolEnumHttps, Port: aws.Int32(443),
		Certificates:   []types.Certificate{{CertificateArn: aws.String(certARN)}},
		DefaultActions: []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: &tgARN}},
	})
	if err != nil {
		t.Fatalf("CreateListener: %v", err)
	}
	ls := lsOut.Listeners[0]
	if aws.ToInt32(ls.Port) != 443 || ls.Protocol != types.ProtocolEnumHttps || aws.ToString(ls.SslPolicy) != "ELBSecurityPolicy-2016-08" ||
		len(ls.Certificates) != 1 || aws.ToString(ls.Certificates[0].CertificateArn) != certARN ||
		len(ls.DefaultActions) != 1 || aws.ToString(ls.DefaultActions[0].TargetGroupArn) != tgARN ||
		ls.DefaultActions[0].ForwardConfig == nil || aws.ToString(ls.DefaultActions[0].ForwardConfig.TargetGroups[0].TargetGroupArn) != tgARN {
		t.Errorf("listener: got %+v", ls)
	}

	// Status flows back: the load balancer becomes active once its sockets
	// are open, and the target healthy once the 403 checks pass.
	testutil.Eventually(t, "load balancer active", func() (bool, string) {
		out, err := e.elb.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Names: []string{"edge"}})
		if err != nil {
			return false, err.Error()
		}
		return out.LoadBalancers[0].State.Code == types.LoadBalancerStateEnumActive, string(out.LoadBalancers[0].State.Code)
	})
	testutil.Eventually(t, "target healthy", func() (bool, string) {
		out, err := e.elb.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: &tgARN})
		if err != nil || len(out.TargetHealthDescriptions) != 1 {
			return false, fmt.Sprint(out, err)
		}
		d := out.TargetHealthDescriptions[0]
		if aws.ToString(d.Target.Id) != targetIP || aws.ToInt32(d.Target.Port) != int32(port) || aws.ToString(d.HealthCheckPort) != fmt.Sprint(port) {
			t.Errorf("target health description: got %+v", d)
		}
		return d.TargetHealth.State == types.TargetHealthStateEnumHealthy, fmt.Sprintf("%s %s", d.TargetHealth.State, d.TargetHealth.Reason)
	})
	tgs, err := e.elb.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{LoadBalancerArn: &lbARN})
	if err != nil || len(tgs.TargetGroups) != 1 || len(tgs.TargetGroups[0].LoadBalancerArns) != 1 || tgs.TargetGroups[0].LoadBalancerArns[0] != lbARN {
		t.Errorf("DescribeTargetGroups by load balancer: got %+v, %v", tgs, err)
	}

	code, body, err := e.get("127.0.52.4:443", testDomain, "/")
	if err != nil || code != 200 || body != "hello from target" {
		t.Errorf("GET through the listener: got %d %q %v, want 200 from the target", code, body, err)
	}

	// Clean-up, in the walkthrough's order.
	if _, err := e.elb.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: &lbARN}); err != nil {
		t.Fatalf("DeleteLoadBalancer: %v", err)
	}
	if _, err := e.elb.DeleteTargetGroup(ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: &tgARN}); err != nil {
		t.Fatalf("DeleteTargetGroup: %v", err)
	}
	_, err = e.elb.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{lbARN}})
	wantAPIError(t, "load balancer after delete", err, "LoadBalancerNotFound", "One or more load balancers not found")
	_, err = e.elb.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{tgARN}})
	wantAPIError(t, "target group after delete", err, "TargetGroupNotFound", "One or more target groups not found")
	testutil.Eventually(t, "traffic stops", func() (bool, string) {
		code, _, err := e.get("127.0.52.4:443", testDomain, "/")
		return err != nil, fmt.Sprint(code)
	})
}

// TestRulesServed: the listener evaluates its rules by priority before the
// default action: fixed-response, redirect and forward rules, and a
// SetRulePriorities swap that changes which rule wins.
func TestRulesServed(t *testing.T) {
	e := newEnv(t)
	ctx := e.ctx
	f := e.fixture(t, "served")
	create := func(prio int32, cond types.RuleCondition, act types.Action) string {
		t.Helper()
		out, err := e.elb.CreateRule(ctx, &elb.CreateRuleInput{ListenerArn: &f.listenerARN, Priority: &prio,
			Conditions: []types.RuleCondition{cond}, Actions: []types.Action{act}})
		if err != nil {
			t.Fatalf("CreateRule %d: %v", prio, err)
		}
		return *out.Rules[0].RuleArn
	}
	fixed := func(code, body string) types.Action {
		return types.Action{Type: types.ActionTypeEnumFixedResponse, FixedResponseConfig: &types.FixedResponseActionConfig{
			StatusCode: aws.String(code), ContentType: aws.String("text/plain"), MessageBody: aws.String(body)}}
	}
	path := func(p string) types.RuleCondition {
		return types.RuleCondition{Field: aws.String("path-pattern"), Values: []string{p}}
	}
	tea := create(10, path("/tea/*"), fixed("418", "teapot"))
	any := create(20, path("/*"), fixed("200", "catch-all"))
	create(5, types.RuleCondition{Field: aws.String("host-header"), Values: []string{otherHost}},
		types.Action{Type: types.ActionTypeEnumRedirect, RedirectConfig: &types.RedirectActionConfig{
			Host: aws.String(testDomain), Path: aws.String("/moved/#{path}"), StatusCode: types.RedirectActionStatusCodeEnumHttp301}})
	if _, err := e.elb.AddListenerCertificates(ctx, &elb.AddListenerCertificatesInput{ListenerArn: &f.listenerARN,
		Certificates: []types.Certificate{{CertificateArn: aws.String(cert2ARN)}}}); err != nil {
		t.Fatal(err)
	}

	want := func(host, path string, code int, body string) {
		t.Helper()
		testutil.Eventually(t, fmt.Sprintf("GET %s%s → %d %s", host, path, code, body), func() (bool, string) {
			c, b, err := e.get("127.0.52.4:443", host, path)
			return err == nil && c == code && b == body, fmt.Sprint(c, " ", b, " ", err)
		})
	}
	want(testDomain, "/tea/green", 418, "teapot")
	want(testDomain, "/coffee", 200, "catch-all")
	// The extra certificate is served by SNI; the redirect keeps the path.
	want(otherHost, "/a/b?x=1", 301, "https://"+testDomain+"/moved/a/b?x=1")

	if _, err := e.elb.SetRulePriorities(ctx, &elb.SetRulePrioritiesInput{RulePriorities: []types.RulePriorityPair{
		{RuleArn: &tea, Priority: aws.Int32(20)}, {RuleArn: &any, Priority: aws.Int32(10)}}}); err != nil {
		t.Fatal(err)
	}
	want(testDomain, "/tea/green", 200, "catch-all")
	if _, err := e.elb.DeleteRule(ctx, &elb.DeleteRuleInput{RuleArn: &any}); err != nil {
		t.Fatal(err)
	}
	want(testDomain, "/tea/green", 418, "teapot")
	// No rule matches: the default action forwards to a group with no targets.
	want(testDomain, "/coffee", 503, "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n</body>\r\n</html>\r\n")
}
