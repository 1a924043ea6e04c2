package stack

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"gatehouse/internal/gateway"
	"gatehouse/internal/model"
)

// keyValue is the value the file gives the key "partner"; it must never show
// in a change or a log line.
const keyValue = "partnerKeyValue0123456789"

// keysFile is planFile with API keys, a usage plan and stage throttling.
var keysFile = strings.Replace(planFile, "stages: [{name: prod}]",
	"stages: [{name: prod, throttle: {rateLimit: 50, burstLimit: 100}}, {name: test}]", 1) + `
apiKeys:
  - {name: partner, value: ` + keyValue + `, description: the partner's key}
  - {name: internal}
  - {name: retired, enabled: false}
usagePlans:
  - name: partners
    description: what partners may call
    apiStages: [{api: demo, stage: prod}]
    throttle: {rateLimit: 10, burstLimit: 20}
    quota: {limit: 1000, period: DAY}
    apiKeys: [partner, internal]
`

// keyByName is the API key named name as the gateway lists it.
func (e *planEnv) keyByName(t *testing.T, name string) *model.APIKey {
	t.Helper()
	keys, err := e.svcs.Gateway.ListAPIKeys(context.Background(), name, "")
	if err != nil {
		t.Fatal(err)
	}
	k := find(keys, func(k *model.APIKey) bool { return k.Name == name })
	if k == nil {
		t.Fatalf("no API key %q among %d", name, len(keys))
	}
	return k
}

