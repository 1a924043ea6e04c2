package stack

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"gatehouse/internal/balancer"
	"gatehouse/internal/gateway"
	"gatehouse/internal/model"
	"gatehouse/internal/network"
	"gatehouse/internal/store"
)

// planFile is a stack without certificates, zones or sockets, so that it
// applies on a memory store with the services' operations alone.
const planFile = `
region: us-west-2
securityGroups:
  - {name: endpoint-sg, description: from the balancer, ingress: [{protocol: tcp, port: 443, cidr: 0.0.0.0/0}]}
  - {name: alb-sg, ingress: [{protocol: tcp, port: 443, cidr: 0.0.0.0/0}]}
vpcEndpoints:
  - {name: execute-api, service: execute-api, subnets: [a, b], securityGroups: [endpoint-sg]}
apis:
  - name: demo
    endpointType: PRIVATE
    vpcEndpoints: [execute-api]
    policy: {Statement: [{Effect: Allow, Principal: "*", Action: "execute-api:Invoke", Resource: "execute-api:/*"}]}
    resources:
      /:
        GET: {integration: {type: MOCK, requestTemplates: {application/json: '{"statusCode": 200}'}}}
    stages: [{name: prod}]
targetGroups:
  - {name: api-targets, protocol: HTTPS, targets: {vpcEndpoint: execute-api}, healthCheck: {matcher: "403"}}
`

type planEnv struct {
	svcs Services
	log  *bytes.Buffer
}

func newPlanEnv(t testing.TB) *planEnv {
	t.Helper()
	st := store.NewMem()
	t.Cleanup(func() { st.Close() })
	logs := &bytes.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	quiet := slog.New(slog.DiscardHandler)
	env := model.DefaultEnv
	netw := network.New(network.Deps{Store: st, Env: env, Log: quiet})
	if _, _, err := netw.EnsureDefaultVPC(context.Background()); err != nil {
		t.Fatal(err)
	}
	return &planEnv{log: logs, svcs: Services{Store: st, Env: env, Log: log, Network: netw,
		Gateway:  gateway.New(gateway.Deps{Store: st, Env: env, Log: quiet}),
		Balancer: balancer.New(balancer.Deps{Store: st, Env: env, Log: quiet})}}
}

