package elbv2_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// fixture is a load balancer with an HTTPS listener forwarding to a target group.
type fixture struct {
	lbARN, tgARN, listenerARN string
}

func (e *env) fixture(t *testing.T, name string) fixture {
	t.Helper()
	tg, err := e.elb.CreateTargetGroup(e.ctx, &elb.CreateTargetGroupInput{Name: aws.String(name), Protocol: types.ProtocolEnumHttps,
		Port: aws.Int32(443), VpcId: aws.String(testVPC), TargetType: types.TargetTypeEnumIp})
	if err != nil {
		t.Fatalf("CreateTargetGroup: %v", err)
	}
	lb, err := e.elb.CreateLoadBalancer(e.ctx, &elb.CreateLoadBalancerInput{Name: aws.String(name), Subnets: []string{subnetA, subnetB}})
	if err != nil {
		t.Fatalf("CreateLoadBalancer: %v", err)
	}
	f := fixture{lbARN: *lb.LoadBalancers[0].LoadBalancerArn, tgARN: *tg.TargetGroups[0].TargetGroupArn}
	ls, err := e.elb.CreateListener(e.ctx, &elb.CreateListenerInput{LoadBalancerArn: &f.lbARN, Protocol: types.ProtocolEnumHttps,
		Port: aws.Int32(443), Certificates: []types.Certificate{{CertificateArn: aws.String(certARN)}},
		DefaultActions: []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: &f.tgARN}}})
	if err != nil {
		t.Fatalf("CreateListener: %v", err)
	}
	f.listenerARN = *ls.Listeners[0].ListenerArn
	return f
}

