package apigateway_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	apigw "github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"gatehouse/internal/testutil"
)

// petstore is an OpenAPI 3 definition of a private API with a MOCK and an
// HTTP_PROXY integration, as a user writes one.
const petstore = `openapi: 3.0.1
info:
  title: petstore
  version: "1.0"
paths:
  /pets:
    get:
      operationId: ListPets
      parameters:
        - {name: page, in: query, required: true}
      security:
        - api_key: []
      responses:
        "200":
          description: ok
          headers:
            x-count: {schema: {type: string}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates:
          application/json: '{"statusCode": 200}'
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: '[{"id": 1}]'
            responseParameters:
              method.response.header.x-count: "'1'"
  /pets/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true}
      responses: {}
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: https://backend.example.test/pets/{id}
        requestParameters:
          integration.request.path.id: method.request.path.id
components:
  securitySchemes:
    api_key: {type: apiKey, name: x-api-key, in: header}
x-amazon-apigateway-endpoint-configuration:
  vpcEndpointIds: [vpce-0123456789abcdef0]
x-amazon-apigateway-policy:
  Version: "2012-10-17"
  Statement:
    - {Effect: Allow, Principal: "*", Action: "execute-api:Invoke", Resource: "execute-api:/*"}
x-amazon-apigateway-gateway-responses:
  DEFAULT_4XX:
    statusCode: "400"
`

