package e2e

import (
	"context"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
	"gatehouse/internal/testutil"
)

// TestBalancerRulesAndTargetsAsRecords drives the example stack's load
// balancer through the AWS SDK as a user would: a rule created, retagged and
// reprioritised, a target registered, each its own record in the store (the
// listener and the target group are not rewritten), the rule serving through
// the accelerator's static IPs, and a deleted listener taking its rules.
func TestBalancerRulesAndTargetsAsRecords(t *testing.T) {
	r := start(t, addressPlan("127.88.0.0/16", "127.88.1.0/24", "127.88.2.0/24"))
	r.apply(t, loadExample(t))
	ctx := context.Background()
	c := sdkClients(r.cfg.AWSListen)
	st := r.d.Store

	lb := testutil.Must[*elbv2.DescribeLoadBalancersOutput](t)(
		c.elb.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{Names: []string{"edge"}})).LoadBalancers[0]
	listener := testutil.Must[*elbv2.DescribeListenersOutput](t)(
		c.elb.DescribeListeners(ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: lb.LoadBalancerArn})).Listeners[0]
	tg := testutil.Must[*elbv2.DescribeTargetGroupsOutput](t)(
		c.elb.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{Names: []string{"api-targets"}})).TargetGroups[0]
	listenerKey := model.Key(model.KindListener, aws.ToString(listener.ListenerArn))
	groupKey := model.Key(model.KindTargetGroup, aws.ToString(tg.TargetGroupArn))
	modRev := func(key string) int64 {
		kv, err := st.Get(ctx, key)
		if err != nil {
			t.Fatalf("get %s: %v", key, err)
		}
		return kv.ModRev
	}
	listenerRev, groupRev := modRev(listenerKey), modRev(groupKey)

	created := testutil.Must[*elbv2.CreateRuleOutput](t)(c.elb.CreateRule(ctx, &elbv2.CreateRuleInput{
		ListenerArn: listener.ListenerArn, Priority: aws.Int32(10),
		Conditions: []elbtypes.RuleCondition{{Field: aws.String("path-pattern"), Values: []string{"/from-rule/*"}}},
		Actions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumFixedResponse, FixedResponseConfig: &elbtypes.FixedResponseActionConfig{
			StatusCode: aws.String("200"), ContentType: aws.String("text/plain"), MessageBody: aws.String("from a rule")}}},
		Tags: []elbtypes.Tag{{Key: aws.String("team"), Value: aws.String("edge")}},
	}))
	ruleARN := aws.ToString(created.Rules[0].RuleArn)
	testutil.Must[*elbv2.AddTagsOutput](t)(c.elb.AddTags(ctx, &elbv2.AddTagsInput{ResourceArns: []string{ruleARN},
		Tags: []elbtypes.Tag{{Key: aws.String("tier"), Value: aws.String("front")}}}))
	testutil.Must[*elbv2.SetRulePrioritiesOutput](t)(c.elb.SetRulePriorities(ctx, &elbv2.SetRulePrioritiesInput{
		RulePriorities: []elbtypes.RulePriorityPair{{RuleArn: aws.String(ruleARN), Priority: aws.Int32(20)}}}))
	// A second address of the endpoint's subnet, registered beside the
	// endpoint's own: it answers nothing, so it never becomes healthy.
	extra := elbtypes.TargetDescription{Id: aws.String("127.88.1.200"), Port: aws.Int32(443)}
	testutil.Must[*elbv2.RegisterTargetsOutput](t)(c.elb.RegisterTargets(ctx, &elbv2.RegisterTargetsInput{
		TargetGroupArn: tg.TargetGroupArn, Targets: []elbtypes.TargetDescription{extra}}))

	t.Run("each is a record of its own", func(t *testing.T) {
		if got := modRev(listenerKey); got != listenerRev {
			t.Errorf("listener record: rewritten at revision %d (was %d), want untouched by create-rule", got, listenerRev)
		}
		if got := modRev(groupKey); got != groupRev {
			t.Errorf("target group record: rewritten at revision %d (was %d), want untouched by register-targets", got, groupRev)
		}
		rule, _, err := store.Load[model.Rule](ctx, st, model.Key(model.KindRule, ruleARN))
		if err != nil {
			t.Fatalf("rule record: %v", err)
		}
		if rule.Priority != 20 || rule.Tags["team"] != "edge" || rule.Tags["tier"] != "front" {
			t.Errorf("rule record: got priority %d tags %v, want 20 and team=edge, tier=front", rule.Priority, rule.Tags)
		}
		if _, err := st.Get(ctx, model.Key(model.KindTarget, model.TargetID(aws.ToString(tg.TargetGroupArn), "127.88.1.200", 443))); err != nil {
			t.Errorf("target record: %v", err)
		}
	})

	t.Run("describe as AWS does", func(t *testing.T) {
		rules := testutil.Must[*elbv2.DescribeRulesOutput](t)(c.elb.DescribeRules(ctx, &elbv2.DescribeRulesInput{ListenerArn: listener.ListenerArn})).Rules
		if len(rules) != 2 || aws.ToString(rules[0].RuleArn) != ruleARN || aws.ToString(rules[0].Priority) != "20" || !aws.ToBool(rules[1].IsDefault) {
			t.Errorf("describe-rules: got %d rules, want the rule at priority 20, then the default", len(rules))
		}
		tags := testutil.Must[*elbv2.DescribeTagsOutput](t)(c.elb.DescribeTags(ctx, &elbv2.DescribeTagsInput{ResourceArns: []string{ruleARN}}))
		if n := len(tags.TagDescriptions[0].Tags); n != 2 {
			t.Errorf("describe-tags of the rule: got %d tags, want 2", n)
		}
		health := testutil.Must[*elbv2.DescribeTargetHealthOutput](t)(c.elb.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: tg.TargetGroupArn}))
		found := false
		for _, d := range health.TargetHealthDescriptions {
			if aws.ToString(d.Target.Id) == "127.88.1.200" {
				found = true
				if az := aws.ToString(d.Target.AvailabilityZone); az == "" {
					t.Errorf("describe-target-health: the new target has no availability zone")
				}
			}
		}
		if !found || len(health.TargetHealthDescriptions) != 3 {
			t.Errorf("describe-target-health: got %d targets (the new one found: %v), want the endpoint's two and the new one", len(health.TargetHealthDescriptions), found)
		}
	})

	t.Run("the rule serves through the static IPs", func(t *testing.T) {
		ip := acceleratorIPs(t, st)[0]
		cl := client(t, r.cfg.DataDir, ip, "")
		testutil.Eventually(t, "the rule's fixed response", func() (bool, string) {
			resp, err := cl.Get("https://" + domain + "/from-rule/x")
			if err != nil {
				return false, err.Error()
			}
			defer resp.Body.Close()
			body := make([]byte, 64)
			n, _ := resp.Body.Read(body)
			return resp.StatusCode == http.StatusOK && string(body[:n]) == "from a rule", resp.Status + " " + string(body[:n])
		})
		// Every other path still reaches the API, by the healthy endpoint
		// targets only (the unanswering one is not healthy).
		if code, _, _ := get(t, cl, "/"); code == http.StatusBadGateway || code == http.StatusServiceUnavailable {
			t.Errorf("GET /: got %d, want the API's answer", code)
		}
	})

	t.Run("deleting the listener takes its rules", func(t *testing.T) {
		testutil.Must[*elbv2.DeleteListenerOutput](t)(c.elb.DeleteListener(ctx, &elbv2.DeleteListenerInput{ListenerArn: listener.ListenerArn}))
		kvs, _, err := st.List(ctx, model.RulesPrefix(aws.ToString(listener.ListenerArn)))
		if err != nil || len(kvs) != 0 {
			t.Errorf("rule records after delete-listener: got %d (%v), want none", len(kvs), err)
		}
		_, err = c.elb.DescribeRules(ctx, &elbv2.DescribeRulesInput{RuleArns: []string{ruleARN}})
		wantAPIError(t, "describe-rules of the deleted listener's rule", err, "RuleNotFound")
	})
}
