package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/testutil"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
)

// TestAPIKeysUsagePlansAndIAM sets up a private REST API with the AWS SDK and
// calls it over real HTTPS through an interface endpoint: API keys with usage
// plans (403 without a key, 200 with one, 429 past the plan's throttle and
// quota, get-usage counting), and an AWS_IAM method that a request signed
// with the SDK's SigV4 signer passes and that sees its caller in a MOCK
// template, while unsigned and wrongly signed requests get 403.
func TestAPIKeysUsagePlansAndIAM(t *testing.T) {
	needRoot(t)
	r := start(t, addressPlan("127.94.0.0/16", "127.94.1.0/24", "127.94.2.0/24"))
	c := sdkClients(r.cfg.AWSListen)
	ctx := context.Background()

	// The API behind an interface endpoint: GET /keyed needs an API key,
	// GET /me is AWS_IAM; both MOCK.
	ep := privateAPIClient(t, r, c)
	api := ep.createAPI(t, c, "keys")
	apiID := aws.ToString(api.Id)
	root := aws.ToString(api.RootResourceId)
	method := func(part, auth string, keyRequired bool, template string) {
		t.Helper()
		res := testutil.Must[*apigateway.CreateResourceOutput](t)(c.apigw.CreateResource(ctx, &apigateway.CreateResourceInput{
			RestApiId: &apiID, ParentId: &root, PathPart: &part})).Id
		get := aws.String("GET")
		testutil.Must[*apigateway.PutMethodOutput](t)(c.apigw.PutMethod(ctx, &apigateway.PutMethodInput{
			RestApiId: &apiID, ResourceId: res, HttpMethod: get, AuthorizationType: &auth, ApiKeyRequired: keyRequired}))
		testutil.Must[*apigateway.PutIntegrationOutput](t)(c.apigw.PutIntegration(ctx, &apigateway.PutIntegrationInput{
			RestApiId: &apiID, ResourceId: res, HttpMethod: get, Type: agtypes.IntegrationTypeMock,
			RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}}))
		testutil.Must[*apigateway.PutMethodResponseOutput](t)(c.apigw.PutMethodResponse(ctx, &apigateway.PutMethodResponseInput{
			RestApiId: &apiID, ResourceId: res, HttpMethod: get, StatusCode: aws.String("200")}))
		testutil.Must[*apigateway.PutIntegrationResponseOutput](t)(c.apigw.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{
			RestApiId: &apiID, ResourceId: res, HttpMethod: get, StatusCode: aws.String("200"),
			ResponseTemplates: map[string]string{"application/json": template}}))
	}
	method("keyed", "NONE", true, `{"keyId": "$context.identity.apiKeyId"}`)
	method("me", "AWS_IAM", false, `{"account": "$context.identity.accountId", "arn": "$context.identity.userArn", "key": "$context.identity.accessKey"}`)
	testutil.Must[*apigateway.CreateDeploymentOutput](t)(c.apigw.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{
		RestApiId: &apiID, StageName: aws.String("prod")}))

	// Three keys, each in a plan of its own over prod: one throttled to a
	// burst of 1, one with a quota of 2 a day, one without limits.
	stage := []agtypes.ApiStage{{ApiId: &apiID, Stage: aws.String("prod")}}
	keyInPlan := func(name string, throttle *agtypes.ThrottleSettings, quota *agtypes.QuotaSettings) (id, value, plan string) {
		t.Helper()
		k := testutil.Must[*apigateway.CreateApiKeyOutput](t)(c.apigw.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{Name: &name, Enabled: true}))
		p := testutil.Must[*apigateway.CreateUsagePlanOutput](t)(c.apigw.CreateUsagePlan(ctx, &apigateway.CreateUsagePlanInput{
			Name: aws.String(name + "-plan"), ApiStages: stage, Throttle: throttle, Quota: quota}))
		testutil.Must[*apigateway.CreateUsagePlanKeyOutput](t)(c.apigw.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{
			UsagePlanId: p.Id, KeyId: k.Id, KeyType: aws.String("API_KEY")}))
		return aws.ToString(k.Id), aws.ToString(k.Value), aws.ToString(p.Id)
	}
	// A rate of one token per 100 s, so that the second request is
	// throttled however slowly this machine runs the two (a rate of 1/s
	// would make the test depend on the two arriving within a second).
	throttledID, throttledKey, _ := keyInPlan("throttled", &agtypes.ThrottleSettings{BurstLimit: 1, RateLimit: 0.01}, nil)
	quotaID, quotaKey, quotaPlan := keyInPlan("quota", &agtypes.ThrottleSettings{BurstLimit: 100, RateLimit: 100},
		&agtypes.QuotaSettings{Limit: 2, Period: agtypes.QuotaPeriodTypeDay})
	_, readyKey, _ := keyInPlan("ready", nil, nil)

	host := apiID + ".execute-api.us-west-2.amazonaws.com"
	hc := ep.client
	// call sends GET path with the API key (if any), signed as the SDKs sign
	// execute-api calls when key is set.
	call := func(path, apiKey string, sign *aws.Credentials) (int, string, string) {
		t.Helper()
		req, err := http.NewRequest("GET", "https://"+host+"/prod"+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if apiKey != "" {
			req.Header.Set("x-api-key", apiKey)
		}
		if sign != nil {
			empty := sha256.Sum256(nil)
			if err := v4.NewSigner().SignHTTP(ctx, *sign, req, hex.EncodeToString(empty[:]), "execute-api", "us-west-2", time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("GET %s: read: %v", path, err)
		}
		return resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), string(b)
	}
	eventually(t, "the keys and plans serve", func() (bool, string) {
		status, _, body := call("/keyed", readyKey, nil)
		return status == 200, fmt.Sprintf("%d %s", status, body)
	})

	daemonKey := &aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}
	wrongSecret := &aws.Credentials{AccessKeyID: "test", SecretAccessKey: "wrong"}
	tests := []struct {
		name, path, key      string
		sign                 *aws.Credentials
		wantStatus           int
		wantType, wantPrefix string
	}{
		{"no key", "/keyed", "", nil, 403, "ForbiddenException", `{"message":"Forbidden"}`},
		{"unknown key", "/keyed", "nosuchkeynosuchkeynosuchkey", nil, 403, "ForbiddenException", `{"message":"Forbidden"}`},
		{"throttled key, first", "/keyed", throttledKey, nil, 200, "", `{"keyId": "` + throttledID + `"}`},
		{"throttled key, second at once", "/keyed", throttledKey, nil, 429, "TooManyRequestsException", `{"message":"Too Many Requests"}`},
		{"quota key, 1 of 2", "/keyed", quotaKey, nil, 200, "", `{"keyId": "` + quotaID + `"}`},
		{"quota key, 2 of 2", "/keyed", quotaKey, nil, 200, "", `{"keyId": "` + quotaID + `"}`},
		{"quota key, past the quota", "/keyed", quotaKey, nil, 429, "LimitExceededException", `{"message":"Limit Exceeded"}`},
		{"IAM signed", "/me", "", daemonKey, 200, "",
			`{"account": "000000000000", "arn": "arn:aws:iam::000000000000:root", "key": "test"}`},
		{"IAM unsigned", "/me", "", nil, 403, "MissingAuthenticationTokenException", `{"message":"Missing Authentication Token"}`},
		{"IAM wrong secret", "/me", "", wrongSecret, 403, "InvalidSignatureException",
			`{"message":"The request signature we calculated does not match the signature you provided.`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, typ, body := call(tt.path, tt.key, tt.sign)
			if status != tt.wantStatus || typ != tt.wantType || !strings.HasPrefix(body, tt.wantPrefix) {
				t.Errorf("got %d %q %s, want %d %q %s…", status, typ, body, tt.wantStatus, tt.wantType, tt.wantPrefix)
			}
		})
	}

	// get-usage reads what the gateway flushed: the two requests the quota admitted.
	today := time.Now().UTC().Format("2006-01-02")
	eventually(t, "get-usage counts the quota key's requests", func() (bool, string) {
		u := testutil.Must[*apigateway.GetUsageOutput](t)(c.apigw.GetUsage(ctx, &apigateway.GetUsageInput{
			UsagePlanId: &quotaPlan, StartDate: &today, EndDate: &today}))
		got := u.Items[quotaID]
		return len(got) == 1 && len(got[0]) == 2 && got[0][0] == 2 && got[0][1] == 0, fmt.Sprint(u.Items)
	})
}
