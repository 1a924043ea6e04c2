package apigateway_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	apigw "github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
	"gatehouse/internal/testutil"
)

// TestUpdateUsage drives UpdateUsage and the quota's offset as the AWS CLI
// does (update-usage --patch-operations op=replace,path=/remaining,value=N):
// the offset comes off the limit in the plan's first period, a replace of
// /remaining sets what is left today, and requests flushed later count
// against it.
func TestUpdateUsage(t *testing.T) {
	e, st := newEnvStore(t)
	ctx, c := e.ctx, e.v1
	today := time.Now().UTC().Format("2006-01-02")
	plan := testutil.Must[*apigw.CreateUsagePlanOutput](t)(c.CreateUsagePlan(ctx, &apigw.CreateUsagePlanInput{
		Name: aws.String("q"), Quota: &types.QuotaSettings{Limit: 10, Offset: 3, Period: types.QuotaPeriodTypeDay}}))
	key := testutil.Must[*apigw.CreateApiKeyOutput](t)(c.CreateApiKey(ctx, &apigw.CreateApiKeyInput{Name: aws.String("k"), Enabled: true}))
	testutil.Must[*apigw.CreateUsagePlanKeyOutput](t)(c.CreateUsagePlanKey(ctx, &apigw.CreateUsagePlanKeyInput{UsagePlanId: plan.Id, KeyId: key.Id, KeyType: aws.String("API_KEY")}))
	usageToday := func() []int64 {
		t.Helper()
		out := testutil.Must[*apigw.GetUsageOutput](t)(c.GetUsage(ctx, &apigw.GetUsageInput{UsagePlanId: plan.Id, KeyId: key.Id,
			StartDate: aws.String(today), EndDate: aws.String(today)}))
		if days := out.Items[*key.Id]; len(days) == 1 {
			return days[0]
		}
		t.Fatalf("GetUsage: got %v, want one day", out.Items)
		return nil
	}
	if got := usageToday(); got[0] != 0 || got[1] != 7 {
		t.Errorf("before any request: got %v, want [0 7] (limit 10, offset 3 in the first period)", got)
	}

	replace := func(path, value string) (*apigw.UpdateUsageOutput, error) {
		return c.UpdateUsage(ctx, &apigw.UpdateUsageInput{UsagePlanId: plan.Id, KeyId: key.Id,
			PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String(path), Value: aws.String(value)}}})
	}
	out := testutil.Must[*apigw.UpdateUsageOutput](t)(replace("/remaining", "50"))
	if got := out.Items[*key.Id]; len(got) != 1 || got[0][0] != 0 || got[0][1] != 50 ||
		aws.ToString(out.StartDate) != today || aws.ToString(out.EndDate) != today || aws.ToString(out.UsagePlanId) != *plan.Id {
		t.Errorf("UpdateUsage: got %+v %v, want today's [[0 50]]", out, out.Items)
	}
	if got := usageToday(); got[0] != 0 || got[1] != 50 {
		t.Errorf("after the extension: got %v, want [0 50]", got)
	}

	// The data path's flush adds 5 requests to today's record.
	id := model.UsageID(*plan.Id, *key.Id, today)
	u, rev, err := store.Load[model.Usage](ctx, st, model.Key(model.KindUsage, id))
	if err != nil {
		t.Fatal(err)
	}
	u.Used += 5
	if _, err := store.Save(ctx, st, model.Key(model.KindUsage, id), u, rev); err != nil {
		t.Fatal(err)
	}
	if got := usageToday(); got[0] != 5 || got[1] != 45 {
		t.Errorf("after 5 requests: got %v, want [5 45]", got)
	}
	out = testutil.Must[*apigw.UpdateUsageOutput](t)(replace("/remaining", "0"))
	if got := out.Items[*key.Id]; len(got) != 1 || got[0][0] != 5 || got[0][1] != 0 {
		t.Errorf("UpdateUsage to 0: got %v, want [[5 0]]", got)
	}

	for _, tc := range []struct {
		name, op, path, value, code, msg string
	}{
		{"other path", "replace", "/used", "1", "BadRequestException",
			"Invalid patch path  '/used' specified for op 'replace'. Must be one of: [/remaining]"},
		{"not a number", "replace", "/remaining", "lots", "BadRequestException", "Invalid value 'lots' specified for /remaining"},
		{"negative", "replace", "/remaining", "-1", "BadRequestException", "Invalid value '-1' specified for /remaining"},
		{"add", "add", "/remaining", "1", "BadRequestException",
			"Invalid patch path  '/remaining' specified for op 'add'. Please choose supported operations"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.UpdateUsage(ctx, &apigw.UpdateUsageInput{UsagePlanId: plan.Id, KeyId: key.Id,
				PatchOperations: []types.PatchOperation{{Op: types.Op(tc.op), Path: aws.String(tc.path), Value: aws.String(tc.value)}}})
			apiError(t, err, tc.code, tc.msg)
		})
	}
	t.Run("key not in the plan", func(t *testing.T) {
		_, err := c.UpdateUsage(ctx, &apigw.UpdateUsageInput{UsagePlanId: plan.Id, KeyId: aws.String("nokey00000"),
			PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/remaining"), Value: aws.String("1")}}})
		if errCode(err) != "NotFoundException" {
			t.Errorf("got %v, want NotFoundException", err)
		}
	})
	t.Run("plan without a quota", func(t *testing.T) {
		p := testutil.Must[*apigw.CreateUsagePlanOutput](t)(c.CreateUsagePlan(ctx, &apigw.CreateUsagePlanInput{Name: aws.String("free")}))
		testutil.Must[*apigw.CreateUsagePlanKeyOutput](t)(c.CreateUsagePlanKey(ctx, &apigw.CreateUsagePlanKeyInput{UsagePlanId: p.Id, KeyId: key.Id, KeyType: aws.String("API_KEY")}))
		_, err := c.UpdateUsage(ctx, &apigw.UpdateUsageInput{UsagePlanId: p.Id, KeyId: key.Id,
			PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/remaining"), Value: aws.String("1")}}})
		if errCode(err) != "BadRequestException" {
			t.Errorf("got %v, want BadRequestException", err)
		}
	})
}
