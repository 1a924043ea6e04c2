package apigateway_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	apigw "github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	apigwv2 "github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/smithy-go"

	"gatehouse/internal/awsapi/apigateway"
	"gatehouse/internal/awsapi/awsapitest"
	"gatehouse/internal/gateway"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
	"gatehouse/internal/testutil"
)

// TestAPIKeys drives the API key operations as the AWS CLI does.
func TestAPIKeys(t *testing.T) {
	e := newEnv(t)
	ctx, c := e.ctx, e.v1

	gen := testutil.Must[*apigw.CreateApiKeyOutput](t)(c.CreateApiKey(ctx, &apigw.CreateApiKeyInput{Name: aws.String("generated"), Enabled: true}))
	if got := len(aws.ToString(gen.Value)); got != 40 {
		t.Errorf("generated value length: got %d, want 40", got)
	}
	if len(aws.ToString(gen.Id)) != 10 || !gen.Enabled || gen.CreatedDate == nil || aws.ToString(gen.Name) != "generated" {
		t.Errorf("CreateApiKey: got %+v", gen)
	}
	const value = "abcdefghijklmnopqrstuvwxyz0123456789ABCD"
	given := testutil.Must[*apigw.CreateApiKeyOutput](t)(c.CreateApiKey(ctx, &apigw.CreateApiKeyInput{
		Name: aws.String("given"), Value: aws.String(value), CustomerId: aws.String("cust-1")}))
	if aws.ToString(given.Value) != value || given.Enabled {
		t.Errorf("CreateApiKey with value: got value %q enabled %v, want %q false", aws.ToString(given.Value), given.Enabled, value)
	}

	for _, tc := range []struct {
		name, code, msg string
		in              *apigw.CreateApiKeyInput
	}{
		{"duplicate value", "ConflictException", "API Key already exists", &apigw.CreateApiKeyInput{Name: aws.String("dup"), Value: aws.String(value)}},
		{"short value", "BadRequestException", "API Key value should be at least 20 characters", &apigw.CreateApiKeyInput{Value: aws.String("short")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.CreateApiKey(ctx, tc.in)
			apiError(t, err, tc.code, tc.msg)
		})
	}

	got := testutil.Must[*apigw.GetApiKeyOutput](t)(c.GetApiKey(ctx, &apigw.GetApiKeyInput{ApiKey: given.Id}))
	if got.Value != nil {
		t.Errorf("GetApiKey without includeValue: got value %q, want none", aws.ToString(got.Value))
	}
	got = testutil.Must[*apigw.GetApiKeyOutput](t)(c.GetApiKey(ctx, &apigw.GetApiKeyInput{ApiKey: given.Id, IncludeValue: aws.Bool(true)}))
	if aws.ToString(got.Value) != value || aws.ToString(got.CustomerId) != "cust-1" {
		t.Errorf("GetApiKey includeValue: got %+v", got)
	}
	_, err := c.GetApiKey(ctx, &apigw.GetApiKeyInput{ApiKey: aws.String("nosuchkey0")})
	apiError(t, err, "NotFoundException", "Invalid API Key identifier specified")

	list := testutil.Must[*apigw.GetApiKeysOutput](t)(c.GetApiKeys(ctx, &apigw.GetApiKeysInput{NameQuery: aws.String("giv"), IncludeValues: aws.Bool(true)}))
	if len(list.Items) != 1 || aws.ToString(list.Items[0].Value) != value {
		t.Errorf("GetApiKeys nameQuery giv: got %+v, want the given key with its value", list.Items)
	}
	page := testutil.Must[*apigw.GetApiKeysOutput](t)(c.GetApiKeys(ctx, &apigw.GetApiKeysInput{Limit: aws.Int32(1)}))
	if len(page.Items) != 1 || page.Position == nil || page.Items[0].Value != nil {
		t.Errorf("GetApiKeys limit 1: got %d items, position %v", len(page.Items), page.Position)
	}
	next := testutil.Must[*apigw.GetApiKeysOutput](t)(c.GetApiKeys(ctx, &apigw.GetApiKeysInput{Limit: aws.Int32(1), Position: page.Position}))
	if len(next.Items) != 1 || *next.Items[0].Id == *page.Items[0].Id || next.Position != nil {
		t.Errorf("GetApiKeys second page: got %+v", next.Items)
	}

	upd := testutil.Must[*apigw.UpdateApiKeyOutput](t)(c.UpdateApiKey(ctx, &apigw.UpdateApiKeyInput{ApiKey: given.Id,
		PatchOperations: []types.PatchOperation{
			{Op: types.OpReplace, Path: aws.String("/enabled"), Value: aws.String("true")},
			{Op: types.OpReplace, Path: aws.String("/description"), Value: aws.String("now on")},
		}}))
	if !upd.Enabled || aws.ToString(upd.Description) != "now on" {
		t.Errorf("UpdateApiKey: got enabled %v description %q", upd.Enabled, aws.ToString(upd.Description))
	}
	_, err = c.UpdateApiKey(ctx, &apigw.UpdateApiKeyInput{ApiKey: given.Id,
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/value"), Value: aws.String("x")}}})
	apiError(t, err, "BadRequestException", "Invalid patch path  '/value' specified for op 'replace'. Must be one of: [/name, /description, /customerId, /enabled, /stages]")

	testutil.Must[*apigw.DeleteApiKeyOutput](t)(c.DeleteApiKey(ctx, &apigw.DeleteApiKeyInput{ApiKey: gen.Id}))
	_, err = c.DeleteApiKey(ctx, &apigw.DeleteApiKeyInput{ApiKey: gen.Id})
	apiError(t, err, "NotFoundException", "Invalid API Key identifier specified")
	// The deleted key's value is free again.
	testutil.Must[*apigw.CreateApiKeyOutput](t)(c.CreateApiKey(ctx, &apigw.CreateApiKeyInput{Name: aws.String("again"), Value: gen.Value}))
}

// TestImportAPIKeys imports keys from CSV, as ImportApiKeys does.
func TestImportAPIKeys(t *testing.T) {
	e := newEnv(t)
	ctx, c := e.ctx, e.v1
	csv := "Name,Key,Description,Enabled\nfirst,AAAAAAAAAAAAAAAAAAAAAAAAA1,one,true\nsecond,short,two,true\n"
	out := testutil.Must[*apigw.ImportApiKeysOutput](t)(c.ImportApiKeys(ctx, &apigw.ImportApiKeysInput{Body: []byte(csv), Format: types.ApiKeysFormatCsv}))
	if len(out.Ids) != 1 || len(out.Warnings) != 1 {
		t.Fatalf("ImportApiKeys: got ids %v warnings %v, want one of each", out.Ids, out.Warnings)
	}
	k := testutil.Must[*apigw.GetApiKeyOutput](t)(c.GetApiKey(ctx, &apigw.GetApiKeyInput{ApiKey: aws.String(out.Ids[0]), IncludeValue: aws.Bool(true)}))
	if aws.ToString(k.Name) != "first" || aws.ToString(k.Value) != "AAAAAAAAAAAAAAAAAAAAAAAAA1" || !k.Enabled {
		t.Errorf("imported key: got %+v", k)
	}
	_, err := c.ImportApiKeys(ctx, &apigw.ImportApiKeysInput{Body: []byte(csv), Format: types.ApiKeysFormatCsv, FailOnWarnings: true})
	apiError(t, err, "ConflictException", "API Key already exists")
}

// TestUsagePlans drives usage plans, their keys and usage over the walkthrough's stage.
func TestUsagePlans(t *testing.T) {
	e := newEnv(t)
	ctx, c := e.ctx, e.v1
	apiID := e.walkthrough(t)

	plan := testutil.Must[*apigw.CreateUsagePlanOutput](t)(c.CreateUsagePlan(ctx, &apigw.CreateUsagePlanInput{
		Name:      aws.String("basic"),
		ApiStages: []types.ApiStage{{ApiId: aws.String(apiID), Stage: aws.String("prod")}},
		Throttle:  &types.ThrottleSettings{BurstLimit: 1, RateLimit: 1},
		Quota:     &types.QuotaSettings{Limit: 2, Period: types.QuotaPeriodTypeDay},
	}))
	if len(aws.ToString(plan.Id)) == 0 || len(plan.ApiStages) != 1 || plan.Throttle.BurstLimit != 1 || plan.Quota.Limit != 2 || plan.Quota.Period != types.QuotaPeriodTypeDay {
		t.Errorf("CreateUsagePlan: got %+v", plan)
	}
	for _, tc := range []struct {
		name, code, msg string
		in              *apigw.CreateUsagePlanInput
	}{
		{"unknown stage", "BadRequestException", "", &apigw.CreateUsagePlanInput{Name: aws.String("x"),
			ApiStages: []types.ApiStage{{ApiId: aws.String(apiID), Stage: aws.String("nope")}}}},
		{"bad period", "BadRequestException", "", &apigw.CreateUsagePlanInput{Name: aws.String("x"),
			Quota: &types.QuotaSettings{Limit: 1, Period: "YEAR"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.CreateUsagePlan(ctx, tc.in)
			if code := errCode(err); code != tc.code {
				t.Errorf("got %v, want %s", err, tc.code)
			}
		})
	}
	_, err := c.GetUsagePlan(ctx, &apigw.GetUsagePlanInput{UsagePlanId: aws.String("nope00")})
	apiError(t, err, "NotFoundException", "Invalid Usage Plan ID specified")

	key := testutil.Must[*apigw.CreateApiKeyOutput](t)(c.CreateApiKey(ctx, &apigw.CreateApiKeyInput{Name: aws.String("k"), Enabled: true}))
	pk := testutil.Must[*apigw.CreateUsagePlanKeyOutput](t)(c.CreateUsagePlanKey(ctx, &apigw.CreateUsagePlanKeyInput{
		UsagePlanId: plan.Id, KeyId: key.Id, KeyType: aws.String("API_KEY")}))
	if aws.ToString(pk.Id) != *key.Id || aws.ToString(pk.Type) != "API_KEY" || aws.ToString(pk.Value) != *key.Value || aws.ToString(pk.Name) != "k" {
		t.Errorf("CreateUsagePlanKey: got %+v", pk)
	}
	_, err = c.CreateUsagePlanKey(ctx, &apigw.CreateUsagePlanKeyInput{UsagePlanId: plan.Id, KeyId: key.Id, KeyType: aws.String("API_KEY")})
	if errCode(err) != "ConflictException" {
		t.Errorf("key already in the plan: got %v, want ConflictException", err)
	}
	// A second plan over the same stage cannot take the key too (§A11).
	other := testutil.Must[*apigw.CreateUsagePlanOutput](t)(c.CreateUsagePlan(ctx, &apigw.CreateUsagePlanInput{
		Name: aws.String("other"), ApiStages: []types.ApiStage{{ApiId: aws.String(apiID), Stage: aws.String("prod")}}}))
	_, err = c.CreateUsagePlanKey(ctx, &apigw.CreateUsagePlanKeyInput{UsagePlanId: other.Id, KeyId: key.Id, KeyType: aws.String("API_KEY")})
	if errCode(err) != "ConflictException" {
		t.Errorf("key in a second plan of the stage: got %v, want ConflictException", err)
	}
	_, err = c.CreateUsagePlanKey(ctx, &apigw.CreateUsagePlanKeyInput{UsagePlanId: plan.Id, KeyId: aws.String("nosuchkey0"), KeyType: aws.String("API_KEY")})
	apiError(t, err, "NotFoundException", "Invalid API Key identifier specified")

	keys := testutil.Must[*apigw.GetUsagePlanKeysOutput](t)(c.GetUsagePlanKeys(ctx, &apigw.GetUsagePlanKeysInput{UsagePlanId: plan.Id}))
	if len(keys.Items) != 1 || aws.ToString(keys.Items[0].Id) != *key.Id {
		t.Errorf("GetUsagePlanKeys: got %+v", keys.Items)
	}
	one := testutil.Must[*apigw.GetUsagePlanKeyOutput](t)(c.GetUsagePlanKey(ctx, &apigw.GetUsagePlanKeyInput{UsagePlanId: plan.Id, KeyId: key.Id}))
	if aws.ToString(one.Value) != *key.Value {
		t.Errorf("GetUsagePlanKey: got %+v", one)
	}
	byKey := testutil.Must[*apigw.GetUsagePlansOutput](t)(c.GetUsagePlans(ctx, &apigw.GetUsagePlansInput{KeyId: key.Id}))
	if len(byKey.Items) != 1 || *byKey.Items[0].Id != *plan.Id {
		t.Errorf("GetUsagePlans keyId: got %+v, want the one plan", byKey.Items)
	}
	all := testutil.Must[*apigw.GetUsagePlansOutput](t)(c.GetUsagePlans(ctx, &apigw.GetUsagePlansInput{}))
	if len(all.Items) != 2 {
		t.Errorf("GetUsagePlans: got %d, want 2", len(all.Items))
	}

	upd := testutil.Must[*apigw.UpdateUsagePlanOutput](t)(c.UpdateUsagePlan(ctx, &apigw.UpdateUsagePlanInput{UsagePlanId: plan.Id,
		PatchOperations: []types.PatchOperation{
			{Op: types.OpReplace, Path: aws.String("/throttle/rateLimit"), Value: aws.String("5.5")},
			{Op: types.OpReplace, Path: aws.String("/quota/limit"), Value: aws.String("100")},
			{Op: types.OpReplace, Path: aws.String("/quota/period"), Value: aws.String("MONTH")},
			{Op: types.OpRemove, Path: aws.String("/apiStages"), Value: aws.String(apiID + ":prod")},
		}}))
	if upd.Throttle.RateLimit != 5.5 || upd.Quota.Limit != 100 || upd.Quota.Period != types.QuotaPeriodTypeMonth || len(upd.ApiStages) != 0 {
		t.Errorf("UpdateUsagePlan: got throttle %+v quota %+v stages %+v", upd.Throttle, upd.Quota, upd.ApiStages)
	}

	today := time.Now().UTC().Format("2006-01-02")
	usage := testutil.Must[*apigw.GetUsageOutput](t)(c.GetUsage(ctx, &apigw.GetUsageInput{UsagePlanId: plan.Id, StartDate: aws.String(today), EndDate: aws.String(today)}))
	if got := usage.Items[*key.Id]; len(got) != 1 || len(got[0]) != 2 || got[0][0] != 0 || got[0][1] != 100 {
		t.Errorf("GetUsage: got %v, want [[0 100]] for the key", usage.Items)
	}
	_, err = c.GetUsage(ctx, &apigw.GetUsageInput{UsagePlanId: plan.Id, StartDate: aws.String("2026-02-01"), EndDate: aws.String("2026-01-01")})
	if errCode(err) != "BadRequestException" {
		t.Errorf("GetUsage backwards range: got %v, want BadRequestException", err)
	}

	testutil.Must[*apigw.DeleteUsagePlanKeyOutput](t)(c.DeleteUsagePlanKey(ctx, &apigw.DeleteUsagePlanKeyInput{UsagePlanId: plan.Id, KeyId: key.Id}))
	_, err = c.GetUsagePlanKey(ctx, &apigw.GetUsagePlanKeyInput{UsagePlanId: plan.Id, KeyId: key.Id})
	apiError(t, err, "NotFoundException", "Invalid API Key identifier specified")
	testutil.Must[*apigw.DeleteUsagePlanOutput](t)(c.DeleteUsagePlan(ctx, &apigw.DeleteUsagePlanInput{UsagePlanId: plan.Id}))
	_, err = c.DeleteUsagePlan(ctx, &apigw.DeleteUsagePlanInput{UsagePlanId: plan.Id})
	apiError(t, err, "NotFoundException", "Invalid Usage Plan ID specified")
}

// TestGetUsageReadsStoredCounts checks GetUsage's shape against records as
// the data path's flush stores them.
func TestGetUsageReadsStoredCounts(t *testing.T) {
	e, st := newEnvStore(t)
	ctx, c := e.ctx, e.v1
	plan := testutil.Must[*apigw.CreateUsagePlanOutput](t)(c.CreateUsagePlan(ctx, &apigw.CreateUsagePlanInput{
		Name: aws.String("q"), Quota: &types.QuotaSettings{Limit: 10, Period: types.QuotaPeriodTypeWeek}}))
	key := testutil.Must[*apigw.CreateApiKeyOutput](t)(c.CreateApiKey(ctx, &apigw.CreateApiKeyInput{Name: aws.String("k"), Enabled: true}))
	testutil.Must[*apigw.CreateUsagePlanKeyOutput](t)(c.CreateUsagePlanKey(ctx, &apigw.CreateUsagePlanKeyInput{UsagePlanId: plan.Id, KeyId: key.Id, KeyType: aws.String("API_KEY")}))
	// 2026-03-02 is a Monday: the week's quota counts from it.
	for day, used := range map[string]int64{"2026-03-02": 3, "2026-03-04": 4} {
		u := &model.Usage{UsagePlanID: *plan.Id, KeyID: *key.Id, Day: day, Used: used}
		if _, err := store.Save(ctx, st, model.Key(model.KindUsage, model.UsageID(*plan.Id, *key.Id, day)), u, 0); err != nil {
			t.Fatal(err)
		}
	}
	out := testutil.Must[*apigw.GetUsageOutput](t)(c.GetUsage(ctx, &apigw.GetUsageInput{UsagePlanId: plan.Id, KeyId: key.Id,
		StartDate: aws.String("2026-03-02"), EndDate: aws.String("2026-03-04")}))
	want := [][]int64{{3, 7}, {0, 7}, {4, 3}}
	got := out.Items[*key.Id]
	if len(got) != len(want) {
		t.Fatalf("GetUsage: got %v, want %v", got, want)
	}
	for i := range want {
		if len(got[i]) != 2 || got[i][0] != want[i][0] || got[i][1] != want[i][1] {
			t.Errorf("day %d: got %v, want %v", i, got[i], want[i])
		}
	}
	if aws.ToString(out.StartDate) != "2026-03-02" || aws.ToString(out.UsagePlanId) != *plan.Id {
		t.Errorf("GetUsage header: got %+v", out)
	}
}

// errCode is the API error code of err; "" for none.
func errCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// newEnvStore is newEnv on a store the test can write to.
func newEnvStore(t *testing.T) (*env, store.Store) {
	t.Helper()
	st := store.NewMem()
	url, cfg := awsapitest.Start(t, apigateway.New(gateway.New(gateway.Deps{Store: st})))
	return &env{ctx: context.Background(), url: url, v1: apigw.NewFromConfig(cfg), v2: apigwv2.NewFromConfig(cfg)}, st
}
