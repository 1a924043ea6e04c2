package elbv2_test

import (
	"encoding/xml"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

const (
	missingLB   = "arn:aws:elasticloadbalancing:us-west-2:000000000000:loadbalancer/app/nope/0123456789abcdef"
	missingTG   = "arn:aws:elasticloadbalancing:us-west-2:000000000000:targetgroup/nope/0123456789abcdef"
	missingLis  = "arn:aws:elasticloadbalancing:us-west-2:000000000000:listener/app/nope/0123456789abcdef/0123456789abcdef"
	missingRule = "arn:aws:elasticloadbalancing:us-west-2:000000000000:listener-rule/app/nope/0123456789abcdef/0123456789abcdef/0123456789abcdef"
)

// TestMalformedAndErrors sends raw signed requests: bad parameters, missing
// required members, wrong types and unknown ids each answer 400 with the
// ELBv2 error code and message in the awsQuery envelope, never a 500.
func TestMalformedAndErrors(t *testing.T) {
	e := newEnv(t)
	f := e.fixture(t, "errs")
	cases := []struct {
		name, body    string
		status        int
		code, message string
	}{
		{"unknown action", form("Explode"), 400, "InvalidAction", "Could not find operation Explode for version 2015-12-01"},
		{"not a form", "%zz&&==", 400, "ValidationError", `The request body is not a valid form: invalid URL escape "%zz"`},
		{"missing name", form("CreateLoadBalancer", "Subnets.member.1", subnetA), 400, "ValidationError",
			"1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null"},
		{"missing two members", form("RegisterTargets"), 400, "ValidationError",
			"2 validation errors detected: Value null at 'targetGroupArn' failed to satisfy constraint: Member must not be null; " +
				"Value null at 'targets' failed to satisfy constraint: Member must not be null"},
		{"missing nested member", form("RegisterTargets", "TargetGroupArn", f.tgARN, "Targets.member.1.Port", "443"), 400, "ValidationError",
			"1 validation error detected: Value null at 'id' failed to satisfy constraint: Member must not be null"},
		{"port not a number", form("CreateTargetGroup", "Name", "x", "Port", "eighty"), 400, "ValidationError",
			"Value 'eighty' at 'Port' is not a valid integer"},
		{"boolean not a boolean", form("CreateTargetGroup", "Name", "x", "HealthCheckEnabled", "maybe"), 400, "ValidationError",
			"Value 'maybe' at 'HealthCheckEnabled' is not a valid boolean"},
		{"page size not a number", form("DescribeLoadBalancers", "PageSize", "ten"), 400, "ValidationError",
			"Value 'ten' at 'PageSize' is not a valid integer"},
		{"modify target group without arn", form("ModifyTargetGroup", "HealthCheckPath", "/x"), 400, "ValidationError",
			"1 validation error detected: Value null at 'targetGroupArn' failed to satisfy constraint: Member must not be null"},
		{"listener certificates without listener", form("DescribeListenerCertificates", "PageSize", "2"), 400, "ValidationError",
			"1 validation error detected: Value null at 'listenerArn' failed to satisfy constraint: Member must not be null"},
		{"unknown load balancer", form("DescribeLoadBalancers", "LoadBalancerArns.member.1", missingLB), 400, "LoadBalancerNotFound",
			"One or more load balancers not found"},
		{"unknown load balancer name", form("DescribeLoadBalancers", "Names.member.1", "nope"), 400, "LoadBalancerNotFound",
			"Load balancers '[nope]' not found"},
		{"unknown target group", form("DescribeTargetHealth", "TargetGroupArn", missingTG), 400, "TargetGroupNotFound",
			"One or more target groups not found"},
		{"unknown listener", form("DeleteListener", "ListenerArn", missingLis), 400, "ListenerNotFound", "One or more listeners not found"},
		{"unknown rule", form("DeleteRule", "RuleArn", missingRule), 400, "RuleNotFound", "One or more rules not found"},
		{"not a rule arn", form("DescribeRules", "RuleArns.member.1", "garbage"), 400, "RuleNotFound", "One or more rules not found"},
		{"tags of an unknown listener", form("DescribeTags", "ResourceArns.member.1", missingLis), 400, "ListenerNotFound", "One or more listeners not found"},
		{"listener on an unknown load balancer", form("CreateListener", "LoadBalancerArn", missingLB, "Protocol", "HTTP", "Port", "80",
			"DefaultActions.member.1.Type", "forward", "DefaultActions.member.1.TargetGroupArn", f.tgARN), 400, "LoadBalancerNotFound",
			"One or more load balancers not found"},
		{"forward to an unknown target group", form("ModifyListener", "ListenerArn", f.listenerARN,
			"DefaultActions.member.1.Type", "forward", "DefaultActions.member.1.TargetGroupArn", missingTG), 400, "TargetGroupNotFound",
			"Target group '" + missingTG + "' not found"},
		{"duplicate load balancer", form("CreateLoadBalancer", "Name", "errs", "Subnets.member.1", subnetA, "Subnets.member.2", subnetB,
			"Scheme", "internal"), 400, "DuplicateLoadBalancerName", "A load balancer with the same name 'errs' exists, but with different settings"},
		{"duplicate target group", form("CreateTargetGroup", "Name", "errs", "Protocol", "HTTP", "Port", "80", "VpcId", testVPC,
			"TargetType", "ip"), 400, "DuplicateTargetGroupName", "A target group with the same name 'errs' exists, but with different settings"},
		{"target group in use", form("DeleteTargetGroup", "TargetGroupArn", f.tgARN), 400, "ResourceInUse",
			"Target group '" + f.tgARN + "' is currently in use by a listener or a rule"},
		{"unknown scheme", form("CreateLoadBalancer", "Name", "x", "Scheme", "sideways", "Subnets.member.1", subnetA), 400, "ValidationError",
			"1 validation error detected: Value 'sideways' at 'scheme' failed to satisfy constraint: Member must satisfy enum value set: [internet-facing, internal]"},
		{"rule priority 0", form("CreateRule", "ListenerArn", f.listenerARN, "Priority", "0",
			"Conditions.member.1.Field", "path-pattern", "Conditions.member.1.Values.member.1", "/x",
			"Actions.member.1.Type", "forward", "Actions.member.1.TargetGroupArn", f.tgARN), 400, "ValidationError",
			"1 validation error detected: Value '0' at 'priority' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"rule without priority", form("CreateRule", "ListenerArn", f.listenerARN,
			"Conditions.member.1.Field", "path-pattern", "Conditions.member.1.Values.member.1", "/x",
			"Actions.member.1.Type", "forward", "Actions.member.1.TargetGroupArn", f.tgARN), 400, "ValidationError",
			"1 validation error detected: Value null at 'priority' failed to satisfy constraint: Member must not be null"},
		{"unknown condition field", form("CreateRule", "ListenerArn", f.listenerARN, "Priority", "1",
			"Conditions.member.1.Field", "cookie", "Conditions.member.1.Values.member.1", "x",
			"Actions.member.1.Type", "forward", "Actions.member.1.TargetGroupArn", f.tgARN), 400, "ValidationError",
			"Condition field 'cookie' must be one of '[path-pattern,host-header,http-header,http-request-method,query-string,source-ip]'"},
		{"values with http-header", form("CreateRule", "ListenerArn", f.listenerARN, "Priority", "1",
			"Conditions.member.1.Field", "http-header", "Conditions.member.1.Values.member.1", "x",
			"Actions.member.1.Type", "forward", "Actions.member.1.TargetGroupArn", f.tgARN), 400, "ValidationError",
			"The 'Values' field is not compatible with 'http-header'"},
		{"two legacy values", form("CreateRule", "ListenerArn", f.listenerARN, "Priority", "1",
			"Conditions.member.1.Field", "path-pattern", "Conditions.member.1.Values.member.1", "/a", "Conditions.member.1.Values.member.2", "/b",
			"Actions.member.1.Type", "forward", "Actions.member.1.TargetGroupArn", f.tgARN), 400, "ValidationError",
			"The 'path-pattern' field contains too many values; the limit is '1'"},
		{"method in lower case", form("CreateRule", "ListenerArn", f.listenerARN, "Priority", "1",
			"Conditions.member.1.Field", "http-request-method", "Conditions.member.1.HttpRequestMethodConfig.Values.member.1", "get",
			"Actions.member.1.Type", "forward", "Actions.member.1.TargetGroupArn", f.tgARN), 400, "ValidationError",
			"The 'http-request-method' value is invalid; the allowed characters are A-Z, hyphen and underscore"},
		{"bad fixed status", form("CreateRule", "ListenerArn", f.listenerARN, "Priority", "1",
			"Conditions.member.1.Field", "path-pattern", "Conditions.member.1.Values.member.1", "/x",
			"Actions.member.1.Type", "fixed-response", "Actions.member.1.FixedResponseConfig.StatusCode", "302"), 400, "ValidationError",
			"1 validation error detected: Value '302' at 'actions.1.member.fixedResponseConfig.statusCode' failed to satisfy constraint: Member must satisfy regular expression pattern: ^(2|4|5)\\d\\d$"},
		{"unknown action type", form("ModifyListener", "ListenerArn", f.listenerARN, "DefaultActions.member.1.Type", "teleport"), 400, "ValidationError",
			"1 validation error detected: Value 'teleport' at 'defaultActions.1.member.type' failed to satisfy constraint: Member must satisfy enum value set: [forward, authenticate-oidc, authenticate-cognito, redirect, fixed-response, jwt-validation]"},
		{"unknown certificate", form("AddListenerCertificates", "ListenerArn", f.listenerARN,
			"Certificates.member.1.CertificateArn", "arn:aws:acm:us-west-2:000000000000:certificate/nope"), 400, "CertificateNotFound",
			"Certificate 'arn:aws:acm:us-west-2:000000000000:certificate/nope' not found"},
		{"unknown attribute", form("ModifyLoadBalancerAttributes", "LoadBalancerArn", f.lbARN,
			"Attributes.member.1.Key", "warp.enabled", "Attributes.member.1.Value", "true"), 400, "ValidationError",
			"Load balancer attribute key 'warp.enabled' is not recognized"},
		{"too many list items", form("DescribeTags", "ResourceArns.member.1", f.lbARN, "ResourceArns.member.2", f.tgARN,
			"ResourceArns.member.3", f.lbARN, "ResourceArns.member.4", f.lbARN, "ResourceArns.member.5", f.lbARN, "ResourceArns.member.6", f.lbARN,
			"ResourceArns.member.7", f.lbARN, "ResourceArns.member.8", f.lbARN, "ResourceArns.member.9", f.lbARN, "ResourceArns.member.10", f.lbARN,
			"ResourceArns.member.11", f.lbARN, "ResourceArns.member.12", f.lbARN, "ResourceArns.member.13", f.lbARN, "ResourceArns.member.14", f.lbARN,
			"ResourceArns.member.15", f.lbARN, "ResourceArns.member.16", f.lbARN, "ResourceArns.member.17", f.lbARN, "ResourceArns.member.18", f.lbARN,
			"ResourceArns.member.19", f.lbARN, "ResourceArns.member.20", f.lbARN, "ResourceArns.member.21", f.lbARN), 400, "ValidationError", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := post(t, e.url, c.body)
			if status != c.status {
				t.Errorf("status: got %d, want %d (%s)", status, c.status, body)
			}
			got := parseError(t, body)
			if got.Code != c.code || c.message != "" && got.Message != c.message || got.Type != "Sender" || got.RequestID == "" {
				t.Errorf("error: got %+v, want %s %q", got, c.code, c.message)
			}
		})
	}
}