func TestDescribePagination(t *testing.T) {
	e := newEnv(t)
	var want []string
	for i := range 5 {
		name := fmt.Sprintf("tg-%d", i)
		want = append(want, name)
		if _, err := e.elb.CreateTargetGroup(e.ctx, &elb.CreateTargetGroupInput{Name: &name, Protocol: types.ProtocolEnumHttp,
			Port: aws.Int32(80), VpcId: aws.String(testVPC), TargetType: types.TargetTypeEnumIp}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	pages := 0
	p := elb.NewDescribeTargetGroupsPaginator(e.elb, &elb.DescribeTargetGroupsInput{PageSize: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, tg := range out.TargetGroups {
			got = append(got, *tg.TargetGroupName)
		}
	}
	slices.Sort(got)
	if pages != 3 || !slices.Equal(got, want) {
		t.Errorf("paged target groups: got %d pages %v, want 3 pages %v", pages, got, want)
	}
	_, err := e.elb.DescribeLoadBalancers(e.ctx, &elb.DescribeLoadBalancersInput{PageSize: aws.Int32(401)})
	wantAPIError(t, "page size 401", err, "ValidationError",
		"1 validation error detected: Value '401' at 'pageSize' failed to satisfy constraint: Member must have value less than or equal to 400")
	_, err = e.elb.DescribeLoadBalancers(e.ctx, &elb.DescribeLoadBalancersInput{Marker: aws.String("bogus!")})
	wantAPIError(t, "bad marker", err, "ValidationError", "")
}

func TestAttributesTagsAndCertificates(t *testing.T) {
	e := newEnv(t)
	ctx := e.ctx
	f := e.fixture(t, "attrs")

	lbAttrs, err := e.elb.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: &f.lbARN,
		Attributes: []types.LoadBalancerAttribute{{Key: aws.String("idle_timeout.timeout_seconds"), Value: aws.String("120")}}})
	if err != nil || attr(lbAttrs.Attributes, "idle_timeout.timeout_seconds") != "120" {
		t.Errorf("ModifyLoadBalancerAttributes: got %v, %v", lbAttrs, err)
	}
	d, err := e.elb.DescribeLoadBalancerAttributes(ctx, &elb.DescribeLoadBalancerAttributesInput{LoadBalancerArn: &f.lbARN})
	if err != nil || attr(d.Attributes, "idle_timeout.timeout_seconds") != "120" || attr(d.Attributes, "deletion_protection.enabled") != "false" {
		t.Errorf("DescribeLoadBalancerAttributes: got %v, %v", d, err)
	}
	tgAttrs, err := e.elb.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: &f.tgARN,
		Attributes: []types.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("30")}}})
	if err != nil || attr2(tgAttrs.Attributes, "deregistration_delay.timeout_seconds") != "30" {
		t.Errorf("ModifyTargetGroupAttributes: got %v, %v", tgAttrs, err)
	}
	_, err = e.elb.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: &f.tgARN,
		Attributes: []types.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("4000")}}})
	wantAPIError(t, "deregistration delay 4000", err, "ValidationError", "'deregistration_delay.timeout_seconds' value '4000' must be between '0-3600' inclusive")
	td, err := e.elb.DescribeTargetGroupAttributes(ctx, &elb.DescribeTargetGroupAttributesInput{TargetGroupArn: &f.tgARN})
	if err != nil || attr2(td.Attributes, "deregistration_delay.timeout_seconds") != "30" || attr2(td.Attributes, "stickiness.enabled") != "false" {
		t.Errorf("DescribeTargetGroupAttributes: got %v, %v", td, err)
	}
	mt, err := e.elb.ModifyTargetGroup(ctx, &elb.ModifyTargetGroupInput{TargetGroupArn: &f.tgARN,
		Matcher: &types.Matcher{HttpCode: aws.String("200,403")}, HealthCheckPath: aws.String("/ping")})
	if err != nil || *mt.TargetGroups[0].Matcher.HttpCode != "200,403" || *mt.TargetGroups[0].HealthCheckPath != "/ping" {
		t.Errorf("ModifyTargetGroup: got %v, %v", mt, err)
	}

	// Tags on every kind of resource.
	rule, err := e.elb.CreateRule(ctx, &elb.CreateRuleInput{ListenerArn: &f.listenerARN, Priority: aws.Int32(10),
		Conditions: []types.RuleCondition{{Field: aws.String("path-pattern"), Values: []string{"/x/*"}}},
		Actions:    []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: &f.tgARN}}})
	if err != nil {
		t.Fatal(err)
	}
	ruleARN := *rule.Rules[0].RuleArn
	arns := []string{f.lbARN, f.tgARN, f.listenerARN, ruleARN}
	if _, err := e.elb.AddTags(ctx, &elb.AddTagsInput{ResourceArns: arns,
		Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("test")}, {Key: aws.String("team"), Value: aws.String("edge")}}}); err != nil {
		t.Fatalf("AddTags: %v", err)
	}
	if _, err := e.elb.RemoveTags(ctx, &elb.RemoveTagsInput{ResourceArns: arns, TagKeys: []string{"team"}}); err != nil {
		t.Fatalf("RemoveTags: %v", err)
	}
	tags, err := e.elb.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: arns})
	if err != nil || len(tags.TagDescriptions) != 4 {
		t.Fatalf("DescribeTags: got %v, %v", tags, err)
	}
	for i, td := range tags.TagDescriptions {
		if *td.ResourceArn != arns[i] || len(td.Tags) != 1 || *td.Tags[0].Key != "env" || *td.Tags[0].Value != "test" {
			t.Errorf("tags of %s: got %+v", arns[i], td)
		}
	}
	_, err = e.elb.AddTags(ctx, &elb.AddTagsInput{ResourceArns: []string{f.lbARN},
		Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("a"), Value: aws.String("2")}}})
	wantAPIError(t, "duplicate tag keys", err, "DuplicateTagKeys", "Tag key was specified more than once: a")

	// Extra certificates (SNI) on the HTTPS listener.
	added, err := e.elb.AddListenerCertificates(ctx, &elb.AddListenerCertificatesInput{ListenerArn: &f.listenerARN,
		Certificates: []types.Certificate{{CertificateArn: aws.String(cert2ARN)}}})
	if err != nil || len(added.Certificates) != 1 || *added.Certificates[0].CertificateArn != cert2ARN {
		t.Errorf("AddListenerCertificates: got %v, %v", added, err)
	}
	lc, err := e.elb.DescribeListenerCertificates(ctx, &elb.DescribeListenerCertificatesInput{ListenerArn: &f.listenerARN})
	if err != nil || len(lc.Certificates) != 2 || !*lc.Certificates[0].IsDefault || *lc.Certificates[1].CertificateArn != cert2ARN || *lc.Certificates[1].IsDefault {
		t.Errorf("DescribeListenerCertificates: got %+v, %v", lc, err)
	}
	ls, err := e.elb.DescribeListeners(ctx, &elb.DescribeListenersInput{ListenerArns: []string{f.listenerARN}})
	if err != nil || len(ls.Listeners[0].Certificates) != 1 || *ls.Listeners[0].Certificates[0].CertificateArn != certARN {
		t.Errorf("DescribeListeners lists the default certificate only: got %+v, %v", ls, err)
	}
	_, err = e.elb.RemoveListenerCertificates(ctx, &elb.RemoveListenerCertificatesInput{ListenerArn: &f.listenerARN,
		Certificates: []types.Certificate{{CertificateArn: aws.String(certARN)}}})
	wantAPIError(t, "remove the default certificate", err, "OperationNotPermitted", "")
	if _, err := e.elb.RemoveListenerCertificates(ctx, &elb.RemoveListenerCertificatesInput{ListenerArn: &f.listenerARN,
		Certificates: []types.Certificate{{CertificateArn: aws.String(cert2ARN)}}}); err != nil {
		t.Errorf("RemoveListenerCertificates: %v", err)
	}

	pol, err := e.elb.DescribeSSLPolicies(ctx, &elb.DescribeSSLPoliciesInput{Names: []string{"ELBSecurityPolicy-TLS13-1-2-2021-06"}})
	if err != nil || len(pol.SslPolicies) != 1 || !slices.Contains(pol.SslPolicies[0].SslProtocols, "TLSv1.2") || len(pol.SslPolicies[0].Ciphers) == 0 {
		t.Errorf("DescribeSSLPolicies: got %+v, %v", pol, err)
	}
	_, err = e.elb.DescribeSSLPolicies(ctx, &elb.DescribeSSLPoliciesInput{Names: []string{"nope"}})
	wantAPIError(t, "unknown SSL policy", err, "SSLPolicyNotFound", "")

	ml, err := e.elb.ModifyListener(ctx, &elb.ModifyListenerInput{ListenerArn: &f.listenerARN, Port: aws.Int32(8443),
		SslPolicy: aws.String("ELBSecurityPolicy-TLS13-1-2-2021-06")})
	if err != nil || *ml.Listeners[0].Port != 8443 || *ml.Listeners[0].SslPolicy != "ELBSecurityPolicy-TLS13-1-2-2021-06" {
		t.Errorf("ModifyListener: got %v, %v", ml, err)
	}
	_, err = e.elb.DeleteTargetGroup(ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: &f.tgARN})
	wantAPIError(t, "delete a target group in use", err, "ResourceInUse", "")
	if _, err := e.elb.DeleteListener(ctx, &elb.DeleteListenerInput{ListenerArn: &f.listenerARN}); err != nil {
		t.Fatalf("DeleteListener: %v", err)
	}
	_, err = e.elb.DescribeRules(ctx, &elb.DescribeRulesInput{RuleArns: []string{ruleARN}})
	wantAPIError(t, "rule of a deleted listener", err, "RuleNotFound", "One or more rules not found")
	if _, err := e.elb.DeleteTargetGroup(ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: &f.tgARN}); err != nil {
		t.Errorf("DeleteTargetGroup once unused: %v", err)
	}
}

