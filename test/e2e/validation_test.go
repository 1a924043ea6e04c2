package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"

	"gatehouse/internal/daemon"
	"gatehouse/internal/testutil"
)

// TestRequestValidationAndAccessLog sets up, with the AWS SDK, a private API
// whose POST /pets has a request validator, a required query parameter and a
// model, and a stage with an access log; then calls it through the
// interface endpoint over HTTPS: a missing parameter and an invalid body get
// AWS's 400s, a valid request passes, and each request leaves a line in the
// access log file.
func TestRequestValidationAndAccessLog(t *testing.T) {
	needRoot(t)
	r := start(t, func(c *daemon.Config) {
		addressPlan("127.93.0.0/16", "127.93.1.0/24", "127.93.2.0/24")(c)
	})
	c := sdkClients(r.cfg.AWSListen)
	ctx := context.Background()

	ep := privateAPIClient(t, r, c)
	api := ep.createAPI(t, c, "validated")
	apiID := api.Id
	root := testutil.Must[*apigateway.GetResourcesOutput](t)(c.apigw.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: apiID})).Items[0].Id
	pets := testutil.Must[*apigateway.CreateResourceOutput](t)(c.apigw.CreateResource(ctx, &apigateway.CreateResourceInput{
		RestApiId: apiID, ParentId: root, PathPart: aws.String("pets")})).Id
	testutil.Must[*apigateway.CreateModelOutput](t)(c.apigw.CreateModel(ctx, &apigateway.CreateModelInput{RestApiId: apiID,
		Name: aws.String("Pet"), ContentType: aws.String("application/json"),
		Schema: aws.String(`{"$schema":"http://json-schema.org/draft-04/schema#","type":"object","required":["name"],"properties":{"name":{"type":"string"}}}`)}))
	v := testutil.Must[*apigateway.CreateRequestValidatorOutput](t)(c.apigw.CreateRequestValidator(ctx, &apigateway.CreateRequestValidatorInput{
		RestApiId: apiID, Name: aws.String("all"), ValidateRequestBody: true, ValidateRequestParameters: true}))
	testutil.Must[*apigateway.PutMethodOutput](t)(c.apigw.PutMethod(ctx, &apigateway.PutMethodInput{
		RestApiId: apiID, ResourceId: pets, HttpMethod: aws.String("POST"), AuthorizationType: aws.String("NONE"),
		RequestValidatorId: v.Id, RequestModels: map[string]string{"application/json": "Pet"},
		RequestParameters: map[string]bool{"method.request.querystring.owner": true}}))
	testutil.Must[*apigateway.PutIntegrationOutput](t)(c.apigw.PutIntegration(ctx, &apigateway.PutIntegrationInput{
		RestApiId: apiID, ResourceId: pets, HttpMethod: aws.String("POST"), Type: agtypes.IntegrationTypeMock,
		RequestTemplates: map[string]string{"application/json": `{"statusCode": 201}`}}))
	testutil.Must[*apigateway.PutMethodResponseOutput](t)(c.apigw.PutMethodResponse(ctx, &apigateway.PutMethodResponseInput{
		RestApiId: apiID, ResourceId: pets, HttpMethod: aws.String("POST"), StatusCode: aws.String("201")}))
	testutil.Must[*apigateway.PutIntegrationResponseOutput](t)(c.apigw.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{
		RestApiId: apiID, ResourceId: pets, HttpMethod: aws.String("POST"), StatusCode: aws.String("201")}))
	testutil.Must[*apigateway.CreateDeploymentOutput](t)(c.apigw.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{
		RestApiId: apiID, StageName: aws.String("prod")}))
	const format = `$context.requestId $context.httpMethod $context.resourcePath $context.status "$context.error.message"`
	testutil.Must[*apigateway.UpdateStageOutput](t)(c.apigw.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: apiID, StageName: aws.String("prod"),
		PatchOperations: []agtypes.PatchOperation{
			{Op: agtypes.OpReplace, Path: aws.String("/accessLogSettings/destinationArn"), Value: aws.String("arn:aws:logs:us-west-2:000000000000:log-group:/aws/apigateway/validated")},
			{Op: agtypes.OpReplace, Path: aws.String("/accessLogSettings/format"), Value: aws.String(format)}}}))

	hc := ep.client
	base := "https://" + aws.ToString(apiID) + ".execute-api.us-west-2.amazonaws.com/prod/pets"
	post := func(query, body string) (int, string, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, base+query, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatalf("POST %s: %v", query, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("x-amzn-RequestId"), string(b)
	}
	var ids []string
	for _, tc := range []struct {
		name, query, body string
		status            int
		wantBody          string
	}{
		{"valid", "?owner=ann", `{"name": "rex"}`, 201, ""},
		{"missing parameter", "", `{"name": "rex"}`, 400, `{"message": "Missing required request parameters: [owner]"}`},
		{"blank parameter", "?owner=", `{"name": "rex"}`, 400, `{"message": "Missing required request parameters: [owner]"}`},
		{"body against the model", "?owner=ann", `{"name": 7}`, 400, `{"message": "Invalid request body"}`},
		{"body not JSON", "?owner=ann", `{`, 400, `{"message": "Invalid request body"}`},
	} {
		eventually(t, tc.name+" answers as AWS", func() (bool, string) {
			status, id, body := post(tc.query, tc.body)
			if status == tc.status && (tc.wantBody == "" || body == tc.wantBody) {
				ids = append(ids, id)
				return true, ""
			}
			return false, fmt.Sprintf("got %d %s, want %d %s", status, body, tc.status, tc.wantBody)
		})
	}

	logFile := filepath.Join(r.cfg.DataDir, "logs", "aws_apigateway_validated.log")
	eventually(t, "the access log holds a line per request", func() (bool, string) {
		b, err := os.ReadFile(logFile)
		if err != nil {
			return false, err.Error()
		}
		for _, id := range ids {
			if !strings.Contains(string(b), id+" POST /pets ") {
				return false, fmt.Sprintf("no line for %s in %q", id, b)
			}
		}
		return strings.Contains(string(b), ids[0]+" POST /pets 201 ") && strings.Contains(string(b), ids[1]+" POST /pets 400 "),
			fmt.Sprintf("statuses not logged as requested: %q", b)
	})
}
