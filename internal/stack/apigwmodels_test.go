package stack

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
)

// modelsFile is planFile with a model, a request validator and a method
// that uses both.
var modelsFile = strings.Replace(planFile, "    stages: [{name: prod}]", `    models:
      Pet:
        schema: {type: object, required: [name], properties: {name: {type: string}}}
    requestValidators:
      body: {validateRequestBody: true}
    stages: [{name: prod}]`, 1)

func withPetsMethod(file string) string {
	return strings.Replace(file, "        GET: {integration:", `        POST:
          requestValidator: body
          requestModels: {application/json: Pet}
          requestParameters: {method.request.header.x-trace: true}
          integration: {type: MOCK, requestTemplates: {application/json: '{"statusCode": 200}'}}
        GET: {integration:`, 1)
}

// TestApplyModelsAndValidators: applying creates the model and validator
// and the method naming them; applying again writes nothing; a file without
// them removes them (after the method stopped naming them).
func TestApplyModelsAndValidators(t *testing.T) {
	ctx := context.Background()
	e := newPlanEnv(t)
	f := parseString(t, withPetsMethod(modelsFile))
	if err := Apply(ctx, e.svcs, f); err != nil {
		t.Fatal(err)
	}
	gw := e.svcs.Gateway
	api := e.api(t, "demo")
	pet := api.Models["Pet"]
	if pet == nil || pet.ContentType != "application/json" || !sameJSON(pet.Schema, `{"type":"object","required":["name"],"properties":{"name":{"type":"string"}}}`) {
		t.Errorf("model Pet: got %+v", pet)
	}
	var validatorID string
	for id, v := range api.RequestValidators {
		if v.Name == "body" && v.ValidateRequestBody && !v.ValidateRequestParameters {
			validatorID = id
		}
	}
	if validatorID == "" {
		t.Fatalf("validators: got %+v, want body (body only)", api.RequestValidators)
	}
	post := api.Resources[api.RootResourceID].Methods["POST"]
	if post == nil || post.RequestValidatorID != validatorID || post.RequestModels["application/json"] != "Pet" ||
		!post.RequestParameters["method.request.header.x-trace"] {
		t.Errorf("POST /: got %+v, want validator %s, model Pet, header x-trace required", post, validatorID)
	}
	if again, err := Plan(ctx, e.svcs, f); err != nil || len(again) != 0 {
		t.Errorf("plan after apply: got %q, %v; want none", again, err)
	}

	// A changed schema is a change of the one field, and a new deployment
	// (the stage serves the models it froze).
	changed := parseString(t, strings.Replace(withPetsMethod(modelsFile), "required: [name]", "required: [name, tag]", 1))
	cs, err := Plan(ctx, e.svcs, changed)
	var fields []string
	for _, c := range cs {
		fields = append(fields, c.Field)
	}
	if want := []string{"models[Pet].schema", "stages[prod].deployment"}; err != nil || !slices.Equal(fields, want) {
		t.Errorf("plan of a changed schema: got %q, %v; want changes of %q", cs, err, want)
	}

	// Without the method, the model and validator go.
	if err := Apply(ctx, e.svcs, parseString(t, planFile)); err != nil {
		t.Fatal(err)
	}
	models, err := gw.GetModels(ctx, api.ID)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range models {
		names = append(names, m.Name)
	}
	slices.Sort(names)
	if want := []string{"Empty", "Error"}; !slices.Equal(names, want) {
		t.Errorf("models after removal: got %v, want %v", names, want)
	}
	if vs, err := gw.GetRequestValidators(ctx, api.ID); err != nil || len(vs) != 0 {
		t.Errorf("validators after removal: got %v %v, want none", vs, err)
	}
}

func TestValidateMethodModels(t *testing.T) {
	file := strings.Replace(withPetsMethod(modelsFile), "requestValidator: body", "requestValidator: nosuch", 1)
	file = strings.Replace(file, "{application/json: Pet}", "{application/json: Cat}", 1)
	err := parseString(t, file).Validate()
	for _, want := range []string{`.requestValidator: api "demo" has no request validator "nosuch"`, `.requestModels["application/json"]: api "demo" has no model "Cat"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want an error containing %s", err, want)
		}
	}
}

// TestRequestValidationExampleApplies: examples/request-validation.yaml is
// valid, applies, and re-applying it plans nothing.
func TestRequestValidationExampleApplies(t *testing.T) {
	b, err := os.ReadFile("../../examples/request-validation.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	e := newPlanEnv(t)
	f := parseString(t, string(b))
	if err := Apply(ctx, e.svcs, f); err != nil {
		t.Fatal(err)
	}
	if api := e.api(t, "pets"); api.Models["Pet"] == nil || len(api.RequestValidators) != 1 {
		t.Errorf("pets: got models %v validators %v, want Pet and one validator", api.Models, api.RequestValidators)
	}
	if again, err := Plan(ctx, e.svcs, f); err != nil || len(again) != 0 {
		t.Errorf("plan after apply: got %q, %v; want none", again, err)
	}
}
