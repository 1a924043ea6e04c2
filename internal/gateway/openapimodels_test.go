package gateway

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"gatehouse/internal/model"
)

// withModels is an OpenAPI 3 definition with models (one referring to
// another), request validators (the document's default and an operation's
// own), a request body model, binary media types and content handling.
const withModels = `openapi: 3.0.1
info:
  title: models
  version: "1"
x-amazon-apigateway-request-validators:
  all:
    validateRequestBody: true
    validateRequestParameters: true
  params-only:
    validateRequestBody: false
    validateRequestParameters: true
x-amazon-apigateway-request-validator: all
x-amazon-apigateway-binary-media-types: [image/png]
paths:
  /pets:
    post:
      requestBody:
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/Pet'
      responses: {}
      x-amazon-apigateway-integration:
        type: mock
        contentHandling: CONVERT_TO_TEXT
        requestTemplates:
          application/json: '{"statusCode": 200}'
        responses:
          default:
            statusCode: 200
            contentHandling: CONVERT_TO_BINARY
    get:
      x-amazon-apigateway-request-validator: params-only
      parameters:
        - name: page
          in: query
          required: true
      responses: {}
      x-amazon-apigateway-integration:
        type: mock
components:
  schemas:
    Pet:
      type: object
      required: [name]
      properties:
        name: {type: string}
        owner: {$ref: '#/components/schemas/Owner'}
    Owner:
      type: object
      properties:
        id: {type: integer}
`

// modelsDigest is what the definition says of models, validators and the
// methods' use of them, by name (ids are new on every import).
func modelsDigest(api *model.RestAPI) string {
	d := map[string]any{"binary": api.BinaryMediaTypes}
	models := map[string]any{}
	for name, m := range api.Models {
		var v any
		_ = json.Unmarshal([]byte(strings.ReplaceAll(m.Schema, api.ID, "API")), &v)
		models[name] = []any{m.ContentType, v}
	}
	d["models"] = models
	validators := map[string]any{}
	for _, v := range api.RequestValidators {
		validators[v.Name] = []bool{v.ValidateRequestBody, v.ValidateRequestParameters}
	}
	d["validators"] = validators
	methods := map[string]any{}
	for _, r := range api.Resources {
		for verb, m := range r.Methods {
			var validator string
			if v := api.RequestValidators[m.RequestValidatorID]; v != nil {
				validator = v.Name
			}
			entry := []any{validator, m.RequestModels}
			if m.Integration != nil {
				entry = append(entry, m.Integration.ContentHandling)
				for _, code := range slices.Sorted(maps.Keys(m.Integration.IntegrationResponses)) {
					entry = append(entry, code+":"+m.Integration.IntegrationResponses[code].ContentHandling)
				}
			}
			methods[verb+" "+r.Path] = entry
		}
	}
	d["methods"] = methods
	b, _ := json.Marshal(d)
	return string(b)
}

func TestImportModelsAndValidators(t *testing.T) {
	p, b := build(t, withModels)
	if len(p.errors) > 0 || len(p.warnings) > 0 {
		t.Fatalf("got errors %v, warnings %v, want none", p.errors, p.warnings)
	}
	api := b.api
	pet := api.Models["Pet"]
	if pet == nil || pet.ContentType != "application/json" ||
		!strings.Contains(pet.Schema, `"$ref":"`+modelRefBase+api.ID+`/models/Owner"`) {
		t.Fatalf("model Pet: got %+v, want its $ref to Owner as the model's URL", pet)
	}
	post, get := b.byPath["/pets"].Methods["POST"], b.byPath["/pets"].Methods["GET"]
	if v := api.RequestValidators[post.RequestValidatorID]; v == nil || v.Name != "all" || !v.ValidateRequestBody {
		t.Errorf("POST validator: got %+v, want the document's default, all", v)
	}
	if v := api.RequestValidators[get.RequestValidatorID]; v == nil || v.Name != "params-only" || v.ValidateRequestBody {
		t.Errorf("GET validator: got %+v, want its own, params-only", v)
	}
	if got := post.RequestModels["application/json"]; got != "Pet" {
		t.Errorf("POST request model: got %q, want Pet", got)
	}
	if post.Integration.ContentHandling != "CONVERT_TO_TEXT" || post.Integration.IntegrationResponses["200"].ContentHandling != "CONVERT_TO_BINARY" {
		t.Errorf("content handling: got %q and %q", post.Integration.ContentHandling, post.Integration.IntegrationResponses["200"].ContentHandling)
	}
	if got := api.BinaryMediaTypes; len(got) != 1 || got[0] != "image/png" {
		t.Errorf("binary media types: got %v", got)
	}

	for _, tt := range []struct{ name, def, want string }{
		{"unknown validator", strings.Replace(withModels, "request-validator: params-only", "request-validator: nosuch", 1), "Invalid request validator nosuch"},
		{"unknown model", strings.Replace(withModels, "schemas/Pet'", "schemas/Cat'", 1), "Invalid model Cat"},
		{"schema that does not compile", strings.Replace(withModels, "id: {type: integer}", "id: {type: 5}", 1), "Unable to create model Owner: "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := build(t, tt.def)
			if len(p.errors) == 0 || !strings.HasPrefix(p.errors[0], tt.want) {
				t.Errorf("got errors %v, want the first starting %q", p.errors, tt.want)
			}
		})
	}
}

