package gateway

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/model"
)

// petstore is an OpenAPI 3 definition with every part the import reads.
const petstore = `openapi: 3.0.1
info:
  title: petstore
  description: pets
  version: "1.0"
paths:
  /pets:
    parameters:
      - name: x-trace
        in: header
    get:
      operationId: ListPets
      parameters:
        - name: page
          in: query
          required: true
      security:
        - api_key: []
      responses:
        "200":
          description: ok
          headers:
            x-count:
              schema:
                type: string
      x-amazon-apigateway-integration:
        type: mock
        passthroughBehavior: when_no_templates
        requestTemplates:
          application/json: '{"statusCode": 200}'
        responses:
          default:
            statusCode: 200
            responseTemplates:
              application/json: '[]'
            responseParameters:
              method.response.header.x-count: "'0'"
          "4\\d{2}":
            statusCode: "404"
  /pets/{id}:
    x-amazon-apigateway-any-method:
      security:
        - sigv4: []
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: ANY
        uri: https://backend.example.test/pets/{id}
        requestParameters:
          integration.request.path.id: method.request.path.id
        timeoutInMillis: 5000
      responses: {}
      parameters:
        - name: id
          in: path
          required: true
components:
  securitySchemes:
    api_key:
      type: apiKey
      name: x-api-key
      in: header
    sigv4:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: awsSigv4
x-amazon-apigateway-api-key-source: HEADER
x-amazon-apigateway-endpoint-configuration:
  vpcEndpointIds: [vpce-0123456789abcdef0]
x-amazon-apigateway-policy:
  Version: "2012-10-17"
  Statement:
    - Effect: Allow
      Principal: "*"
      Action: execute-api:Invoke
      Resource: execute-api:/*
x-amazon-apigateway-gateway-responses:
  DEFAULT_4XX:
    statusCode: "400"
    responseTemplates:
      application/json: '{"oops": true}'
`

// build runs a definition through the import's parse and build steps.
func build(t testing.TB, def string) (*importProblems, *treeBuilder) {
	t.Helper()
	doc, err := parseDefinition([]byte(def))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	api := newImportedAPI("PRIVATE")
	var p importProblems
	applyAPIFields(api, doc, true, &p)
	b := newTreeBuilder(api)
	applyPaths(b, doc, &p)
	return &p, b
}

func TestImportBuildsTheTree(t *testing.T) {
	p, b := build(t, petstore)
	if len(p.errors) > 0 {
		t.Fatalf("errors: %v", p.errors)
	}
	api := b.api
	if api.Name != "petstore" || api.Description != "pets" || api.Version != "1.0" || api.APIKeySource != "HEADER" {
		t.Errorf("api fields: got %+v", api)
	}
	if got := api.EndpointConfiguration.VpcEndpointIDs; len(got) != 1 || got[0] != "vpce-0123456789abcdef0" {
		t.Errorf("vpc endpoints: got %v", got)
	}
	if !strings.Contains(api.Policy, `"Resource":"execute-api:/*"`) {
		t.Errorf("policy: got %s", api.Policy)
	}
	if gr := api.GatewayResponses["DEFAULT_4XX"]; gr == nil || gr.StatusCode != "400" {
		t.Errorf("gateway responses: got %+v", api.GatewayResponses)
	}
	pets, item := b.byPath["/pets"], b.byPath["/pets/{id}"]
	if pets == nil || item == nil || item.ParentID != pets.ID || b.byPath["/"].ID != api.RootResourceID {
		t.Fatalf("resources: got %v", b.byPath)
	}
	get := pets.Methods["GET"]
	if get == nil || !get.APIKeyRequired || get.OperationName != "ListPets" {
		t.Fatalf("GET /pets: got %+v", get)
	}
	wantParams := map[string]bool{"method.request.querystring.page": true, "method.request.header.x-trace": false}
	for k, v := range wantParams {
		if got, ok := get.RequestParameters[k]; !ok || got != v {
			t.Errorf("request parameter %s: got %v (%v), want %v", k, got, ok, v)
		}
	}
	if mr := get.MethodResponses["200"]; mr == nil || len(mr.ResponseParameters) != 1 {
		t.Errorf("method response 200: got %+v", mr)
	}
	if get.MethodResponses["404"] == nil {
		t.Errorf("method response 404 for the integration response: missing")
	}
	integ := get.Integration
	if integ.Type != "MOCK" || integ.PassthroughBehavior != "WHEN_NO_TEMPLATES" || integ.TimeoutInMillis != 29000 || integ.CacheNamespace != pets.ID {
		t.Errorf("integration: got %+v", integ)
	}
	if ir := integ.IntegrationResponses["200"]; ir == nil || ir.SelectionPattern != "" || ir.ResponseTemplates["application/json"] != "[]" {
		t.Errorf("integration response 200: got %+v", ir)
	}
	if ir := integ.IntegrationResponses["404"]; ir == nil || ir.SelectionPattern != `4\d{2}` {
		t.Errorf("integration response 404: got %+v", ir)
	}
	anyM := item.Methods["ANY"]
	if anyM == nil || anyM.AuthorizationType != "AWS_IAM" || !anyM.RequestParameters["method.request.path.id"] {
		t.Fatalf("ANY /pets/{id}: got %+v", anyM)
	}
	if anyM.Integration.Type != "HTTP_PROXY" || anyM.Integration.TimeoutInMillis != 5000 || anyM.Integration.HTTPMethod != "ANY" {
		t.Errorf("ANY integration: got %+v", anyM.Integration)
	}
}