func TestRules(t *testing.T) {
	e := newEnv(t)
	ctx := e.ctx
	f := e.fixture(t, "rules")
	create := func(prio int32, conds []types.RuleCondition, act types.Action) string {
		t.Helper()
		out, err := e.elb.CreateRule(ctx, &elb.CreateRuleInput{ListenerArn: &f.listenerARN, Priority: &prio, Conditions: conds, Actions: []types.Action{act}})
		if err != nil {
			t.Fatalf("CreateRule %d: %v", prio, err)
		}
		return *out.Rules[0].RuleArn
	}
	fixed := types.Action{Type: types.ActionTypeEnumFixedResponse, FixedResponseConfig: &types.FixedResponseActionConfig{
		StatusCode: aws.String("418"), ContentType: aws.String("text/plain"), MessageBody: aws.String("teapot")}}
	r1 := create(5, []types.RuleCondition{
		{Field: aws.String("path-pattern"), PathPatternConfig: &types.PathPatternConditionConfig{Values: []string{"/tea/*"}}},
		{Field: aws.String("http-request-method"), HttpRequestMethodConfig: &types.HttpRequestMethodConditionConfig{Values: []string{"GET"}}},
	}, fixed)
	r2 := create(7, []types.RuleCondition{
		{Field: aws.String("http-header"), HttpHeaderConfig: &types.HttpHeaderConditionConfig{HttpHeaderName: aws.String("X-Env"), Values: []string{"dev*"}}},
		{Field: aws.String("query-string"), QueryStringConfig: &types.QueryStringConditionConfig{Values: []types.QueryStringKeyValuePair{{Key: aws.String("v"), Value: aws.String("2")}}}},
		{Field: aws.String("source-ip"), SourceIpConfig: &types.SourceIpConditionConfig{Values: []string{"127.0.0.0/8"}}},
	}, types.Action{Type: types.ActionTypeEnumRedirect, RedirectConfig: &types.RedirectActionConfig{
		Host: aws.String("other.example.test"), StatusCode: types.RedirectActionStatusCodeEnumHttp301}})

	_, err := e.elb.CreateRule(ctx, &elb.CreateRuleInput{ListenerArn: &f.listenerARN, Priority: aws.Int32(5),
		Conditions: []types.RuleCondition{{Field: aws.String("host-header"), Values: []string{"a.example.test"}}}, Actions: []types.Action{fixed}})
	wantAPIError(t, "priority in use", err, "PriorityInUse", "The specified priority is in use.")

	rules, err := e.elb.DescribeRules(ctx, &elb.DescribeRulesInput{ListenerArn: &f.listenerARN})
	if err != nil || len(rules.Rules) != 3 {
		t.Fatalf("DescribeRules: got %v, %v", rules, err)
	}
	got := rules.Rules
	if *got[0].RuleArn != r1 || *got[0].Priority != "5" || *got[1].RuleArn != r2 || *got[2].Priority != "default" || !*got[2].IsDefault ||
		*got[2].Actions[0].TargetGroupArn != f.tgARN || len(got[0].Conditions) != 2 ||
		got[0].Conditions[0].PathPatternConfig.Values[0] != "/tea/*" || got[0].Conditions[0].Values[0] != "/tea/*" {
		t.Errorf("rules: got %+v", got)
	}
	redirect := got[1].Actions[0].RedirectConfig
	if *redirect.Host != "other.example.test" || *redirect.Protocol != "#{protocol}" || *redirect.Path != "/#{path}" || redirect.StatusCode != types.RedirectActionStatusCodeEnumHttp301 {
		t.Errorf("redirect defaults: got %+v", redirect)
	}

	set, err := e.elb.SetRulePriorities(ctx, &elb.SetRulePrioritiesInput{RulePriorities: []types.RulePriorityPair{
		{RuleArn: &r1, Priority: aws.Int32(7)}, {RuleArn: &r2, Priority: aws.Int32(5)}}})
	if err != nil || len(set.Rules) != 2 || *set.Rules[0].Priority != "7" || *set.Rules[1].Priority != "5" {
		t.Errorf("SetRulePriorities (swap): got %v, %v", set, err)
	}
	mod, err := e.elb.ModifyRule(ctx, &elb.ModifyRuleInput{RuleArn: &r1,
		Conditions: []types.RuleCondition{{Field: aws.String("host-header"), HostHeaderConfig: &types.HostHeaderConditionConfig{Values: []string{"*.example.test"}}}}})
	if err != nil || *mod.Rules[0].Conditions[0].Field != "host-header" || *mod.Rules[0].Actions[0].FixedResponseConfig.StatusCode != "418" {
		t.Errorf("ModifyRule: got %+v, %v", mod, err)
	}
	if _, err := e.elb.DeleteRule(ctx, &elb.DeleteRuleInput{RuleArn: &r2}); err != nil {
		t.Errorf("DeleteRule: %v", err)
	}
	_, err = e.elb.DeleteRule(ctx, &elb.DeleteRuleInput{RuleArn: &r2})
	wantAPIError(t, "delete a deleted rule", err, "RuleNotFound", "One or more rules not found")
	_, err = e.elb.DeleteRule(ctx, &elb.DeleteRuleInput{RuleArn: got[2].RuleArn})
	wantAPIError(t, "delete the default rule", err, "OperationNotPermitted", "")
	_, err = e.elb.DeleteTargetGroup(ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: &f.tgARN})
	wantAPIError(t, "target group of the default action", err, "ResourceInUse", "")
}