func parseString(t testing.TB, s string) *File {
	t.Helper()
	f, err := Parse(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (e *planEnv) sg(t *testing.T, name string) *model.SecurityGroup {
	t.Helper()
	sgs, err := all[model.SecurityGroup](context.Background(), e.svcs.Store, model.KindSecurityGroup)
	if err != nil {
		t.Fatal(err)
	}
	sg := find(sgs, func(g *model.SecurityGroup) bool { return g.Name == name })
	if sg == nil {
		t.Fatalf("no security group %q", name)
	}
	return sg
}

// find is the API named name as stored, or nil.
func (e *planEnv) find(ctx context.Context, name string) *model.RestAPI {
	apis, _ := all[model.RestAPI](ctx, e.svcs.Store, model.KindRestAPI)
	return find(apis, func(a *model.RestAPI) bool { return a.Name == name })
}

// expanded is doc as the gateway stores it for the API named name.
func (e *planEnv) expanded(t *testing.T, name, doc string) string {
	t.Helper()
	out, err := gateway.ExpandPolicy(doc, e.svcs.Env, e.api(t, name).ID)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (e *planEnv) api(t *testing.T, name string) *model.RestAPI {
	t.Helper()
	apis, err := all[model.RestAPI](context.Background(), e.svcs.Store, model.KindRestAPI)
	if err != nil {
		t.Fatal(err)
	}
	api := find(apis, func(a *model.RestAPI) bool { return a.Name == name })
	if api == nil {
		t.Fatalf("no API %q", name)
	}
	tree, err := gateway.RestAPITree(context.Background(), e.svcs.Store, api.ID) // the tree is records of its own
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

// narrow replaces the group's 0.0.0.0/0 rule with the balancer subnets, as a
// user does through the EC2 API.
func (e *planEnv) narrow(t *testing.T, name string) {
	t.Helper()
	ctx := context.Background()
	sg := e.sg(t, name)
	open := model.IPPermission{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRs: []string{"0.0.0.0/0"}}
	nodes := model.IPPermission{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRs: []string{"127.31.1.0/24"}}
	if _, err := e.svcs.Network.AuthorizeIngress(ctx, sg.ID, []model.IPPermission{nodes}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svcs.Network.RevokeIngress(ctx, sg.ID, []model.IPPermission{open}); err != nil {
		t.Fatal(err)
	}
}

const denyPolicy = `{"Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Principal":"*","Resource":"execute-api:/*"},` +
	`{"Action":"execute-api:Invoke","Effect":"Deny","Principal":"*","Resource":"execute-api:/*/DELETE/*"}]}`

// demoARN stands for the demo API's execution ARN in expected changes; the
// test puts in the API's id.
const demoARN = "{demo-execution-arn}"

// deny adds a Deny statement to the API's policy and deploys it.
func (e *planEnv) deny(t *testing.T, name string) {
	t.Helper()
	ctx := context.Background()
	api := e.api(t, name)
	if _, err := e.svcs.Gateway.UpdateRestAPI(ctx, api.ID, func(r *model.RestAPI) error { r.Policy = denyPolicy; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svcs.Gateway.CreateDeployment(ctx, api.ID, gateway.CreateDeploymentInput{StageName: "prod"}); err != nil {
		t.Fatal(err)
	}
}

func fields(cs []Change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Resource+" "+c.Field)
	}
	return out
}

func TestPlan(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, e *planEnv) // through the operations, after the apply
		file   string                         // planned instead of planFile when set
		want   []Change                       // compared field by field; Old/New only when set
	}{
		{name: "nothing changed", change: func(*testing.T, *planEnv) {}},
		{
			name:   "ingress narrowed through the API",
			change: func(t *testing.T, e *planEnv) { e.narrow(t, "endpoint-sg") },
			want: []Change{{Resource: "securityGroup/endpoint-sg", Field: "ingress",
				Old: "[tcp 443 127.31.1.0/24]", New: "[tcp 443 0.0.0.0/0]"}},
		},
		{
			name:   "deny added to the policy and deployed",
			change: func(t *testing.T, e *planEnv) { e.deny(t, "demo") },
			want: []Change{
				// As stored: the short resource form expanded to the API's ARN.
				{Resource: "api/demo", Field: "policy", Old: policyText(strings.ReplaceAll(denyPolicy, "execute-api:/", demoARN+"/")),
					New: `{"Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Principal":"*","Resource":"` + demoARN + `/*"}]}`},
				{Resource: "api/demo", Field: "stages[prod].deployment"},
			},
		},
		{
			name: "method deleted through the API",
			change: func(t *testing.T, e *planEnv) {
				api := e.api(t, "demo")
				var root *model.Resource
				for _, r := range api.Resources {
					if r.Path == "/" {
						root = r
					}
				}
				if err := e.svcs.Gateway.DeleteMethod(context.Background(), api.ID, root.ID, "GET"); err != nil {
					t.Fatal(err)
				}
			},
			want: []Change{
				{Resource: "api/demo", Field: "resources[/].GET", Old: absent},
				{Resource: "api/demo", Field: "stages[prod].deployment"},
			},
		},
		{
			name:   "file adds a group and a rule",
			change: func(*testing.T, *planEnv) {},
			file: strings.Replace(planFile, "  - {name: alb-sg, ingress: [{protocol: tcp, port: 443, cidr: 0.0.0.0/0}]}",
				"  - {name: alb-sg, ingress: [{protocol: tcp, port: 443, cidr: 0.0.0.0/0}, {port: 8443, cidr: 10.0.0.0/8}]}\n"+
					"  - {name: extra-sg, ingress: [{port: 80, cidr: 10.0.0.0/8}]}", 1),
			want: []Change{
				{Resource: "securityGroup/alb-sg", Field: "ingress", Old: "[tcp 443 0.0.0.0/0]", New: "[tcp 443 0.0.0.0/0, tcp 8443 10.0.0.0/8]"},
				{Resource: "securityGroup/extra-sg", Field: "", Old: absent, New: "(created)"},
				{Resource: "securityGroup/extra-sg", Field: "ingress", Old: "[]", New: "[tcp 80 10.0.0.0/8]"},
			},
		},
		{
			name:   "file changes the health check matcher",
			change: func(*testing.T, *planEnv) {},
			file:   strings.Replace(planFile, `matcher: "403"`, `matcher: "200,403"`, 1),
			want:   []Change{{Resource: "targetGroup/api-targets", Field: "healthCheck.matcher", Old: "403", New: "200,403"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			e := newPlanEnv(t)
			if err := Apply(ctx, e.svcs, parseString(t, planFile)); err != nil {
				t.Fatal(err)
			}
			tt.change(t, e)
			_, revBefore, _ := e.svcs.Store.List(ctx, "")
			file := planFile
			if tt.file != "" {
				file = tt.file
			}
			got, err := Plan(ctx, e.svcs, parseString(t, file))
			if err != nil {
				t.Fatal(err)
			}
			if _, revAfter, _ := e.svcs.Store.List(ctx, ""); revAfter != revBefore {
				t.Errorf("Plan wrote: store revision got %d, want %d", revAfter, revBefore)
			}
			if !slices.Equal(fields(got), fields(tt.want)) {
				t.Fatalf("changes: got %q, want %q", got, tt.want)
			}
			for i, w := range tt.want {
				if api := e.find(ctx, "demo"); api != nil {
					w.Old = strings.ReplaceAll(w.Old, demoARN, "arn:aws:execute-api:us-west-2:000000000000:"+api.ID)
					w.New = strings.ReplaceAll(w.New, demoARN, "arn:aws:execute-api:us-west-2:000000000000:"+api.ID)
				}
				if w.Old != "" && got[i].Old != w.Old {
					t.Errorf("%s %s old: got %q, want %q", w.Resource, w.Field, got[i].Old, w.Old)
				}
				if w.New != "" && got[i].New != w.New {
					t.Errorf("%s %s new: got %q, want %q", w.Resource, w.Field, got[i].New, w.New)
				}
			}
		})
	}
}

// TestPlanOfFreshStoreListsEveryResource: planning on an empty store lists
// each resource once as created, and applying makes the plan empty.
func TestPlanOfFreshStoreListsEveryResource(t *testing.T) {
	ctx := context.Background()
	e := newPlanEnv(t)
	f := parseString(t, planFile)
	got, err := Plan(ctx, e.svcs, f)
	if err != nil {
		t.Fatal(err)
	}
	var createdRes []string
	for _, c := range got {
		if c.Field == "" && c.Old == absent {
			createdRes = append(createdRes, c.Resource)
		}
	}
	want := []string{"securityGroup/endpoint-sg", "securityGroup/alb-sg", "vpcEndpoint/execute-api", "api/demo", "targetGroup/api-targets"}
	if !slices.Equal(createdRes, want) {
		t.Errorf("created: got %q, want %q", createdRes, want)
	}
	applied, err := run(ctx, e.svcs, f, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) < len(got) {
		t.Errorf("apply made %d changes, fewer than the %d planned: %q", len(applied), len(got), applied)
	}
	if again, err := Plan(ctx, e.svcs, f); err != nil || len(again) != 0 {
		t.Errorf("plan after apply: got %q, %v; want none", again, err)
	}
}

// TestApplyFile: the three ways serve -f treats a file.
func TestApplyFile(t *testing.T) {
	ctx := context.Background()
	e := newPlanEnv(t)
	f := parseString(t, planFile)
	opt := Options{Source: "stack.yaml"}
	if _, err := ApplyFile(ctx, e.svcs, f, opt); err != nil {
		t.Fatal(err)
	}
	e.narrow(t, "endpoint-sg")
	e.deny(t, "demo")
	narrowed := permissionsText(e.sg(t, "endpoint-sg").Ingress)

	t.Run("same file is not re-applied", func(t *testing.T) {
		e.log.Reset()
		drift, err := ApplyFile(ctx, e.svcs, parseString(t, planFile+"\n# a comment changes nothing\n"), opt)
		if err != nil {
			t.Fatal(err)
		}
		if got := permissionsText(e.sg(t, "endpoint-sg").Ingress); got != narrowed {
			t.Errorf("endpoint-sg ingress: got %s, want %s (kept)", got, narrowed)
		}
		if got, want := e.api(t, "demo").Policy, e.expanded(t, "demo", denyPolicy); got != want {
			t.Errorf("policy: got %s, want the Deny kept", got)
		}
		if !strings.Contains(e.log.String(), "stack stack.yaml unchanged since the last apply (sha256 ") {
			t.Errorf("log: got %s, want the unchanged line", e.log)
		}
		if strings.Contains(e.log.String(), "stack change") {
			t.Errorf("log: got %s, want no change", e.log)
		}
		want := []string{"securityGroup/endpoint-sg ingress", "api/demo policy", "api/demo stages[prod].deployment"}
		if !slices.Equal(fields(drift), want) {
			t.Errorf("drift: got %q, want %q", fields(drift), want)
		}
		if n := strings.Count(e.log.String(), "msg=\"stack drift\""); n != len(want) {
			t.Errorf("drift lines: got %d, want %d in %s", n, len(want), e.log)
		}
	})

	t.Run("changed file writes only what changed", func(t *testing.T) {
		e.log.Reset()
		changed := strings.Replace(planFile, "  - {name: alb-sg, ingress: [{protocol: tcp, port: 443, cidr: 0.0.0.0/0}]}",
			"  - {name: alb-sg, ingress: [{protocol: tcp, port: 443, cidr: 0.0.0.0/0}, {port: 8443, cidr: 10.0.0.0/8}]}", 1)
		if _, err := ApplyFile(ctx, e.svcs, parseString(t, changed), opt); err != nil {
			t.Fatal(err)
		}
		if got := permissionsText(e.sg(t, "endpoint-sg").Ingress); got != narrowed {
			t.Errorf("endpoint-sg ingress: got %s, want %s (kept)", got, narrowed)
		}
		if got, want := e.api(t, "demo").Policy, e.expanded(t, "demo", denyPolicy); got != want {
			t.Errorf("policy: got %s, want the Deny kept", got)
		}
		if got, want := permissionsText(e.sg(t, "alb-sg").Ingress), "[tcp 443 0.0.0.0/0, tcp 8443 10.0.0.0/8]"; got != want {
			t.Errorf("alb-sg ingress: got %s, want %s", got, want)
		}
		line := `msg="stack change" resource=securityGroup/alb-sg field=ingress old="[tcp 443 0.0.0.0/0]" new="[tcp 443 0.0.0.0/0, tcp 8443 10.0.0.0/8]"`
		if !strings.Contains(e.log.String(), line) || strings.Count(e.log.String(), "stack change") != 1 {
			t.Errorf("log: got %s, want exactly the one change %s", e.log, line)
		}
	})

	t.Run("reapply reverts", func(t *testing.T) {
		e.log.Reset()
		drift, err := ApplyFile(ctx, e.svcs, parseString(t, planFile), Options{Source: "stack.yaml", Reapply: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(drift) != 0 {
			t.Errorf("drift after reapply: got %q, want none", drift)
		}
		if got, want := permissionsText(e.sg(t, "endpoint-sg").Ingress), "[tcp 443 0.0.0.0/0]"; got != want {
			t.Errorf("endpoint-sg ingress: got %s, want %s", got, want)
		}
		for _, want := range []string{"resource=securityGroup/endpoint-sg field=ingress", "resource=api/demo field=policy", "resource=securityGroup/alb-sg field=ingress"} {
			if !strings.Contains(e.log.String(), want) {
				t.Errorf("log: got %s, want a change %s", e.log, want)
			}
		}
	})
}

func TestUnchangedResources(t *testing.T) {
	before := parseString(t, planFile)
	tests := []struct {
		name    string
		after   string
		changed []string // resources not kept
	}{
		{name: "same", after: planFile},
		{name: "comment and key order", after: strings.Replace(planFile, "{name: alb-sg, ingress: [{protocol: tcp, port: 443, cidr: 0.0.0.0/0}]}",
			"{ingress: [{cidr: 0.0.0.0/0, port: 443, protocol: tcp}], name: alb-sg}  # same", 1)},
		{name: "one rule", after: strings.Replace(planFile, "port: 443, cidr: 0.0.0.0/0}]}\n  - {name: alb-sg", "port: 443, cidr: 10.0.0.0/8}]}\n  - {name: alb-sg", 1),
			changed: []string{"securityGroup/endpoint-sg"}},
		{name: "MOCK response", after: strings.Replace(planFile, `{"statusCode": 200}`, `{"statusCode": 204}`, 1),
			changed: []string{"api/demo"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keep := unchangedResources(before, parseString(t, tt.after))
			var changed []string
			for res := range definitions(before) {
				if !keep[res] {
					changed = append(changed, res)
				}
			}
			slices.Sort(changed)
			if !slices.Equal(changed, tt.changed) {
				t.Errorf("changed: got %q, want %q", changed, tt.changed)
			}
		})
	}
}

// FuzzPlanFile: any bytes a client sends to the daemon's diff route are
// planned without a panic and without a write.
func FuzzPlanFile(f *testing.F) {
	f.Add([]byte(planFile))
	f.Add([]byte(keysFile))
	f.Add([]byte(strings.Replace(planFile, "subnets: [a, b]", "subnets: [z]", 1)))
	f.Add([]byte("zones: [{name: example.test}]\nrecords: [{zone: example.test, name: a.example.test, values: [192.0.2.1]}]"))
	f.Add([]byte("apis: [{name: x, resources: {/a/{b}/c: {GET: {integration: {type: HTTP, uri: 'http://h'}}}}}]"))
	e := newPlanEnv(f)
	ctx := context.Background()
	if err := Apply(ctx, e.svcs, parseString(f, planFile)); err != nil {
		f.Fatal(err)
	}
	_, rev, _ := e.svcs.Store.List(ctx, "")
	f.Fuzz(func(t *testing.T, file []byte) {
		PlanFile(ctx, e.svcs, file)
		if _, got, _ := e.svcs.Store.List(ctx, ""); got != rev {
			t.Fatalf("PlanFile wrote: revision got %d, want %d", got, rev)
		}
	})
}