// treeOf is an API's tree as a user compares two: by path, every method
// with its integration and responses, without ids.
func (e *env) treeOf(t *testing.T, api string) string {
	t.Helper()
	out := testutil.Must[*apigw.GetResourcesOutput](t)(e.v1.GetResources(e.ctx, &apigw.GetResourcesInput{RestApiId: aws.String(api), Embed: []string{"methods"}, Limit: aws.Int32(500)}))
	type method struct {
		Auth, Op  string
		Key       bool
		Params    map[string]bool
		Responses []string
		Integ     *types.Integration
	}
	tree := map[string]map[string]method{}
	for _, r := range out.Items {
		ms := map[string]method{}
		for verb, m := range r.ResourceMethods {
			mm := method{Auth: aws.ToString(m.AuthorizationType), Op: aws.ToString(m.OperationName), Key: aws.ToBool(m.ApiKeyRequired), Params: m.RequestParameters}
			for code := range m.MethodResponses {
				mm.Responses = append(mm.Responses, code)
			}
			slices.Sort(mm.Responses)
			if m.MethodIntegration != nil {
				integ := *m.MethodIntegration
				integ.CacheNamespace = nil // the resource's id by default
				mm.Integ = &integ
			}
			ms[verb] = mm
		}
		tree[*r.Path] = ms
	}
	b, err := json.Marshal(tree)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestImportAndExport(t *testing.T) {
	e := newEnv(t)
	ctx, c := e.ctx, e.v1
	api := testutil.Must[*apigw.ImportRestApiOutput](t)(c.ImportRestApi(ctx, &apigw.ImportRestApiInput{Body: []byte(petstore),
		Parameters: map[string]string{"endpointConfigurationTypes": "PRIVATE"}}))
	if aws.ToString(api.Name) != "petstore" || aws.ToString(api.Version) != "1.0" || api.EndpointConfiguration.Types[0] != types.EndpointTypePrivate {
		t.Errorf("ImportRestApi: got %+v", api)
	}
	if got := api.EndpointConfiguration.VpcEndpointIds; len(got) != 1 || got[0] != vpce {
		t.Errorf("vpc endpoints: got %v, want [%s]", got, vpce)
	}
	if !strings.Contains(aws.ToString(api.Policy), "execute-api:Invoke") {
		t.Errorf("policy: got %q", aws.ToString(api.Policy))
	}
	tree := e.treeOf(t, *api.Id)
	for _, want := range []string{`"/pets":{"GET":{"Auth":"NONE","Op":"ListPets","Key":true,"Params":{"method.request.querystring.page":true},"Responses":["200"]`,
		`"Type":"MOCK"`, `"Uri":"https://backend.example.test/pets/{id}"`, `"/pets/{id}":{"GET"`} {
		if !strings.Contains(tree, want) {
			t.Errorf("imported tree: got %s, want it to contain %s", tree, want)
		}
	}
	gr := testutil.Must[*apigw.GetGatewayResponseOutput](t)(c.GetGatewayResponse(ctx, &apigw.GetGatewayResponseInput{RestApiId: api.Id, ResponseType: types.GatewayResponseTypeDefault4xx}))
	if aws.ToString(gr.StatusCode) != "400" || gr.DefaultResponse {
		t.Errorf("gateway response: got %+v", gr)
	}

	testutil.Must[*apigw.CreateDeploymentOutput](t)(c.CreateDeployment(ctx, &apigw.CreateDeploymentInput{RestApiId: api.Id, StageName: aws.String("prod")}))
	for _, tc := range []struct{ name, exportType, accepts, wantType, wantStart string }{
		{"oas30 json", "oas30", "application/json", "application/json", `{` + "\n" + `  "openapi": "3.0.1"`},
		{"oas30 yaml", "oas30", "application/yaml", "application/yaml", "openapi: 3.0.1"},
		{"swagger json", "swagger", "application/json", "application/json", `{` + "\n" + `  "swagger": "2.0"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exp := testutil.Must[*apigw.GetExportOutput](t)(c.GetExport(ctx, &apigw.GetExportInput{RestApiId: api.Id, StageName: aws.String("prod"),
				ExportType: aws.String(tc.exportType), Accepts: aws.String(tc.accepts), Parameters: map[string]string{"extensions": "apigateway"}},
				sendAccept(tc.accepts)))
			if aws.ToString(exp.ContentType) != tc.wantType || !strings.HasPrefix(string(exp.Body), tc.wantStart) {
				t.Errorf("GetExport: got %s %.80q, want %s starting %q", aws.ToString(exp.ContentType), exp.Body, tc.wantType, tc.wantStart)
			}
			// The export imports back into the same tree.
			again := testutil.Must[*apigw.ImportRestApiOutput](t)(c.ImportRestApi(ctx, &apigw.ImportRestApiInput{Body: exp.Body,
				Parameters: map[string]string{"endpointConfigurationTypes": "PRIVATE"}}))
			if got := e.treeOf(t, *again.Id); got != tree {
				t.Errorf("round trip: got\n%s\nwant\n%s", got, tree)
			}
			if aws.ToString(again.Policy) != aws.ToString(api.Policy) || aws.ToString(again.Name) != "petstore" {
				t.Errorf("round trip: got name %q policy %q, want petstore %q", aws.ToString(again.Name), aws.ToString(again.Policy), aws.ToString(api.Policy))
			}
		})
	}
	// Without extensions, no integrations.
	plain := testutil.Must[*apigw.GetExportOutput](t)(c.GetExport(ctx, &apigw.GetExportInput{RestApiId: api.Id, StageName: aws.String("prod"), ExportType: aws.String("oas30")}))
	if strings.Contains(string(plain.Body), "x-amazon-apigateway") || !strings.Contains(string(plain.Body), `"/pets/{id}"`) {
		t.Errorf("export without extensions: got %s", plain.Body)
	}

	for _, tc := range []struct {
		name      string
		call      func() error
		code, msg string
	}{
		{"unknown stage", func() error {
			_, err := c.GetExport(ctx, &apigw.GetExportInput{RestApiId: api.Id, StageName: aws.String("nope"), ExportType: aws.String("oas30")})
			return err
		}, "NotFoundException", "Invalid Stage identifier specified"},
		{"unknown export type", func() error {
			_, err := c.GetExport(ctx, &apigw.GetExportInput{RestApiId: api.Id, StageName: aws.String("prod"), ExportType: aws.String("raml")})
			return err
		}, "BadRequestException", "No API exporter for type 'raml'"},
		{"not a definition", func() error {
			_, err := c.ImportRestApi(ctx, &apigw.ImportRestApiInput{Body: []byte(`{"swagger": "1.2"}`)})
			return err
		}, "BadRequestException", `Invalid OpenAPI input: only OpenAPI 3.0 (openapi: 3.0.x) and Swagger 2.0 (swagger: "2.0") definitions are supported`},
		{"fail on warnings", func() error {
			_, err := c.ImportRestApi(ctx, &apigw.ImportRestApiInput{FailOnWarnings: true,
				Body: []byte("openapi: 3.0.1\ninfo: {title: x}\npaths:\n  /a:\n    get:\n      responses: {}\n")})
			return err
		}, "BadRequestException", "Warnings found during import:\n\tNo integration defined for method 'GET /a'"},
		{"errors", func() error {
			_, err := c.ImportRestApi(ctx, &apigw.ImportRestApiInput{Body: []byte("openapi: 3.0.1\ninfo: {title: x}\npaths:\n  /{a}: {}\n  /{b}: {}\n")})
			return err
		}, "BadRequestException", "Errors found during import:\n\tUnable to create resource at path '/{b}': A sibling ({a}) of this resource already has a variable path part -- only one is allowed"},
		{"bad put mode", func() error {
			_, err := c.PutRestApi(ctx, &apigw.PutRestApiInput{RestApiId: api.Id, Mode: "replace", Body: []byte(petstore)})
			return err
		}, "BadRequestException", `Enumeration value of OpenAPI import mode must be "overwrite" or "merge"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			apiError(t, tc.call(), tc.code, tc.msg)
		})
	}
}

