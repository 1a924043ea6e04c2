package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"gatehouse/internal/live"
	"gatehouse/internal/model"
	"gatehouse/internal/testutil"
)

const (
	bodyThrottled = `{"message":"Too Many Requests"}`
	bodyQuota     = `{"message":"Limit Exceeded"}`
)

// keyedAPI builds a private MOCK API with GET /keyed (apiKeyRequired) and
// GET /open, deployed to prod, and returns its id.
func (h *harness) keyedAPI() string {
	t, ctx, s := h.t, h.ctx, h.svc
	t.Helper()
	api := testutil.Must[*model.RestAPI](t)(s.CreateRestAPI(ctx, CreateRestAPIInput{Name: "keyed",
		EndpointConfiguration: &model.EndpointConfiguration{Types: []string{"PRIVATE"}, VpcEndpointIDs: []string{"vpce-test"}},
		Policy:                openPolicy}))
	for _, path := range []string{"keyed", "open"} {
		res := testutil.Must[*model.Resource](t)(s.CreateResource(ctx, api.ID, api.RootResourceID, path))
		testutil.Must[*model.Method](t)(s.PutMethod(ctx, api.ID, res.ID, "GET", PutMethodInput{APIKeyRequired: path == "keyed"}))
		testutil.Must[*model.Integration](t)(s.PutIntegration(ctx, api.ID, res.ID, "GET", model.Integration{
			Type: "MOCK", RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}}))
		testutil.Must[*model.MethodResponse](t)(s.PutMethodResponse(ctx, api.ID, res.ID, "GET", "200", model.MethodResponse{}))
		testutil.Must[*model.IntegrationResponse](t)(s.PutIntegrationResponse(ctx, api.ID, res.ID, "GET", "200", model.IntegrationResponse{
			ResponseTemplates: map[string]string{"application/json": `{"key":"$context.identity.apiKeyId"}`}}))
	}
	testutil.Must[*model.Deployment](t)(s.CreateDeployment(ctx, api.ID, CreateDeploymentInput{StageName: "prod"}))
	return api.ID
}

// keyInPlan creates an enabled key (value given) in a new plan over api's prod stage.
func (h *harness) keyInPlan(api, value string, throttle *model.ThrottleSettings, quota *model.QuotaSettings) (*model.APIKey, *model.UsagePlan) {
	t, ctx, s := h.t, h.ctx, h.svc
	t.Helper()
	k := testutil.Must[*model.APIKey](t)(s.CreateAPIKey(ctx, APIKeyInput{Name: value[:8], Value: value, Enabled: true}))
	p := testutil.Must[*model.UsagePlan](t)(s.CreateUsagePlan(ctx, UsagePlanInput{Name: "plan-" + value[:8],
		APIStages: []model.UsagePlanStage{{APIID: api, Stage: "prod"}}, Throttle: throttle, Quota: quota}))
	testutil.Must[*UsagePlanKey](t)(s.CreateUsagePlanKey(ctx, p.ID, k.ID, "API_KEY"))
	return k, p
}

