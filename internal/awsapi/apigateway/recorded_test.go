package apigateway_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	apigw "github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/smithy-go"

	"gatehouse/internal/testutil"
)

// TestRecordedRefusals drives, through the SDK as a script would, the
// refusals whose texts were recorded from AWS (LocalStack's AWS-recorded
// snapshot tests, named in the code that answers them), and checks that
// each answers AWS's code and exact message.
func TestRecordedRefusals(t *testing.T) {
	e := newEnv(t)
	ctx, c := e.ctx, e.v1
	apiID := e.walkthrough(t)
	plan := testutil.Must[*apigw.CreateUsagePlanOutput](t)(c.CreateUsagePlan(ctx, &apigw.CreateUsagePlanInput{
		Name: aws.String("plan"), ApiStages: []types.ApiStage{{ApiId: aws.String(apiID), Stage: aws.String("prod")}}}))
	planID := aws.ToString(plan.Id)
	const badYAML = "test:\n    value:\n        - \"value ... \"escaped\": $var, \"dt\": $(var +\"%a\")}\"\n"
	const badPath = "Invalid accessLogSettings path. Must be one of : [/accessLogSettings/destinationArn, /accessLogSettings/format]"

	removeStage := func(value *string) func() error {
		return func() error {
			_, err := c.UpdateUsagePlan(ctx, &apigw.UpdateUsagePlanInput{UsagePlanId: plan.Id,
				PatchOperations: []types.PatchOperation{{Op: types.OpRemove, Path: aws.String("/apiStages"), Value: value}}})
			return err
		}
	}
	patchStage := func(op types.Op, path string, value *string) func() error {
		return func() error {
			_, err := c.UpdateStage(ctx, &apigw.UpdateStageInput{RestApiId: aws.String(apiID), StageName: aws.String("prod"),
				PatchOperations: []types.PatchOperation{{Op: op, Path: aws.String(path), Value: value}}})
			return err
		}
	}
	createKey := func(in apigw.CreateApiKeyInput) func() error {
		return func() error {
			_, err := c.CreateApiKey(ctx, &in)
			return err
		}
	}
	for _, tc := range []struct {
		name      string
		call      func() error
		code, msg string
	}{
		{"api key value too long", createKey(apigw.CreateApiKeyInput{Value: aws.String(strings.Repeat("a", 129))}),
			"BadRequestException", "API Key value exceeds maximum size of 128 characters"},
		{"api key name too long", createKey(apigw.CreateApiKeyInput{Name: aws.String(strings.Repeat("n", 1025))}),
			"BadRequestException", "Invalid API Key name, can be at most 1024 characters."},
		{"api key description too long", createKey(apigw.CreateApiKeyInput{Description: aws.String(strings.Repeat("d", 125001))}),
			"BadRequestException", "Invalid API Key description specified."},
		{"plan stage without a value", removeStage(nil), "BadRequestException", "Invalid API Stage specified"},
		{"plan stage not api:stage", removeStage(aws.String("fakevalue")), "BadRequestException", "Invalid API Stage specified"},
		{"plan stage of an unknown api", removeStage(aws.String(apiID + "b:prod")), "NotFoundException",
			"Invalid API Stage {api: " + apiID + "b, stage: prod} specified for usageplan " + planID},
		{"plan stage unknown", removeStage(aws.String(apiID + ":fakestagename")), "NotFoundException",
			"Invalid API Stage {api: " + apiID + ", stage: fakestagename} specified for usageplan " + planID},
		{"access log field set empty", patchStage(types.OpReplace, "/accessLogSettings/format", aws.String("")),
			"BadRequestException", "Access Log value must not be empty"},
		{"access log field removed", patchStage(types.OpRemove, "/accessLogSettings/destinationArn", nil),
			"BadRequestException", "Cannot remove method setting accessLogSettings/destinationArn because there is no method setting for this method "},
		{"access log unknown field", patchStage(types.OpAdd, "/accessLogSettings/randomValue", aws.String("updated")),
			"BadRequestException", badPath},
		{"access log star", patchStage(types.OpReplace, "/accessLogSettings/*", aws.String("updated")), "BadRequestException", badPath},
		{"access log root replaced", patchStage(types.OpReplace, "/accessLogSettings", aws.String("test")), "BadRequestException", badPath},
		{"import bad json", func() error {
			_, err := c.ImportRestApi(ctx, &apigw.ImportRestApiInput{Body: []byte("{'key:value}")})
			return err
		}, "BadRequestException", "Invalid OpenAPI input."},
		{"import bad yaml", func() error {
			_, err := c.ImportRestApi(ctx, &apigw.ImportRestApiInput{Body: []byte(badYAML)})
			return err
		}, "BadRequestException", "Invalid OpenAPI input."},
		{"put bad yaml", func() error {
			_, err := c.PutRestApi(ctx, &apigw.PutRestApiInput{RestApiId: aws.String(apiID), Body: []byte(badYAML)})
			return err
		}, "BadRequestException", "Invalid OpenAPI input."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			apiError(t, tc.call(), tc.code, tc.msg)
		})
	}

	// Creating a plan over a stage that does not exist is a 400 with the same
	// text (aws/aws-sdk#354); the plan's id is new, so only its start is known.
	_, err := c.CreateUsagePlan(ctx, &apigw.CreateUsagePlanInput{Name: aws.String("p2"),
		ApiStages: []types.ApiStage{{ApiId: aws.String(apiID), Stage: aws.String("nope")}}})
	apiErrorPrefix(t, err, "BadRequestException", "Invalid API Stage {api: "+apiID+", stage: nope} specified for usageplan ")

	// A key may sit in one plan per stage (§A11): a second plan over the
	// same stage refuses it with a conflict (the text is gatehouse's).
	other := testutil.Must[*apigw.CreateUsagePlanOutput](t)(c.CreateUsagePlan(ctx, &apigw.CreateUsagePlanInput{
		Name: aws.String("other"), ApiStages: []types.ApiStage{{ApiId: aws.String(apiID), Stage: aws.String("prod")}}}))
	key := testutil.Must[*apigw.CreateApiKeyOutput](t)(c.CreateApiKey(ctx, &apigw.CreateApiKeyInput{Name: aws.String("k")}))
	testutil.Must[*apigw.CreateUsagePlanKeyOutput](t)(c.CreateUsagePlanKey(ctx, &apigw.CreateUsagePlanKeyInput{
		UsagePlanId: plan.Id, KeyId: key.Id, KeyType: aws.String("API_KEY")}))
	_, err = c.CreateUsagePlanKey(ctx, &apigw.CreateUsagePlanKeyInput{UsagePlanId: other.Id, KeyId: key.Id, KeyType: aws.String("API_KEY")})
	apiErrorPrefix(t, err, "ConflictException", "API Key ")

	// AWS bounds a key's description at 125,000 characters, not at the
	// 4,096 of other descriptions.
	k := testutil.Must[*apigw.CreateApiKeyOutput](t)(c.CreateApiKey(ctx, &apigw.CreateApiKeyInput{Description: aws.String(strings.Repeat("d", 5000))}))
	if got := len(aws.ToString(k.Description)); got != 5000 {
		t.Errorf("a 5,000-character key description: got %d characters back, want 5000", got)
	}
}

// apiErrorPrefix asserts that err is an API error with code and a message
// starting with prefix.
func apiErrorPrefix(t testing.TB, err error, code, prefix string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got %v, want %s %q…", err, code, prefix)
	}
	if ae.ErrorCode() != code || !strings.HasPrefix(ae.ErrorMessage(), prefix) {
		t.Errorf("got %s %q, want %s %q…", ae.ErrorCode(), ae.ErrorMessage(), code, prefix)
	}
}
