package elbv2_test

import (
	"context"
	"encoding/xml"
	"net/http"
	"testing"

	"gatehouse/internal/awsapi/awsapitest"
	"gatehouse/internal/awsapi/elbv2"
	"gatehouse/internal/balancer"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// FuzzRequest sends arbitrary form bodies, signed, through the endpoint and
// the ELBv2 mapping: every answer is a well-formed XML response or ELBv2
// error, never a 500 or a panic. The balancer is not running: operations only
// read and write the store.
func FuzzRequest(f *testing.F) {
	tg := "arn:aws:elasticloadbalancing:us-west-2:000000000000:targetgroup/t/0123456789abcdef"
	seeds := []string{
		form("DescribeLoadBalancers", "PageSize", "2", "Marker", "MQ"),
		form("CreateLoadBalancer", "Name", "lb", "Subnets.member.1", subnetA, "Subnets.member.2", subnetB, "Tags.member.1.Key", "k"),
		form("CreateTargetGroup", "Name", "t", "Protocol", "HTTPS", "Port", "443", "VpcId", testVPC, "TargetType", "ip",
			"Matcher.HttpCode", "403", "HealthCheckIntervalSeconds", "5"),
		form("RegisterTargets", "TargetGroupArn", tg, "Targets.member.1.Id", "127.0.52.200", "Targets.member.1.Port", "443"),
		form("CreateRule", "ListenerArn", missingLis, "Priority", "3", "Conditions.member.1.Field", "query-string",
			"Conditions.member.1.QueryStringConfig.Values.member.1.Key", "a", "Conditions.member.1.QueryStringConfig.Values.member.1.Value", "b",
			"Actions.member.1.Type", "redirect", "Actions.member.1.RedirectConfig.StatusCode", "HTTP_301", "Actions.member.1.RedirectConfig.Host", "x"),
		form("SetRulePriorities", "RulePriorities.member.1.RuleArn", missingRule, "RulePriorities.member.1.Priority", "9"),
		form("AddTags", "ResourceArns.member.1", tg, "Tags.member.1.Key", "a", "Tags.member.2.Key", "a"),
		form("DescribeSSLPolicies", "LoadBalancerType", "gateway"),
		"Action=DescribeTags&Version=2015-12-01&ResourceArns.member.99999999999999999999=x",
		"%zz",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	ctx := context.Background()
	st := store.NewMem()
	f.Cleanup(func() { st.Close() })
	for k, v := range map[string]any{
		model.Key(model.KindVPC, testVPC):    &model.VPC{ID: testVPC, CIDR: "127.0.52.0/24", State: "available"},
		model.Key(model.KindSubnet, subnetA): &model.Subnet{ID: subnetA, VpcID: testVPC, CIDR: "127.0.52.0/26", AvailabilityZone: "us-west-2a"},
		model.Key(model.KindSubnet, subnetB): &model.Subnet{ID: subnetB, VpcID: testVPC, CIDR: "127.0.52.64/26", AvailabilityZone: "us-west-2b"},
	} {
		if _, err := store.Save(ctx, st, k, v, 0); err != nil {
			f.Fatal(err)
		}
	}
	endpoint, _ := awsapitest.Start(f, elbv2.New(balancer.New(balancer.Deps{Store: st})))
	f.Fuzz(func(t *testing.T, body string) {
		status, answer := post(t, endpoint, body)
		if status >= http.StatusInternalServerError {
			t.Fatalf("body %q: got %d %s", body, status, answer)
		}
		var any struct{ XMLName xml.Name }
		if err := xml.Unmarshal(answer, &any); err != nil {
			t.Fatalf("body %q: response is not XML: %v: %s", body, err, answer)
		}
		if status != http.StatusOK && any.XMLName.Local != "ErrorResponse" {
			t.Fatalf("body %q: got %d with %s", body, status, answer)
		}
	})
}