func TestPutRestAPI(t *testing.T) {
	e := newEnv(t)
	ctx, c := e.ctx, e.v1
	api := testutil.Must[*apigw.ImportRestApiOutput](t)(c.ImportRestApi(ctx, &apigw.ImportRestApiInput{Body: []byte(petstore),
		Parameters: map[string]string{"endpointConfigurationTypes": "PRIVATE"}}))
	const orders = `{"openapi": "3.0.1", "info": {"title": "shop", "version": "2"}, "paths": {"/orders": {"post": {"responses": {"201": {"description": "created"}},
	  "x-amazon-apigateway-integration": {"type": "mock", "requestTemplates": {"application/json": "{\"statusCode\": 201}"},
	    "responses": {"default": {"statusCode": 201}}}}}}}`
	pathsOf := func() []string {
		out := testutil.Must[*apigw.GetResourcesOutput](t)(c.GetResources(ctx, &apigw.GetResourcesInput{RestApiId: api.Id}))
		var paths []string
		for _, r := range out.Items {
			paths = append(paths, *r.Path)
		}
		return paths
	}

	// merge (the default) adds /orders and keeps the pets.
	merged := testutil.Must[*apigw.PutRestApiOutput](t)(c.PutRestApi(ctx, &apigw.PutRestApiInput{RestApiId: api.Id, Body: []byte(orders)}))
	if aws.ToString(merged.Name) != "shop" || aws.ToString(merged.RootResourceId) != aws.ToString(api.RootResourceId) {
		t.Errorf("PutRestApi merge: got %+v", merged)
	}
	if got, want := strings.Join(pathsOf(), " "), "/ /orders /pets /pets/{id}"; got != want {
		t.Errorf("after merge: got paths %s, want %s", got, want)
	}
	// overwrite leaves only what the definition names.
	testutil.Must[*apigw.PutRestApiOutput](t)(c.PutRestApi(ctx, &apigw.PutRestApiInput{RestApiId: api.Id, Mode: types.PutModeOverwrite, Body: []byte(orders)}))
	if got, want := strings.Join(pathsOf(), " "), "/ /orders"; got != want {
		t.Errorf("after overwrite: got paths %s, want %s", got, want)
	}
	ir := testutil.Must[*apigw.GetIntegrationResponseOutput](t)(c.GetIntegrationResponse(ctx, &apigw.GetIntegrationResponseInput{RestApiId: api.Id,
		ResourceId: findPath(t, e, *api.Id, "/orders"), HttpMethod: aws.String("POST"), StatusCode: aws.String("201")}))
	if aws.ToString(ir.StatusCode) != "201" {
		t.Errorf("integration response after overwrite: got %+v", ir)
	}
	// The freed path part can be taken again.
	testutil.Must[*apigw.CreateResourceOutput](t)(c.CreateResource(ctx, &apigw.CreateResourceInput{RestApiId: api.Id, ParentId: api.RootResourceId, PathPart: aws.String("pets")}))
	_, err := c.PutRestApi(ctx, &apigw.PutRestApiInput{RestApiId: aws.String("nope000000"), Body: []byte(orders)})
	apiError(t, err, "NotFoundException", "Invalid API identifier specified 000000000000:nope000000")
}

// findPath returns the id of the resource at path.
func findPath(t *testing.T, e *env, api, path string) *string {
	t.Helper()
	for id, p := range e.paths(t, api) {
		if p == path {
			return aws.String(id)
		}
	}
	t.Fatalf("no resource at %s", path)
	return nil
}

// sendAccept makes the SDK send accept as the Accept header: the Go SDK
// sets every API Gateway request's to application/json after serializing
// GetExport's Accepts (the CLI sends it as given).
func sendAccept(accept string) func(*apigw.Options) {
	return func(o *apigw.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Build.Add(middleware.BuildMiddlewareFunc("sendAccept", func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
				if req, ok := in.Request.(*smithyhttp.Request); ok {
					req.Header.Set("Accept", accept)
				}
				return next.HandleBuild(ctx, in)
			}), middleware.After)
		})
	}
}
