package elbv2_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"gatehouse/internal/awsapi/awsapitest"
)

// TestFieldLimits sends every limited string and list member of every
// operation through the SDK: one over the limit answers 400 with ELBv2's code
// and message; at the limit the request gets past the check (it succeeds, or
// fails as an acceptable value of that length would).
func TestFieldLimits(t *testing.T) {
	e := newEnv(t)
	f := e.fixture(t, "lim")
	ctx, c := e.ctx, e.elb
	a := awsapitest.Long
	repeat := func(v string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = v
		}
		return out
	}
	const valErr = "ValidationError"
	rule := func(conds ...types.RuleCondition) error {
		_, err := c.CreateRule(ctx, &elb.CreateRuleInput{ListenerArn: &f.listenerARN, Priority: aws.Int32(int32(len(conds[0].Values) + 100*len(conds))),
			Conditions: conds, Actions: []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: &f.tgARN}}})
		if err == nil {
			// Free the priority for the next case.
			out, derr := c.DescribeRules(ctx, &elb.DescribeRulesInput{ListenerArn: &f.listenerARN})
			if derr != nil {
				return derr
			}
			for _, r := range out.Rules {
				if !aws.ToBool(r.IsDefault) {
					if _, derr := c.DeleteRule(ctx, &elb.DeleteRuleInput{RuleArn: r.RuleArn}); derr != nil {
						return derr
					}
				}
			}
		}
		return err
	}
	defaultAction := func(act types.Action) error {
		_, err := c.ModifyListener(ctx, &elb.ModifyListenerInput{ListenerArn: &f.listenerARN, DefaultActions: []types.Action{act}})
		return err
	}
	redirect := func(r types.RedirectActionConfig) error {
		r.StatusCode = types.RedirectActionStatusCodeEnumHttp301
		return defaultAction(types.Action{Type: types.ActionTypeEnumRedirect, RedirectConfig: &r})
	}
	fixed := func(r types.FixedResponseActionConfig) error {
		r.StatusCode = aws.String("200")
		return defaultAction(types.Action{Type: types.ActionTypeEnumFixedResponse, FixedResponseConfig: &r})
	}

	tests := []struct {
		name          string
		call          func(v string) error
		at            string // a value at the limit
		atCode, atMsg string // what the value at the limit answers; "" for success
		over          string
		code, msg     string
	}{
		{"CreateLoadBalancer name", func(v string) error {
			_, err := c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String(v), Subnets: []string{subnetA, subnetB}})
			return err
		}, a(32), "", "", a(33), valErr, fmt.Sprintf("Load balancer name '%s' cannot be longer than '32' characters", a(33))},
		{"CreateLoadBalancer name a megabyte", func(v string) error {
			_, err := c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String(v), Subnets: []string{subnetA, subnetB}})
			return err
		}, a(31), "", "", a(1 << 20), valErr, fmt.Sprintf("Load balancer name '%s...' cannot be longer than '32' characters", a(128))},
		{"CreateLoadBalancer security groups", func(v string) error {
			_, err := c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("sgs" + v), Subnets: []string{subnetA, subnetB},
				SecurityGroups: repeat(sgWeb, len(v))})
			return err
		}, a(5), "", "", a(6), "InvalidConfigurationRequest", "A load balancer can have at most 5 security groups"},
		{"CreateTargetGroup name", func(v string) error {
			_, err := c.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String(v), Protocol: types.ProtocolEnumHttp,
				Port: aws.Int32(80), VpcId: aws.String(testVPC), TargetType: types.TargetTypeEnumIp})
			return err
		}, a(32), "", "", a(33), valErr, fmt.Sprintf("Target group name '%s' cannot be longer than '32' characters", a(33))},
		{"ModifyTargetGroup health check path", func(v string) error {
			_, err := c.ModifyTargetGroup(ctx, &elb.ModifyTargetGroupInput{TargetGroupArn: &f.tgARN, HealthCheckPath: aws.String(v)})
			return err
		}, "/" + a(1023), "", "", "/" + a(1024), valErr, awsapitest.Coral("/"+a(1024), "healthCheckPath", "Member must have length between 1 and 1024")},
		{"AddTags key", func(v string) error {
			_, err := c.AddTags(ctx, &elb.AddTagsInput{ResourceArns: []string{f.lbARN}, Tags: []types.Tag{{Key: aws.String("k")}, {Key: aws.String(v)}}})
			return err
		}, a(128), "", "", a(129), valErr, awsapitest.Coral(a(129), "tags.2.member.key", awsapitest.MaxLen(128))},
		{"AddTags key pattern", func(v string) error {
			_, err := c.AddTags(ctx, &elb.AddTagsInput{ResourceArns: []string{f.lbARN}, Tags: []types.Tag{{Key: aws.String(v)}}})
			return err
		}, "a b:c/d=e+f-g@h_i.j", "", "", "a*b", valErr,
			awsapitest.Coral("a*b", "tags.1.member.key", `Member must satisfy regular expression pattern: ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`)},
		{"AddTags value", func(v string) error {
			_, err := c.AddTags(ctx, &elb.AddTagsInput{ResourceArns: []string{f.tgARN}, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String(v)}}})
			return err
		}, a(256), "", "", a(257), valErr, awsapitest.Coral(a(257), "tags.1.member.value", awsapitest.MaxLen(256))},
		{"AddTags resources", func(v string) error {
			_, err := c.AddTags(ctx, &elb.AddTagsInput{ResourceArns: repeat(f.lbARN, len(v)), Tags: []types.Tag{{Key: aws.String("k")}}})
			return err
		}, a(20), "", "", a(21), valErr, awsapitest.Coral("["+strings.Join(repeat(f.lbARN, 21), ", ")+"]", "resourceArns", awsapitest.MaxLen(20))},
		{"RemoveTags key", func(v string) error {
			_, err := c.RemoveTags(ctx, &elb.RemoveTagsInput{ResourceArns: []string{f.lbARN}, TagKeys: []string{v}})
			return err
		}, a(128), "", "", a(129), valErr, awsapitest.Coral(a(129), "tagKeys.1.member", awsapitest.MaxLen(128))},
		{"DescribeTags resources", func(v string) error {
			_, err := c.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: repeat(f.lbARN, len(v))})
			return err
		}, a(20), "", "", a(21), valErr, awsapitest.Coral("["+strings.Join(repeat(f.lbARN, 21), ", ")+"]", "resourceArns", awsapitest.MaxLen(20))},
		{"CreateRule condition values", func(v string) error {
			return rule(types.RuleCondition{Field: aws.String("path-pattern"), PathPatternConfig: &types.PathPatternConditionConfig{Values: repeat("/x", len(v))}})
		}, a(5), "", "", a(6), valErr, "A rule can only have '5' condition values"},
		{"CreateRule path pattern", func(v string) error {
			return rule(types.RuleCondition{Field: aws.String("path-pattern"), Values: []string{v}})
		}, "/" + a(127), "", "", "/" + a(128), valErr, "The 'path-pattern' value is too long; the limit is '128'"},
		{"CreateRule host header", func(v string) error {
			return rule(types.RuleCondition{Field: aws.String("host-header"), Values: []string{v}})
		}, a(128), "", "", a(1 << 20), valErr, "The 'host-header' value is too long; the limit is '128'"},
		{"CreateRule condition field", func(v string) error {
			return rule(types.RuleCondition{Field: aws.String(v), Values: []string{"/x"}})
		}, a(64), valErr, "Condition field '" + a(64) + "' must be one of", a(65), valErr, awsapitest.Coral(a(65), "conditions.1.member.field", awsapitest.MaxLen(64))},
		{"CreateRule query string key", func(v string) error {
			return rule(types.RuleCondition{Field: aws.String("query-string"),
				QueryStringConfig: &types.QueryStringConditionConfig{Values: []types.QueryStringKeyValuePair{{Key: aws.String(v), Value: aws.String("v")}}}})
		}, a(128), "", "", a(129), valErr, "The 'Key' value is too long; the limit is '128'"},
		{"CreateRule query string value", func(v string) error {
			return rule(types.RuleCondition{Field: aws.String("query-string"),
				QueryStringConfig: &types.QueryStringConditionConfig{Values: []types.QueryStringKeyValuePair{{Value: aws.String(v)}}}})
		}, a(128), "", "", a(129), valErr, "The 'Value' value is too long; the limit is '128'"},
		{"CreateRule http header name", func(v string) error {
			return rule(types.RuleCondition{Field: aws.String("http-header"),
				HttpHeaderConfig: &types.HttpHeaderConditionConfig{HttpHeaderName: aws.String(v), Values: []string{"v"}}})
		}, a(40), "", "", a(41), valErr, "The 'HttpHeaderName' value is too long; the limit is '40'"},
		{"ModifyListener fixed response body", func(v string) error {
			return fixed(types.FixedResponseActionConfig{MessageBody: aws.String(v)})
		}, a(1024), "", "", a(1025), valErr,
			"1 validation error detected: Value at 'defaultActions.1.member.fixedResponseConfig.messageBody' failed to satisfy constraint: Member must have length less than or equal to 1024"},
		{"ModifyListener fixed response content type", func(v string) error {
			return fixed(types.FixedResponseActionConfig{ContentType: aws.String(v)})
		}, a(32), "InvalidLoadBalancerAction", "The ContentType must be one of", a(33), valErr,
			awsapitest.Coral(a(33), "defaultActions.1.member.fixedResponseConfig.contentType", awsapitest.MaxLen(32))},
		{"ModifyListener redirect host", func(v string) error {
			return redirect(types.RedirectActionConfig{Host: aws.String(v)})
		}, a(128), "", "", a(129), valErr, awsapitest.Coral(a(129), "defaultActions.1.member.redirectConfig.host", awsapitest.MaxLen(128))},
		{"ModifyListener redirect path", func(v string) error {
			return redirect(types.RedirectActionConfig{Path: aws.String(v)})
		}, "/" + a(127), "", "", "/" + a(128), valErr, awsapitest.Coral("/"+a(128), "defaultActions.1.member.redirectConfig.path", awsapitest.MaxLen(128))},
		{"ModifyListener redirect query", func(v string) error {
			return redirect(types.RedirectActionConfig{Host: aws.String("x"), Query: aws.String(v)})
		}, a(128), "", "", a(129), valErr, awsapitest.Coral(a(129), "defaultActions.1.member.redirectConfig.query", awsapitest.MaxLen(128))},
		{"ModifyListener redirect port", func(v string) error {
			return redirect(types.RedirectActionConfig{Port: aws.String(v)})
		}, "1" + strings.Repeat("0", 127), valErr, "Redirect port", "1" + strings.Repeat("0", 128), valErr,
			awsapitest.Coral("1"+strings.Repeat("0", 128), "defaultActions.1.member.redirectConfig.port", awsapitest.MaxLen(128))},
		{"ModifyLoadBalancerAttributes count", func(v string) error {
			attrs := make([]types.LoadBalancerAttribute, len(v))
			for i := range attrs {
				attrs[i] = types.LoadBalancerAttribute{Key: aws.String(fmt.Sprintf("k%02d", i)), Value: aws.String("v")}
			}
			_, err := c.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: &f.lbARN, Attributes: attrs})
			return err
		}, a(20), valErr, "Load balancer attribute key 'k", a(21), valErr,
			awsapitest.Coral("[AttributeRecord(key=k00, value=v), AttributeRecord(key=k01, value=v), AttributeRecord(key=k02, value=v), AttributeRecord(key=k03, value=v), ...]",
				"attributes", awsapitest.MaxLen(20))},
		{"ModifyLoadBalancerAttributes key", func(v string) error {
			_, err := c.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: &f.lbARN,
				Attributes: []types.LoadBalancerAttribute{{Key: aws.String(v), Value: aws.String("v")}}})
			return err
		}, a(256), valErr, "Load balancer attribute key '" + a(128) + "...' is not recognized", a(257), valErr, awsapitest.Coral(a(257), "attributes.member.key", awsapitest.MaxLen(256))},
		{"ModifyLoadBalancerAttributes value", func(v string) error {
			_, err := c.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: &f.lbARN,
				Attributes: []types.LoadBalancerAttribute{{Key: aws.String("routing.http2.enabled"), Value: aws.String(v)}}})
			return err
		}, a(1024), valErr, "Load balancer attribute value '" + a(128) + "...' for 'routing.http2.enabled' must be 'true' or 'false'",
			a(1025), valErr, awsapitest.Coral(a(1025), "attributes.member.value", awsapitest.MaxLen(1024))},
		{"ModifyTargetGroupAttributes key", func(v string) error {
			_, err := c.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: &f.tgARN,
				Attributes: []types.TargetGroupAttribute{{Key: aws.String(v), Value: aws.String("v")}}})
			return err
		}, a(256), valErr, "Target group attribute key '" + a(128) + "...' is not recognized", a(257), valErr, awsapitest.Coral(a(257), "attributes.member.key", awsapitest.MaxLen(256))},
		{"AddListenerCertificates count", func(v string) error {
			certs := make([]types.Certificate, len(v))
			for i := range certs {
				certs[i] = types.Certificate{CertificateArn: aws.String(cert2ARN)}
			}
			_, err := c.AddListenerCertificates(ctx, &elb.AddListenerCertificatesInput{ListenerArn: &f.listenerARN, Certificates: certs})
			return err
		}, a(25), "", "", a(26), "TooManyCertificates", "You've reached the limit on the number of certificates per load balancer"},
		{"RegisterTargets count", func(v string) error {
			targets := make([]types.TargetDescription, len(v))
			for i := range targets {
				targets[i] = types.TargetDescription{Id: aws.String(targetIP), Port: aws.Int32(int32(10000 + i))}
			}
			_, err := c.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: &f.tgARN, Targets: targets})
			if err == nil {
				_, err = c.DeregisterTargets(ctx, &elb.DeregisterTargetsInput{TargetGroupArn: &f.tgARN, Targets: targets})
			}
			return err
		}, a(1000), "", "", a(1001), valErr, "Value at 'Targets' has more than 1000 items"}, // the wire decoder's list bound
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			awsapitest.WantClippedRefusal(t, tt.call(tt.over), tt.code, tt.msg)
			if _, code, msg := awsapitest.APIError(t, tt.call(tt.at)); code != tt.atCode || !strings.HasPrefix(msg, tt.atMsg) {
				t.Errorf("at the limit: got %s %.400q, want %s %.400q…", code, msg, tt.atCode, tt.atMsg)
			}
		})
	}
}