func TestAPIKeyRequired(t *testing.T) {
	h := newHarness(t)
	api := h.keyedAPI()
	good, _ := h.keyInPlan(api, "goodgoodgoodgoodgoodgood", nil, nil)
	// A key in no plan of the stage, and a disabled key in a plan.
	testutil.Must[*model.APIKey](t)(h.svc.CreateAPIKey(h.ctx, APIKeyInput{Name: "loose", Value: "looselooselooselooseloose", Enabled: true}))
	off, _ := h.keyInPlan(api, "offoffoffoffoffoffoffoff", nil, nil)
	testutil.Must[*model.APIKey](t)(h.svc.PatchAPIKey(h.ctx, off.ID, []PatchOperation{{Op: "replace", Path: "/enabled", Value: "false"}}))
	h.sync()
	ep := h.endpoint("127.0.13.1:0", "vpce-test")
	base := "https://" + api + ".execute-api.us-west-2.amazonaws.com/prod"

	for _, tt := range []struct {
		name, path, key  string
		wantStatus       int
		wantBody, wantTy string
	}{
		{"no key", "/keyed", "", 403, bodyForbidden, "ForbiddenException"},
		{"unknown key", "/keyed", "nosuchkeynosuchkeynosuchkey", 403, bodyForbidden, "ForbiddenException"},
		{"key in no plan of the stage", "/keyed", "looselooselooselooseloose", 403, bodyForbidden, "ForbiddenException"},
		{"disabled key", "/keyed", "offoffoffoffoffoffoffoff", 403, bodyForbidden, "ForbiddenException"},
		{"key in a plan", "/keyed", "goodgoodgoodgoodgoodgood", 200, `{"key":"` + good.ID + `"}`, ""},
		{"method without apiKeyRequired ignores keys", "/open", "nosuchkeynosuchkeynosuchkey", 200, `{"key":""}`, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h.t = t
			hdr := map[string]string{}
			if tt.key != "" {
				hdr["x-api-key"] = tt.key
			}
			got := h.do(ep, "GET", base+tt.path, "", hdr, "")
			checkResult(t, got, tt.wantStatus, tt.wantBody, tt.wantTy)
		})
	}
}

// TestUsagePlanLimits: a plan's throttle answers 429 Too Many Requests, its
// quota 429 Limit Exceeded, and the usage reaches the store for GetUsage.
func TestUsagePlanLimits(t *testing.T) {
	h := newHarness(t, func(d *Deps) { d.UsageFlushInterval = 10 * time.Millisecond })
	api := h.keyedAPI()
	// A bucket of one token that refills every ~3 hours: the second request
	// is throttled however slow the machine.
	throttled, _ := h.keyInPlan(api, "throttledthrottledthrottled", &model.ThrottleSettings{BurstLimit: 1, RateLimit: 0.0001}, nil)
	quoted, plan := h.keyInPlan(api, "quotedquotedquotedquoted", &model.ThrottleSettings{BurstLimit: 100, RateLimit: 100},
		&model.QuotaSettings{Limit: 2, Period: "DAY"})
	h.sync()
	ep := h.endpoint("127.0.13.1:0", "vpce-test")
	url := "https://" + api + ".execute-api.us-west-2.amazonaws.com/prod/keyed"

	for i, want := range []struct {
		status    int
		body, typ string
	}{{200, `{"key":"` + throttled.ID + `"}`, ""}, {429, bodyThrottled, "TooManyRequestsException"}} {
		got := h.do(ep, "GET", url, "", map[string]string{"x-api-key": throttled.Value}, "")
		t.Run(fmt.Sprintf("throttle request %d", i+1), func(t *testing.T) { checkResult(t, got, want.status, want.body, want.typ) })
	}
	for i, want := range []struct {
		status    int
		body, typ string
	}{{200, `{"key":"` + quoted.ID + `"}`, ""}, {200, `{"key":"` + quoted.ID + `"}`, ""}, {429, bodyQuota, "LimitExceededException"}} {
		got := h.do(ep, "GET", url, "", map[string]string{"x-api-key": quoted.Value}, "")
		t.Run(fmt.Sprintf("quota request %d", i+1), func(t *testing.T) { checkResult(t, got, want.status, want.body, want.typ) })
	}
	today := time.Now().UTC().Format(dayLayout)
	testutil.Eventually(t, "usage flushed to the store", func() (bool, string) {
		u, err := h.svc.GetUsage(h.ctx, plan.ID, "", today, today)
		if err != nil {
			return false, err.Error()
		}
		got := u.Items[quoted.ID]
		return len(got) == 1 && got[0] == [2]int64{2, 0}, fmt.Sprint(u.Items)
	})
	// The quota still holds once the counts live in the store only.
	h.sync()
	got := h.do(ep, "GET", url, "", map[string]string{"x-api-key": quoted.Value}, "")
	checkResult(t, got, 429, bodyQuota, "LimitExceededException")
}