// Import → export → import keeps the models, validators, the methods' use
// of them, binary media types and content handling, in both formats.
func TestExportModelsRoundTrip(t *testing.T) {
	_, b := build(t, withModels)
	want := modelsDigest(b.api)
	for _, swagger := range []bool{false, true} {
		out, err := json.Marshal(exportDoc(b.api, "prod", "us-west-2", swagger, true, true))
		if err != nil {
			t.Fatal(err)
		}
		p, again := build(t, string(out))
		if len(p.errors) > 0 {
			t.Fatalf("swagger %v: errors re-importing the export: %v\n%s", swagger, p.errors, out)
		}
		if got := modelsDigest(again.api); got != want {
			t.Errorf("swagger %v: round trip changed models:\ngot  %s\nwant %s\nexport %s", swagger, got, want, out)
		}
	}
}

// ImportRestApi stores the document's models beside the default ones and
// its validators; PutRestApi overwrite replaces them, keeping the defaults.
func TestImportStoresModels(t *testing.T) {
	s, _ := opsOnly(t)
	ctx := t.Context()
	api, _, err := s.ImportRestAPI(ctx, ImportInput{Body: []byte(withModels), EndpointType: "PRIVATE"})
	if err != nil {
		t.Fatal(err)
	}
	names := func() []string {
		t.Helper()
		ms, err := s.GetModels(ctx, api.ID)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range ms {
			out = append(out, m.Name)
		}
		slices.Sort(out)
		return out
	}
	if got, want := names(), []string{"Empty", "Error", "Owner", "Pet"}; !slices.Equal(got, want) {
		t.Errorf("models after import: got %v, want %v", got, want)
	}
	vs, err := s.GetRequestValidators(ctx, api.ID)
	if err != nil || len(vs) != 2 {
		t.Errorf("validators after import: got %v %v, want 2", vs, err)
	}
	plain := "openapi: 3.0.1\ninfo: {title: plain, version: '1'}\npaths: {}\n"
	if _, _, err := s.PutRestAPI(ctx, api.ID, []byte(plain), "overwrite", false); err != nil {
		t.Fatal(err)
	}
	if got, want := names(), []string{"Empty", "Error"}; !slices.Equal(got, want) {
		t.Errorf("models after overwrite: got %v, want %v", got, want)
	}
	if vs, err := s.GetRequestValidators(ctx, api.ID); err != nil || len(vs) != 0 {
		t.Errorf("validators after overwrite: got %v %v, want none", vs, err)
	}
}

// FuzzImportModels feeds the import arbitrary definitions (seeded with
// models and validators) and re-imports what exports: no panic, and a
// definition that imports exports to one that imports again.
func FuzzImportModels(f *testing.F) {
	f.Add([]byte(withModels))
	f.Add([]byte(`{"swagger": "2.0", "info": {"title": "x"}, "definitions": {"A": {"$ref": "#/definitions/A"}}, "paths": {"/a": {"post": {"parameters": [{"in": "body", "name": "b", "schema": {"$ref": "#/definitions/A"}}], "responses": {}}}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, built := buildLoose(b)
		if built == nil || len(p.errors) > 0 {
			return
		}
		for _, swagger := range []bool{false, true} {
			out, err := json.Marshal(exportDoc(built.api, "s", "us-west-2", swagger, true, true))
			if err != nil {
				t.Fatalf("export: %v", err)
			}
			if p2, again := buildLoose(out); again == nil || len(p2.errors) > 0 {
				t.Errorf("swagger %v: the export of an imported definition does not import: %v\n%s", swagger, p2, out)
			}
		}
	})
}

// buildLoose is build without failing the test on a parse error: nil then.
func buildLoose(def []byte) (*importProblems, *treeBuilder) {
	doc, err := parseDefinition(def)
	if err != nil {
		return nil, nil
	}
	api := newImportedAPI("PRIVATE")
	var p importProblems
	applyAPIFields(api, doc, true, &p)
	b := newTreeBuilder(api)
	applyPaths(b, doc, &p)
	return &p, b
}