func attr(as []types.LoadBalancerAttribute, k string) string {
	for _, a := range as {
		if *a.Key == k {
			return *a.Value
		}
	}
	return "<missing>"
}

func attr2(as []types.TargetGroupAttribute, k string) string {
	for _, a := range as {
		if *a.Key == k {
			return *a.Value
		}
	}
	return "<missing>"
}

// TestDescribePaginationAfterDelete: the marker of a page names where the next
// page starts, so deleting the items already seen skips nothing (an offset
// marker would jump over as many items as were deleted).
func TestDescribePaginationAfterDelete(t *testing.T) {
	e := newEnv(t)
	arns := map[string]string{}
	for i := range 5 {
		name := fmt.Sprintf("del-%d", i)
		out, err := e.elb.CreateTargetGroup(e.ctx, &elb.CreateTargetGroupInput{Name: &name, Protocol: types.ProtocolEnumHttp,
			Port: aws.Int32(80), VpcId: aws.String(testVPC), TargetType: types.TargetTypeEnumIp})
		if err != nil {
			t.Fatal(err)
		}
		arns[name] = *out.TargetGroups[0].TargetGroupArn
	}
	names := func(tgs []types.TargetGroup) []string {
		var out []string
		for _, tg := range tgs {
			out = append(out, *tg.TargetGroupName)
		}
		return out
	}
	first, err := e.elb.DescribeTargetGroups(e.ctx, &elb.DescribeTargetGroupsInput{PageSize: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(first.TargetGroups), []string{"del-0", "del-1"}; !slices.Equal(got, want) {
		t.Fatalf("first page: got %v, want %v", got, want)
	}
	for _, name := range names(first.TargetGroups) {
		if _, err := e.elb.DeleteTargetGroup(e.ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: aws.String(arns[name])}); err != nil {
			t.Fatal(err)
		}
	}
	second, err := e.elb.DescribeTargetGroups(e.ctx, &elb.DescribeTargetGroupsInput{PageSize: aws.Int32(2), Marker: first.NextMarker})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(second.TargetGroups), []string{"del-2", "del-3"}; !slices.Equal(got, want) {
		t.Errorf("page after deleting the first page's items: got %v, want %v", got, want)
	}
}