// planByName is the usage plan named name as the gateway lists it.
func (e *planEnv) planByName(t *testing.T, name string) *model.UsagePlan {
	t.Helper()
	plans, err := e.svcs.Gateway.ListUsagePlans(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	p := find(plans, func(p *model.UsagePlan) bool { return p.Name == name })
	if p == nil {
		t.Fatalf("no usage plan %q among %d", name, len(plans))
	}
	return p
}

// TestApplyKeysAndPlans: applying creates the keys, the plan with its stages,
// throttle, quota and keys, and the stage's throttling, as the gateway's own
// operations report them; applying again writes nothing.
func TestApplyKeysAndPlans(t *testing.T) {
	ctx := context.Background()
	e := newPlanEnv(t)
	f := parseString(t, keysFile)
	if err := Apply(ctx, e.svcs, f); err != nil {
		t.Fatal(err)
	}
	gw := e.svcs.Gateway

	partner := e.keyByName(t, "partner")
	if partner.Value != keyValue || !partner.Enabled || partner.Description != "the partner's key" {
		t.Errorf("partner: got value %q enabled %v description %q, want %q true %q",
			partner.Value, partner.Enabled, partner.Description, keyValue, "the partner's key")
	}
	internal := e.keyByName(t, "internal")
	if len(internal.Value) != 40 || !internal.Enabled {
		t.Errorf("internal: got a value of %d characters, enabled %v; want a generated one of 40, enabled", len(internal.Value), internal.Enabled)
	}
	if retired := e.keyByName(t, "retired"); retired.Enabled {
		t.Error("retired: got enabled, want disabled")
	}

	demo := e.api(t, "demo")
	plan := e.planByName(t, "partners")
	got, err := gw.GetUsagePlan(ctx, plan.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantStages := []model.UsagePlanStage{{APIID: demo.ID, Stage: "prod"}}
	if !slices.EqualFunc(got.APIStages, wantStages, func(x, y model.UsagePlanStage) bool { return x.APIID == y.APIID && x.Stage == y.Stage }) {
		t.Errorf("apiStages: got %+v, want %+v", got.APIStages, wantStages)
	}
	if want := (model.ThrottleSettings{RateLimit: 10, BurstLimit: 20}); got.Throttle == nil || *got.Throttle != want {
		t.Errorf("throttle: got %+v, want %+v", got.Throttle, want)
	}
	if want := (model.QuotaSettings{Limit: 1000, Period: "DAY"}); got.Quota == nil || *got.Quota != want {
		t.Errorf("quota: got %+v, want %+v", got.Quota, want)
	}
	members, err := gw.ListUsagePlanKeys(ctx, plan.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range members {
		names = append(names, m.Name)
	}
	slices.Sort(names)
	if want := []string{"internal", "partner"}; !slices.Equal(names, want) {
		t.Errorf("plan keys: got %q, want %q", names, want)
	}

	prod, err := gw.GetStage(ctx, demo.ID, "prod")
	if err != nil {
		t.Fatal(err)
	}
	ms, ok := prod.MethodSettings["*/*"]
	if !ok || ms.ThrottlingRateLimit != 50 || ms.ThrottlingBurstLimit != 100 {
		t.Errorf("prod */* method setting: got %+v (present %v), want rate 50 burst 100", ms, ok)
	}
	test, err := gw.GetStage(ctx, demo.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	if len(test.MethodSettings) != 0 {
		t.Errorf("test method settings: got %+v, want none (no throttle in the file)", test.MethodSettings)
	}

	if strings.Contains(e.log.String(), keyValue) {
		t.Errorf("log: the key's value is logged: %s", e.log)
	}
	if again, err := Plan(ctx, e.svcs, f); err != nil || len(again) != 0 {
		t.Errorf("plan after apply: got %q, %v; want none", again, err)
	}
	_, revBefore, _ := e.svcs.Store.List(ctx, "")
	if err := Apply(ctx, e.svcs, f); err != nil {
		t.Fatal(err)
	}
	if _, revAfter, _ := e.svcs.Store.List(ctx, ""); revAfter != revBefore {
		t.Errorf("second apply wrote: store revision got %d, want %d", revAfter, revBefore)
	}
}

// TestPlanKeysAndPlans: a change of the file, or one made through the API,
// is planned as one change of the one field; applying makes the plan empty.
func TestPlanKeysAndPlans(t *testing.T) {
	replace := func(old, new string) string {
		if !strings.Contains(keysFile, old) {
			panic("keysFile has no " + old)
		}
		return strings.Replace(keysFile, old, new, 1)
	}
	tests := []struct {
		name   string
		change func(t *testing.T, e *planEnv) // through the operations, after the apply
		file   string                         // planned instead of keysFile when set
		want   Change
	}{
		{
			name: "file changes a key's description",
			file: replace("description: the partner's key", "description: the partner's new key"),
			want: Change{"apiKey/partner", "description", `"the partner's key"`, `"the partner's new key"`},
		},
		{
			name: "file disables a key",
			file: replace("{name: internal}", "{name: internal, enabled: false}"),
			want: Change{"apiKey/internal", "enabled", "true", "false"},
		},
		{
			name: "file raises the plan's throttle",
			file: replace("throttle: {rateLimit: 10, burstLimit: 20}", "throttle: {rateLimit: 12.5, burstLimit: 20}"),
			want: Change{"usagePlan/partners", "throttle", "rate 10/s burst 20", "rate 12.5/s burst 20"},
		},
		{
			name: "file changes the quota's period",
			file: replace("period: DAY", "period: WEEK"),
			want: Change{"usagePlan/partners", "quota", "1000 per DAY", "1000 per WEEK"},
		},
		{
			name: "file adds a stage to the plan",
			file: replace("apiStages: [{api: demo, stage: prod}]", "apiStages: [{api: demo, stage: prod}, {api: demo, stage: test}]"),
			want: Change{"usagePlan/partners", "apiStages", "[demo/prod]", "[demo/prod, demo/test]"},
		},
		{
			name: "file takes a key out of the plan",
			file: replace("apiKeys: [partner, internal]", "apiKeys: [partner]"),
			want: Change{"usagePlan/partners", "apiKeys", "[internal, partner]", "[partner]"},
		},
		{
			name: "file throttles another stage",
			file: replace("{name: test}]", "{name: test, throttle: {rateLimit: 1, burstLimit: 2}}]"),
			want: Change{"api/demo", "stages[test].throttle", "(none)", "rate 1/s burst 2"},
		},
		{
			name: "key disabled through the API",
			change: func(t *testing.T, e *planEnv) {
				_, err := e.svcs.Gateway.PatchAPIKey(context.Background(), e.keyByName(t, "partner").ID,
					[]gateway.PatchOperation{{Op: "replace", Path: "/enabled", Value: "false"}})
				if err != nil {
					t.Fatal(err)
				}
			},
			want: Change{"apiKey/partner", "enabled", "false", "true"},
		},
		{
			name: "key put in the plan through the API",
			change: func(t *testing.T, e *planEnv) {
				_, err := e.svcs.Gateway.CreateUsagePlanKey(context.Background(), e.planByName(t, "partners").ID,
					e.keyByName(t, "retired").ID, "API_KEY")
				if err != nil {
					t.Fatal(err)
				}
			},
			want: Change{"usagePlan/partners", "apiKeys", "[internal, partner, retired]", "[internal, partner]"},
		},
		{
			name: "stage throttle lowered through the API",
			change: func(t *testing.T, e *planEnv) {
				_, err := e.svcs.Gateway.PatchStage(context.Background(), e.api(t, "demo").ID, "prod",
					[]gateway.PatchOperation{{Op: "replace", Path: "/*/*/throttling/rateLimit", Value: "5"}})
				if err != nil {
					t.Fatal(err)
				}
			},
			want: Change{"api/demo", "stages[prod].throttle", "rate 5/s burst 100", "rate 50/s burst 100"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			e := newPlanEnv(t)
			if err := Apply(ctx, e.svcs, parseString(t, keysFile)); err != nil {
				t.Fatal(err)
			}
			if tt.change != nil {
				tt.change(t, e)
			}
			file := parseString(t, cmpOr(tt.file, keysFile))
			got, err := Plan(ctx, e.svcs, file)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0] != tt.want {
				t.Fatalf("changes: got %q, want [%q]", got, tt.want)
			}
			if err := Apply(ctx, e.svcs, file); err != nil {
				t.Fatal(err)
			}
			if again, err := Plan(ctx, e.svcs, file); err != nil || len(again) != 0 {
				t.Errorf("plan after apply: got %q, %v; want none", again, err)
			}
		})
	}
}

// TestPlanKeysOfFreshStore: planning on an empty store lists the keys and the
// plan as created, without their values.
func TestPlanKeysOfFreshStore(t *testing.T) {
	got, err := Plan(context.Background(), newPlanEnv(t).svcs, parseString(t, keysFile))
	if err != nil {
		t.Fatal(err)
	}
	var createdRes []string
	for _, c := range got {
		if strings.Contains(c.Old+c.New, keyValue) {
			t.Errorf("change %s shows the key's value", c)
		}
		if c.Field == "" && c.Old == absent && (strings.HasPrefix(c.Resource, "apiKey/") || strings.HasPrefix(c.Resource, "usagePlan/")) {
			createdRes = append(createdRes, c.Resource)
		}
	}
	want := []string{"apiKey/partner", "apiKey/internal", "apiKey/retired", "usagePlan/partners"}
	if !slices.Equal(createdRes, want) {
		t.Errorf("created: got %q, want %q", createdRes, want)
	}
}

// TestApplyFileKeepsKeyChangedThroughTheAPI: as for every resource, serve -f
// with an unchanged file keeps what was changed through the API (drift).
func TestApplyFileKeepsKeyChangedThroughTheAPI(t *testing.T) {
	ctx := context.Background()
	e := newPlanEnv(t)
	opt := Options{Source: "stack.yaml"}
	if _, err := ApplyFile(ctx, e.svcs, parseString(t, keysFile), opt); err != nil {
		t.Fatal(err)
	}
	_, err := e.svcs.Gateway.PatchAPIKey(ctx, e.keyByName(t, "partner").ID,
		[]gateway.PatchOperation{{Op: "replace", Path: "/enabled", Value: "false"}})
	if err != nil {
		t.Fatal(err)
	}
	drift, err := ApplyFile(ctx, e.svcs, parseString(t, keysFile), opt)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"apiKey/partner enabled"}; !slices.Equal(fields(drift), want) {
		t.Errorf("drift: got %q, want %q", fields(drift), want)
	}
	if e.keyByName(t, "partner").Enabled {
		t.Error("partner: got enabled, want disabled (kept)")
	}
}

func TestValidateKeysAndPlans(t *testing.T) {
	const api = "apis: [{name: demo, resources: {/: {GET: {integration: {type: MOCK}}}}, stages: [{name: prod}]}]\n"
	tests := []struct {
		name, yaml string
		want       []string // substrings of the error
	}{
		{"unknown api", api + "usagePlans: [{name: p, apiStages: [{api: dmeo, stage: prod}]}]",
			[]string{`usagePlans[0] "p".apiStages[0].api`, `unknown api "dmeo"`}},
		{"unknown stage", api + "usagePlans: [{name: p, apiStages: [{api: demo, stage: prd}]}]",
			[]string{`usagePlans[0] "p".apiStages[0].stage`, `api "demo" has no stage "prd"`}},
		{"stage named twice", api + "usagePlans: [{name: p, apiStages: [{api: demo, stage: prod}, {api: demo, stage: prod}]}]",
			[]string{`usagePlans[0] "p".apiStages[1]`, "named twice"}},
		{"unknown key", "apiKeys: [{name: k}]\nusagePlans: [{name: p, apiKeys: [kk]}]",
			[]string{`usagePlans[0] "p".apiKeys[0]`, `unknown API key "kk"`}},
		{"bad quota period", "usagePlans: [{name: p, quota: {limit: 5, period: YEAR}}]",
			[]string{`usagePlans[0] "p".quota.period`, `"YEAR"`}},
		{"negative plan throttle", "usagePlans: [{name: p, throttle: {rateLimit: -1}}]",
			[]string{`usagePlans[0] "p".throttle`, "must not be negative"}},
		{"negative stage throttle", strings.Replace(api, "{name: prod}", "{name: prod, throttle: {burstLimit: -1}}", 1),
			[]string{`apis[0] "demo".stages[0].throttle`, "must not be negative"}},
		{"key defined twice", "apiKeys: [{name: k}, {name: k}]", []string{"apiKeys[1]", "defined twice"}},
		{"unnamed plan", "usagePlans: [{description: x}]", []string{"usagePlans[0]", "name is required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := parseString(t, tt.yaml).Validate()
			if err == nil {
				t.Fatal("got no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// TestKeysExampleApplies: examples/api-keys.yaml is valid, applies, and
// re-applying it plans nothing.
func TestKeysExampleApplies(t *testing.T) {
	b, err := os.ReadFile("../../examples/api-keys.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	e := newPlanEnv(t)
	f := parseString(t, string(b))
	if err := Apply(ctx, e.svcs, f); err != nil {
		t.Fatal(err)
	}
	if got := e.planByName(t, "partners"); got.Quota == nil || got.Quota.Limit != 1000 {
		t.Errorf("partners quota: got %+v, want 1000 a day", got.Quota)
	}
	if again, err := Plan(ctx, e.svcs, f); err != nil || len(again) != 0 {
		t.Errorf("plan after apply: got %q, %v; want none", again, err)
	}
}