// TestIdempotentCreates: creating a resource again with the same settings
// returns the existing one, as ELBv2 does.
func TestIdempotentCreates(t *testing.T) {
	e := newEnv(t)
	f := e.fixture(t, "again")
	again := e.fixture(t, "again")
	if again != f {
		t.Errorf("fixture created twice: got %+v, want %+v", again, f)
	}
}

// TestResponseEnvelope checks the awsQuery response a non-SDK client parses:
// namespace, <Action>Result and the request id.
func TestResponseEnvelope(t *testing.T) {
	e := newEnv(t)
	if _, err := e.elb.CreateLoadBalancer(e.ctx, &elb.CreateLoadBalancerInput{Name: aws.String("env"), Subnets: []string{subnetA, subnetB},
		Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}); err != nil {
		t.Fatal(err)
	}
	status, body := post(t, e.url, form("DescribeLoadBalancers", "Names.member.1", "env"))
	var out struct {
		XMLName xml.Name
		Name    string `xml:"DescribeLoadBalancersResult>LoadBalancers>member>LoadBalancerName"`
		ID      string `xml:"ResponseMetadata>RequestId"`
	}
	if err := xml.Unmarshal(body, &out); err != nil || status != http.StatusOK {
		t.Fatalf("got %d %s: %v", status, body, err)
	}
	if out.XMLName.Space != "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/" || out.XMLName.Local != "DescribeLoadBalancersResponse" ||
		out.Name != "env" || out.ID == "" {
		t.Errorf("envelope: got %+v in %s", out, body)
	}
	if !strings.Contains(string(body), "<State><Code>provisioning</Code></State>") && !strings.Contains(string(body), "<State><Code>active</Code></State>") {
		t.Errorf("state: got %s", body)
	}
}
