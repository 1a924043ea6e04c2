package balancer

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
	"gatehouse/internal/testutil"
)

// legacyIP is the target an older gatehouse registered, inside subnet t.
const legacyIP = "127.0.14.203"

// TestRecordsOfAnOlderGatehouse stores a listener with its rules inside it
// and a target group with its targets inside it, as gatehouse wrote them
// before rules and targets were records of their own: they load, route and
// describe as before, hold their target group in use, count against
// priorities, and move into records of their own on the first write that
// touches them, without a request going astray.
func TestRecordsOfAnOlderGatehouse(t *testing.T) {
	e := newEnv(t)
	target := newKillable(t, "legacy", legacyIP)
	lb := e.createLB(t, "legacy")
	const lport = 18096
	tgARN := "arn:aws:elasticloadbalancing:us-west-2:000000000000:targetgroup/legacy/00112233445566aa"
	listenerARN := strings.Replace(lb.ARN, ":loadbalancer/", ":listener/", 1) + "/00112233445566bb"
	ruleARN := model.RuleARNPrefix(listenerARN) + "00112233445566cc"

	// The older shapes, as JSON an older gatehouse wrote (port 0: the group's).
	oldGroup := fmt.Sprintf(`{"ARN":%q,"Name":"legacy","Protocol":"HTTP","ProtocolVersion":"HTTP1","Port":%d,"TargetType":"ip","VpcID":%q,`+
		`"HealthCheck":{"Enabled":true,"Protocol":"HTTP","Port":"traffic-port","Path":"/","IntervalSeconds":5,"TimeoutSeconds":2,"HealthyThreshold":2,"UnhealthyThreshold":2,"Matcher":"200"},`+
		`"Targets":[{"ID":%q,"Port":0,"AvailabilityZone":"us-west-2c"}]}`, tgARN, target.port(), testVPC, legacyIP)
	oldListener := fmt.Sprintf(`{"ARN":%q,"LoadBalancerARN":%q,"Protocol":"HTTP","Port":%d,`+
		`"DefaultActions":[{"Type":"fixed-response","FixedResponse":{"StatusCode":"404","ContentType":"text/plain","MessageBody":"default"}}],`+
		`"Rules":[{"ARN":%q,"Priority":5,"Conditions":[{"Field":"path-pattern","Values":["/api/*"]}],"Actions":[{"Type":"forward","TargetGroupARN":%q}],"Tags":{"team":"edge"}}]}`,
		listenerARN, lb.ARN, lport, ruleARN, tgARN)
	for key, v := range map[string]string{
		model.Key(model.KindTargetGroup, tgARN):    oldGroup,
		model.Key(model.KindListener, listenerARN): oldListener,
	} {
		if _, err := e.st.Put(e.ctx, key, []byte(v), 0); err != nil {
			t.Fatal(err)
		}
	}

	node := e.waitState(t, lb.ARN, "active").Nodes[0].IP
	e.waitOpen(t, node, lport)
	get := func(path string) (int, string) {
		t.Helper()
		res, err := http.Get("http://" + net.JoinHostPort(node, strconv.Itoa(lport)) + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header.Get("Backend") + string(body)
	}
	routes := func(t *testing.T) {
		t.Helper()
		if code, got := get("/api/x"); code != http.StatusOK || got != "legacyok" {
			t.Errorf("GET /api/x: got %d %q, want 200 from the legacy target", code, got)
		}
		if code, got := get("/other"); code != http.StatusNotFound || got != "default" {
			t.Errorf("GET /other: got %d %q, want the default action's 404", code, got)
		}
	}
	rulesOfListener := func(t *testing.T) []string {
		t.Helper()
		rules, err := e.svc.DescribeRules(e.ctx, listenerARN, nil)
		if err != nil {
			t.Fatalf("DescribeRules: %v", err)
		}
		var out []string
		for _, r := range rules {
			if !r.IsDefault {
				out = append(out, fmt.Sprintf("%d %s", r.Priority, r.Conditions[0].Values[0]))
			}
		}
		return out
	}
	stored := func(t *testing.T) (rulesInside, targetsInside, ruleRecords, targetRecords int) {
		t.Helper()
		l, _, err := store.Load[model.Listener](e.ctx, e.st, model.Key(model.KindListener, listenerARN))
		if err != nil {
			t.Fatal(err)
		}
		tg, _, err := store.Load[model.TargetGroup](e.ctx, e.st, model.Key(model.KindTargetGroup, tgARN))
		if err != nil {
			t.Fatal(err)
		}
		rs, _, err := e.st.List(e.ctx, model.RulesPrefix(listenerARN))
		if err != nil {
			t.Fatal(err)
		}
		ts, _, err := e.st.List(e.ctx, model.TargetsPrefix(tgARN))
		if err != nil {
			t.Fatal(err)
		}
		return len(l.Rules), len(tg.Targets), len(rs), len(ts)
	}

	t.Run("loads as before", func(t *testing.T) {
		e.waitHealth(t, tgARN, model.TargetHealthy, "")
		routes(t)
		if got, want := rulesOfListener(t), []string{"5 /api/*"}; !slicesEqual(got, want) {
			t.Errorf("DescribeRules: got %v, want %v", got, want)
		}
		tags, err := e.svc.DescribeTags(e.ctx, []string{ruleARN})
		if err != nil || tags[0].Tags["team"] != "edge" {
			t.Errorf("DescribeTags of the rule: got %v, %v, want team=edge", tags, err)
		}
		tgs, err := e.svc.DescribeTargetGroups(e.ctx, []string{tgARN}, nil, "")
		if err != nil || len(tgs[0].Targets) != 1 || tgs[0].Targets[0].Port != target.port() {
			t.Errorf("DescribeTargetGroups: got %+v, %v, want the one target on port %d", tgs, err, target.port())
		}
	})
	t.Run("holds its group in use and its priority", func(t *testing.T) {
		err := e.svc.DeleteTargetGroup(e.ctx, tgARN)
		if me := asAWS(t, err); me.Code != codeInUse {
			t.Errorf("DeleteTargetGroup: got %s, want %s", me.Code, codeInUse)
		}
		_, err = e.svc.CreateRule(e.ctx, CreateRuleInput{ListenerARN: listenerARN, Priority: 5,
			Conditions: []model.Condition{{Field: "path-pattern", Values: []string{"/dup"}}},
			Actions:    []model.Action{{Type: "forward", TargetGroupARN: tgARN}}})
		if me := asAWS(t, err); me.Code != "PriorityInUse" {
			t.Errorf("CreateRule at the embedded rule's priority: got %s, want PriorityInUse", me.Code)
		}
	})
	t.Run("moves out on the first write", func(t *testing.T) {
		if _, err := e.svc.CreateRule(e.ctx, CreateRuleInput{ListenerARN: listenerARN, Priority: 6,
			Conditions: []model.Condition{{Field: "path-pattern", Values: []string{"/v2/*"}}},
			Actions:    []model.Action{{Type: "forward", TargetGroupARN: tgARN}}}); err != nil {
			t.Fatalf("CreateRule: %v", err)
		}
		if err := e.svc.RegisterTargets(e.ctx, tgARN, []model.Target{{ID: legacyIP, Port: target.port() + 1}}); err != nil {
			t.Fatalf("RegisterTargets: %v", err)
		}
		rulesInside, targetsInside, ruleRecords, targetRecords := stored(t)
		if rulesInside != 0 || targetsInside != 0 || ruleRecords != 2 || targetRecords != 2 {
			t.Errorf("stored: got %d rules and %d targets inside their parents, %d rule and %d target records; want 0, 0, 2, 2",
				rulesInside, targetsInside, ruleRecords, targetRecords)
		}
		if got, want := rulesOfListener(t), []string{"5 /api/*", "6 /v2/*"}; !slicesEqual(got, want) {
			t.Errorf("DescribeRules: got %v, want %v", got, want)
		}
		// The moved rule keeps its tags; the unreachable new target does not
		// take the healthy one's traffic.
		tags, err := e.svc.DescribeTags(e.ctx, []string{ruleARN})
		if err != nil || tags[0].Tags["team"] != "edge" {
			t.Errorf("DescribeTags of the moved rule: got %v, %v, want team=edge", tags, err)
		}
		testutil.Eventually(t, "the moved target healthy, the new one not", func() (bool, string) {
			hs, err := e.svc.DescribeTargetHealth(e.ctx, tgARN)
			if err != nil || len(hs) != 2 {
				return false, fmt.Sprint(hs, err)
			}
			return hs[0].State == model.TargetHealthy && hs[1].State == model.TargetUnhealthy, fmt.Sprint(hs)
		})
		routes(t)
		if code, got := get("/v2/x"); code != http.StatusOK || got != "legacyok" {
			t.Errorf("GET /v2/x: got %d %q, want 200 from the legacy target", code, got)
		}
	})
	t.Run("deleting the listener takes its rules", func(t *testing.T) {
		if err := e.svc.DeleteListener(e.ctx, listenerARN); err != nil {
			t.Fatal(err)
		}
		rs, _, err := e.st.List(e.ctx, model.RulesPrefix(listenerARN))
		if err != nil || len(rs) != 0 {
			t.Errorf("rule records after DeleteListener: got %d (%v), want 0", len(rs), err)
		}
		if err := e.svc.DeleteTargetGroup(e.ctx, tgARN); err != nil {
			t.Fatalf("DeleteTargetGroup: %v", err)
		}
		ts, _, err := e.st.List(e.ctx, model.TargetsPrefix(tgARN))
		if err != nil || len(ts) != 0 {
			t.Errorf("target records after DeleteTargetGroup: got %d (%v), want 0", len(ts), err)
		}
	})
}

func slicesEqual(a, b []string) bool { return strings.Join(a, "\n") == strings.Join(b, "\n") }

// TestMigrationChunks moves more targets than one Txn takes out of a group
// an older gatehouse wrote: every target arrives as a record, the group
// keeps none inside, and deregistering one deletes one record.
func TestMigrationChunks(t *testing.T) {
	ctx := context.Background()
	st, a, _ := twoNodes(t)
	tgARN := "arn:aws:elasticloadbalancing:us-west-2:000000000000:targetgroup/many/00112233445566dd"
	old := &model.TargetGroup{ARN: tgARN, Name: "many", Protocol: "HTTP", ProtocolVersion: "HTTP1", Port: 80, TargetType: "ip", VpcID: testVPC,
		HealthCheck: model.HealthCheck{Enabled: true, Protocol: "HTTP", Port: "traffic-port", Path: "/", IntervalSeconds: 30, TimeoutSeconds: 5,
			HealthyThreshold: 5, UnhealthyThreshold: 2, Matcher: "200"}}
	for i := range maxTargetsPerGroup {
		old.Targets = append(old.Targets, model.Target{ID: "127.0.14.30", Port: 1 + i})
	}
	if _, err := store.Save(ctx, st, model.Key(model.KindTargetGroup, tgARN), old, 0); err != nil {
		t.Fatal(err)
	}
	if err := a.DeregisterTargets(ctx, tgARN, []model.Target{{ID: "127.0.14.30", Port: 1}}); err != nil {
		t.Fatalf("DeregisterTargets: %v", err)
	}
	tg, _, err := store.Load[model.TargetGroup](ctx, st, model.Key(model.KindTargetGroup, tgARN))
	if err != nil {
		t.Fatal(err)
	}
	recs, _, err := st.List(ctx, model.TargetsPrefix(tgARN))
	if err != nil {
		t.Fatal(err)
	}
	if len(tg.Targets) != 0 || len(recs) != maxTargetsPerGroup-1 {
		t.Errorf("got %d targets inside the group and %d records, want 0 and %d", len(tg.Targets), len(recs), maxTargetsPerGroup-1)
	}
}
