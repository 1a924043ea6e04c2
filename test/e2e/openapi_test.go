package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"gatehouse/internal/testutil"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
)

// TestOpenAPIImportServes imports an OpenAPI 3 definition of a private API
// (a MOCK integration, its policy and endpoint in x-amazon-apigateway-*
// extensions) with the AWS SDK, deploys it, calls it over real HTTPS through
// an interface endpoint, then replaces it with PutRestApi and exports it.
func TestOpenAPIImportServes(t *testing.T) {
	needRoot(t)
	r := start(t, addressPlan("127.95.0.0/16", "127.95.1.0/24", "127.95.2.0/24"))
	c := sdkClients(r.cfg.AWSListen)
	ctx := context.Background()

	ep := privateAPIClient(t, r, c)

	definition := `openapi: 3.0.1
info:
  title: imported
  version: "1.0"
paths:
  /pets:
    get:
      responses:
        "200":
          description: the pets
          headers:
            X-Source: {schema: {type: string}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates:
          application/json: '{"statusCode": 200}'
        responses:
          default:
            statusCode: "200"
            responseParameters:
              method.response.header.X-Source: "'openapi'"
            responseTemplates:
              application/json: '{"pets": ["rex", "tom"]}'
x-amazon-apigateway-endpoint-configuration:
  vpcEndpointIds: [` + ep.id + `]
x-amazon-apigateway-policy:
  Version: "2012-10-17"
  Statement:
    - Effect: Allow
      Principal: "*"
      Action: execute-api:Invoke
      Resource: execute-api:/*
`
	api := testutil.Must[*apigateway.ImportRestApiOutput](t)(c.apigw.ImportRestApi(ctx, &apigateway.ImportRestApiInput{
		Body: []byte(definition), FailOnWarnings: true, Parameters: map[string]string{"endpointConfigurationTypes": "PRIVATE"}}))
	apiID := aws.ToString(api.Id)
	testutil.Must[*apigateway.CreateDeploymentOutput](t)(c.apigw.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{
		RestApiId: &apiID, StageName: aws.String("prod")}))

	// Calls through the endpoint, by the API's private DNS name (as SNI and Host).
	host := apiID + ".execute-api.us-west-2.amazonaws.com"
	hc := ep.client
	get := func(path string) (int, http.Header, string) {
		t.Helper()
		resp, err := hc.Get("https://" + host + "/prod" + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("GET %s: read: %v", path, err)
		}
		return resp.StatusCode, resp.Header, string(b)
	}
	eventually(t, "the imported API serves", func() (bool, string) {
		status, _, body := get("/pets")
		return status == 200, fmt.Sprintf("%d %s", status, body)
	})
	status, hdr, body := get("/pets")
	if status != 200 || body != `{"pets": ["rex", "tom"]}` || hdr.Get("X-Source") != "openapi" {
		t.Errorf("GET /pets: got %d %q X-Source %q, want 200 %q openapi", status, body, hdr.Get("X-Source"), `{"pets": ["rex", "tom"]}`)
	}
	if status, _, _ := get("/owners"); status != 403 {
		t.Errorf("GET /owners before the put: got %d, want 403", status)
	}

	// PutRestApi (merge) adds a path; a new deployment serves it.
	owners := strings.Replace(definition, "  /pets:\n", "  /owners:\n    get:\n      responses: {\"200\": {description: ok}}\n"+
		"      x-amazon-apigateway-integration:\n        type: mock\n        requestTemplates: {application/json: '{\"statusCode\": 200}'}\n"+
		"        responses: {default: {statusCode: \"200\", responseTemplates: {application/json: '{\"owners\": 1}'}}}\n  /pets:\n", 1)
	testutil.Must[*apigateway.PutRestApiOutput](t)(c.apigw.PutRestApi(ctx, &apigateway.PutRestApiInput{RestApiId: &apiID,
		Mode: agtypes.PutModeMerge, Body: []byte(owners)}))
	testutil.Must[*apigateway.CreateDeploymentOutput](t)(c.apigw.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{
		RestApiId: &apiID, StageName: aws.String("prod")}))
	eventually(t, "the put path serves", func() (bool, string) {
		status, _, body := get("/owners")
		return status == 200 && body == `{"owners": 1}`, fmt.Sprintf("%d %s", status, body)
	})
	if status, _, _ := get("/pets"); status != 200 {
		t.Errorf("GET /pets after the merge: got %d, want 200", status)
	}

	// The export names both paths and the MOCK integration.
	exp := testutil.Must[*apigateway.GetExportOutput](t)(c.apigw.GetExport(ctx, &apigateway.GetExportInput{RestApiId: &apiID,
		StageName: aws.String("prod"), ExportType: aws.String("oas30"), Parameters: map[string]string{"extensions": "apigateway"}}))
	for _, want := range []string{`"/owners"`, `"/pets"`, `"type": "mock"`, `"x-amazon-apigateway-policy"`, ep.id} {
		if !strings.Contains(string(exp.Body), want) {
			t.Errorf("export: got %s, want it to contain %s", exp.Body, want)
		}
	}
}