// TestQuotaAcrossNodes: a second gateway on the same store sees the first's
// flushed usage and refuses past the quota.
func TestQuotaAcrossNodes(t *testing.T) {
	h := newHarness(t, func(d *Deps) { d.UsageFlushInterval = 10 * time.Millisecond })
	api := h.keyedAPI()
	k, plan := h.keyInPlan(api, "sharedsharedsharedshared", nil, &model.QuotaSettings{Limit: 3, Period: "MONTH"})
	h.sync()
	ep := h.endpoint("127.0.13.1:0", "vpce-test")
	url := "https://" + api + ".execute-api.us-west-2.amazonaws.com/prod/keyed"
	for range 2 {
		checkResult(t, h.do(ep, "GET", url, "", map[string]string{"x-api-key": k.Value}, ""), 200, `{"key":"`+k.ID+`"}`, "")
	}
	today := time.Now().UTC().Format(dayLayout)
	testutil.Eventually(t, "first node's usage flushed", func() (bool, string) {
		u, err := h.svc.GetUsage(h.ctx, plan.ID, k.ID, today, today)
		return err == nil && len(u.Items[k.ID]) == 1 && u.Items[k.ID][0][0] == 2, fmt.Sprint(u, err)
	})
	h2 := h.sibling(t)
	h2.sync()
	ep2 := h2.endpoint("127.0.13.2:0", "vpce-test")
	checkResult(t, h2.do(ep2, "GET", url, "", map[string]string{"x-api-key": k.Value}, ""), 200, `{"key":"`+k.ID+`"}`, "")
	checkResult(t, h2.do(ep2, "GET", url, "", map[string]string{"x-api-key": k.Value}, ""), 429, bodyQuota, "LimitExceededException")
}

func TestStageAndAccountThrottle(t *testing.T) {
	t.Run("stage method settings", func(t *testing.T) {
		h := newHarness(t)
		api := h.keyedAPI()
		testutil.Must[*model.Stage](t)(h.svc.PatchStage(h.ctx, api, "prod", []PatchOperation{
			{Op: "replace", Path: "/~1open/GET/throttling/burstLimit", Value: "1"},
			{Op: "replace", Path: "/~1open/GET/throttling/rateLimit", Value: "0.0001"},
		}))
		h.sync()
		ep := h.endpoint("127.0.13.1:0", "vpce-test")
		base := "https://" + api + ".execute-api.us-west-2.amazonaws.com/prod"
		checkResult(t, h.do(ep, "GET", base+"/open", "", nil, ""), 200, `{"key":""}`, "")
		checkResult(t, h.do(ep, "GET", base+"/open", "", nil, ""), 429, bodyThrottled, "TooManyRequestsException")
	})
	t.Run("account default", func(t *testing.T) {
		h := newHarness(t, func(d *Deps) { d.AccountThrottle = ThrottleSettings{Rate: 0.0001, Burst: 1} })
		api := h.keyedAPI()
		h.sync()
		ep := h.endpoint("127.0.13.1:0", "vpce-test")
		url := "https://" + api + ".execute-api.us-west-2.amazonaws.com/prod/open"
		checkResult(t, h.do(ep, "GET", url, "", nil, ""), 200, `{"key":""}`, "")
		checkResult(t, h.do(ep, "GET", url, "", nil, ""), 429, bodyThrottled, "TooManyRequestsException")
	})
}

// sibling is a second gateway (another node) on h's store, with its own
// snapshot feed, sharing h's certificates.
func (h *harness) sibling(t *testing.T) *harness {
	t.Helper()
	ctx, cancel := context.WithCancel(h.ctx)
	snap, err := live.Load(ctx, h.st)
	if err != nil {
		t.Fatal(err)
	}
	feed := live.NewFeed(snap)
	log := slog.New(slog.DiscardHandler)
	svc := New(Deps{Store: h.st, Feed: feed, Log: log, Env: model.DefaultEnv, DefaultCert: h.svc.d.DefaultCert})
	var wg sync.WaitGroup
	wg.Go(func() { _ = live.Watch(ctx, h.st, feed, log) })
	wg.Go(func() { _ = svc.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	return &harness{t: t, st: h.st, svc: svc, roots: h.roots, ctx: ctx, stopRun: cancel, runDone: make(chan error, 1)}
}