func TestExportRoundTrip(t *testing.T) {
	_, b := build(t, petstore)
	for _, swagger := range []bool{false, true} {
		doc := exportDoc(b.api, "prod", "us-west-2", swagger, true, true)
		out, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		p, again := build(t, string(out))
		if len(p.errors) > 0 {
			t.Fatalf("swagger %v: errors re-importing the export: %v\n%s", swagger, p.errors, out)
		}
		if got, want := treeDigest(again.api), treeDigest(b.api); got != want {
			t.Errorf("swagger %v: round trip changed the tree:\ngot  %s\nwant %s", swagger, got, want)
		}
	}
}

func TestImportRefusals(t *testing.T) {
	for _, tc := range []struct{ name, def, want string }{
		{"not a definition", "openapi: [", "Invalid OpenAPI input."},
		{"wrong version", `{"openapi": "2.5", "info": {"title": "x"}, "paths": {}}`, "Invalid OpenAPI input: only OpenAPI 3.0"},
		{"empty", "  ", "Invalid OpenAPI input."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseDefinition([]byte(tc.def))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	for _, tc := range []struct{ name, def, want string }{
		{"two variable siblings", "openapi: 3.0.1\ninfo: {title: x}\npaths:\n  /{a}: {}\n  /{b}: {}\n",
			"Unable to create resource at path '/{b}': A sibling ({a}) of this resource already has a variable path part -- only one is allowed"},
		{"bad path part", "openapi: 3.0.1\ninfo: {title: x}\npaths:\n  /a b: {}\n",
			"Unable to create resource at path '/a b': Resource's path part only allow"},
		{"bad integration", "openapi: 3.0.1\ninfo: {title: x}\npaths:\n  /a:\n    get:\n      responses: {}\n      x-amazon-apigateway-integration: {type: http, httpMethod: GET, uri: 'ftp://x'}\n",
			"Unable to put method 'GET' on resource at path '/a': Invalid HTTP endpoint specified for URI"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := build(t, tc.def)
			err := p.err(false)
			if err == nil || !strings.Contains(err.Error(), "Errors found during import:\n\t"+tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	// Warnings refuse only with failOnWarnings.
	p, _ := build(t, "openapi: 3.0.1\ninfo: {title: x}\npaths:\n  /a:\n    get:\n      responses: {}\n")
	if err := p.err(false); err != nil {
		t.Errorf("without failOnWarnings: got %v, want nil", err)
	}
	if err := p.err(true); err == nil || !strings.Contains(err.Error(), "Warnings found during import:\n\tNo integration defined for method 'GET /a'") {
		t.Errorf("with failOnWarnings: got %v", err)
	}
}

// FuzzImport feeds the definition parser and the tree builder arbitrary
// bytes: no panic, and whatever builds stays within the quotas.
func FuzzImport(f *testing.F) {
	f.Add([]byte(petstore))
	f.Add([]byte(`{"swagger": "2.0", "info": {"title": "x"}, "paths": {"/a/{b+}": {"get": {"responses": {"200": {"description": "ok"}}}}}}`))
	f.Add([]byte("openapi: 3.0.1\ninfo: {title: x}\npaths:\n  /a: &a {get: {responses: {}}}\n  /b: *a\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		doc, err := parseDefinition(b)
		if err != nil {
			return
		}
		api := newImportedAPI("EDGE")
		var p importProblems
		applyAPIFields(api, doc, true, &p)
		applyPaths(newTreeBuilder(api), doc, &p)
		if len(api.Resources) > maxResourcesPerAPI {
			t.Errorf("got %d resources, want at most %d", len(api.Resources), maxResourcesPerAPI)
		}
		_ = exportDoc(api, "s", "us-west-2", false, true, true)
	})
}

func TestImportAtSizeLimit(t *testing.T) {
	// Definitions at the size limit with half a million paths are refused
	// for their shape, YAML before yaml.v3 decodes it (its duplicate check
	// is quadratic in a mapping's keys), JSON once decoded (in linear time).
	var y, j strings.Builder
	y.WriteString("openapi: 3.0.1\ninfo: {title: x}\npaths:\n")
	j.WriteString(`{"openapi": "3.0.1", "info": {"title": "x"}, "paths": {"/a": {}`)
	for i := 0; y.Len() < maxDefinitionBytes-100; i++ {
		y.WriteString("  /r" + strconv.Itoa(i) + ": {}\n")
	}
	for i := 0; j.Len() < maxDefinitionBytes-100; i++ {
		j.WriteString(`, "/r` + strconv.Itoa(i) + `": {}`)
	}
	j.WriteString("}}")
	for _, tc := range []struct{ name, def, want string }{
		{"YAML", y.String(), "a mapping has more than 1000 keys"},
		{"JSON", j.String(), "more than 1000 paths"},
	} {
		start := time.Now()
		_, err := parseDefinition([]byte(tc.def))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
		t.Logf("%s: %d bytes refused in %v", tc.name, len(tc.def), time.Since(start))
	}

	// A thousand paths: the resource quota stops the builder, once.
	j.Reset()
	j.WriteString(`{"openapi": "3.0.1", "info": {"title": "x"}, "paths": {"/a": {}`)
	for i := range maxDefinitionMapKeys - 1 {
		j.WriteString(`, "/r` + strconv.Itoa(i) + `": {}`)
	}
	j.WriteString("}}")
	p, b := build(t, j.String())
	if len(b.api.Resources) != maxResourcesPerAPI || len(p.errors) != 1 || !strings.Contains(p.errors[0], "Maximum number of Resources for this API has been reached.") {
		t.Errorf("got %d resources and errors %q, want %d resources and the quota's error", len(b.api.Resources), p.errors, maxResourcesPerAPI)
	}
}

// treeDigest is the tree as a user compares two: by path, every method with
// its integration and responses; ids and default cache namespaces (the
// resource's id) left out.
func treeDigest(api *model.RestAPI) string {
	byPath := map[string]map[string]model.Method{}
	for _, r := range api.Resources {
		ms := map[string]model.Method{}
		for verb, m := range r.Methods {
			c := *m
			if m.Integration != nil {
				integ := *m.Integration
				if integ.CacheNamespace == r.ID {
					integ.CacheNamespace = ""
				}
				c.Integration = &integ
			}
			ms[verb] = c
		}
		byPath[r.Path] = ms
	}
	b, err := json.Marshal(byPath)
	if err != nil {
		panic(err)
	}
	return string(b)
}
