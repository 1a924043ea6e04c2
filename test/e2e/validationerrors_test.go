package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/testutil"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
)

// TestOpenAPIValidationServes imports, with the AWS SDK, an OpenAPI 3
// definition whose models, request validators and BAD_REQUEST_BODY gateway
// response (showing $context.error.validationErrorString) are extensions of
// the document, and calls it over real HTTPS through an interface endpoint:
// a body that breaks the model answers 400 with the validator's detail, a
// valid one passes. The export carries the models and validators back. The
// key's quota under its usage plan is then set with UpdateUsage.
func TestOpenAPIValidationServes(t *testing.T) {
	needRoot(t)
	r := start(t, addressPlan("127.103.0.0/16", "127.104.1.0/24", "127.104.2.0/24"))
	c := sdkClients(r.cfg.AWSListen)
	ctx := context.Background()
	ep := privateAPIClient(t, r, c)

	definition := `openapi: 3.0.1
info: {title: validated, version: "1.0"}
x-amazon-apigateway-request-validators:
  body: {validateRequestBody: true, validateRequestParameters: false}
x-amazon-apigateway-gateway-responses:
  BAD_REQUEST_BODY:
    statusCode: "400"
    responseTemplates:
      application/json: '{"message": $context.error.messageString, "detail": "$context.error.validationErrorString"}'
paths:
  /pets:
    post:
      x-amazon-apigateway-request-validator: body
      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Pet'}
      security: [{api_key: []}]
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses: {default: {statusCode: "200", responseTemplates: {application/json: '{"ok": true}'}}}
components:
  securitySchemes:
    api_key: {type: apiKey, name: x-api-key, in: header}
  schemas:
    Pet:
      type: object
      required: [name]
      properties:
        name: {type: string}
        age: {type: integer, minimum: 0}
x-amazon-apigateway-endpoint-configuration:
  vpcEndpointIds: [` + ep.id + `]
x-amazon-apigateway-policy:
  Version: "2012-10-17"
  Statement: [{Effect: Allow, Principal: "*", Action: execute-api:Invoke, Resource: execute-api:/*}]
`
	api := testutil.Must[*apigateway.ImportRestApiOutput](t)(c.apigw.ImportRestApi(ctx, &apigateway.ImportRestApiInput{
		Body: []byte(definition), FailOnWarnings: true, Parameters: map[string]string{"endpointConfigurationTypes": "PRIVATE"}}))
	apiID := aws.ToString(api.Id)
	testutil.Must[*apigateway.CreateDeploymentOutput](t)(c.apigw.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{
		RestApiId: &apiID, StageName: aws.String("prod")}))
	key := testutil.Must[*apigateway.CreateApiKeyOutput](t)(c.apigw.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{
		Name: aws.String("caller"), Enabled: true, Value: aws.String("callercallercallercaller")}))
	plan := testutil.Must[*apigateway.CreateUsagePlanOutput](t)(c.apigw.CreateUsagePlan(ctx, &apigateway.CreateUsagePlanInput{
		Name: aws.String("small"), ApiStages: []agtypes.ApiStage{{ApiId: &apiID, Stage: aws.String("prod")}},
		Quota: &agtypes.QuotaSettings{Limit: 1000, Period: agtypes.QuotaPeriodTypeMonth}}))
	testutil.Must[*apigateway.CreateUsagePlanKeyOutput](t)(c.apigw.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{
		UsagePlanId: plan.Id, KeyId: key.Id, KeyType: aws.String("API_KEY")}))

	url := "https://" + apiID + ".execute-api.us-west-2.amazonaws.com/prod/pets"
	var admitted int64 // requests the key's quota counted
	post := func(body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("x-api-key", "callercallercallercaller")
		resp, err := ep.client.Do(req)
		if err != nil {
			t.Fatalf("POST /pets: %v", err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("POST /pets: read: %v", err)
		}
		if resp.StatusCode == 200 || resp.StatusCode == 400 {
			admitted++
		}
		return resp.StatusCode, string(b)
	}
	eventually(t, "the imported API validates", func() (bool, string) {
		status, body := post(`{"age": 3}`)
		return status == 400, fmt.Sprintf("%d %s", status, body)
	})
	for _, tc := range []struct{ name, body, detail string }{
		{"name missing", `{"age": 3}`, `[object has missing required properties (["name"])]`},
		{"age negative", `{"name": "rex", "age": -1}`, `[numeric instance is lower than the required minimum (minimum: 0, found: -1)]`},
		{"name a number", `{"name": 7}`, `[instance type (integer) does not match any allowed primitive type (allowed: ["string"])]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := post(tc.body)
			var doc struct{ Message, Detail string }
			if err := json.Unmarshal([]byte(body), &doc); err != nil || status != 400 || doc.Message != "Invalid request body" || doc.Detail != tc.detail {
				t.Errorf("got %d %s, want 400 with message %q and detail %s", status, body, "Invalid request body", tc.detail)
			}
		})
	}
	if status, body := post(`{"name": "rex"}`); status != 200 || body != `{"ok": true}` {
		t.Errorf("valid body: got %d %s, want 200 {\"ok\": true}", status, body)
	}

	// The export names the model, the validator and the method's use of both.
	exp := testutil.Must[*apigateway.GetExportOutput](t)(c.apigw.GetExport(ctx, &apigateway.GetExportInput{RestApiId: &apiID,
		StageName: aws.String("prod"), ExportType: aws.String("oas30"), Parameters: map[string]string{"extensions": "apigateway"}}))
	for _, want := range []string{`"Pet"`, `"$ref": "#/components/schemas/Pet"`, `"x-amazon-apigateway-request-validators"`,
		`"x-amazon-apigateway-request-validator": "body"`} {
		if !strings.Contains(string(exp.Body), want) {
			t.Errorf("export: got %s, want it to contain %s", exp.Body, want)
		}
	}

	// UpdateUsage sets what is left of the key's quota. Requests count once
	// admitted (the 400s too: the key is checked before validation), so wait
	// until the store has them all before each extension.
	today := time.Now().UTC().Format("2006-01-02")
	usage := func() (used, remaining int64, got string) {
		u, err := c.apigw.GetUsage(ctx, &apigateway.GetUsageInput{UsagePlanId: plan.Id, KeyId: key.Id, StartDate: &today, EndDate: &today})
		if err != nil {
			return -1, -1, err.Error()
		}
		if days := u.Items[*key.Id]; len(days) == 1 && len(days[0]) == 2 {
			return days[0][0], days[0][1], fmt.Sprint(days)
		}
		return -1, -1, fmt.Sprint(u.Items)
	}
	setRemaining := func(n string) {
		t.Helper()
		testutil.Must[*apigateway.UpdateUsageOutput](t)(c.apigw.UpdateUsage(ctx, &apigateway.UpdateUsageInput{UsagePlanId: plan.Id, KeyId: key.Id,
			PatchOperations: []agtypes.PatchOperation{{Op: agtypes.OpReplace, Path: aws.String("/remaining"), Value: aws.String(n)}}}))
	}
	setRemaining("0")
	eventually(t, "no quota left", func() (bool, string) {
		status, body := post(`{"name": "rex"}`)
		return status == 429 && strings.Contains(body, "Limit Exceeded"), fmt.Sprintf("%d %s", status, body)
	})
	eventually(t, "every admitted request counted", func() (bool, string) {
		used, _, got := usage()
		return used == admitted, fmt.Sprintf("%s, %d admitted", got, admitted)
	})
	setRemaining("2")
	if _, remaining, got := usage(); remaining != 2 {
		t.Errorf("GetUsage after the extension: got %s, want 2 remaining", got)
	}
	eventually(t, "the extension applies", func() (bool, string) {
		status, body := post(`{"name": "rex"}`)
		return status == 200, fmt.Sprintf("%d %s", status, body)
	})
	for i, want := range []int{200, 429} {
		if status, body := post(`{"name": "rex"}`); status != want {
			t.Errorf("request %d after the first of the extension: got %d %s, want %d", i+2, status, body, want)
		}
	}
}
