package gateway

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"gatehouse/internal/model"
	"gatehouse/internal/testutil"
)

// The detail strings of schema failures, in the words API Gateway answers
// them (the first five observed on a real API; see validationerrors.go).
func TestValidationErrorString(t *testing.T) {
	tests := []struct {
		name, schema, body, want string
	}{
		{"missing required, sorted", `{"type":"object","required":["type","timestamp","transactionId"]}`, `{}`,
			`[object has missing required properties (["timestamp","transactionId","type"])]`},
		{"string for a number", `{"type":"object","properties":{"a":{"type":"number"}}}`, `{"a":"100"}`,
			`[instance type (string) does not match any allowed primitive type (allowed: ["integer","number"])]`},
		{"boolean for a string", `{"properties":{"id":{"type":"string"}}}`, `{"id":true}`,
			`[instance type (boolean) does not match any allowed primitive type (allowed: ["string"])]`},
		{"not in enum", `{"properties":{"s":{"enum":["CREATED","SENT"]}}}`, `{"s":"INVALID"}`,
			`[instance value ("INVALID") not found in enum (possible values: ["CREATED","SENT"])]`},
		{"below minimum", `{"properties":{"ts":{"type":"integer","minimum":315529200000}}}`, `{"ts":1}`,
			`[numeric instance is lower than the required minimum (minimum: 315529200000, found: 1)]`},
		{"oneOf none", `{"properties":{"m":{"oneOf":[{"type":"string"},{"type":"integer"},{"type":"boolean"}]}}}`, `{"m":{}}`,
			`[instance failed to match exactly one schema (matched 0 out of 3)]`},
		{"integer found", `{"properties":{"n":{"type":"string"}}}`, `{"n":12}`,
			`[instance type (integer) does not match any allowed primitive type (allowed: ["string"])]`},
		{"too short", `{"properties":{"n":{"type":"string","minLength":3}}}`, `{"n":"ab"}`,
			`[string "ab" is too short (length: 2, required minimum: 3)]`},
		{"two failures: the object's own first", `{"type":"object","required":["b"],"properties":{"a":{"type":"number"}}}`, `{"a":"x"}`,
			`[object has missing required properties (["b"]), instance type (string) does not match any allowed primitive type (allowed: ["integer","number"])]`},
		{"additional property", `{"type":"object","additionalProperties":false,"properties":{"a":{}}}`, `{"a":1,"z":2}`,
			`[object instance has properties which are not allowed by the schema: ["z"]]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := jsonschema.NewCompiler()
			c.DefaultDraft(jsonschema.Draft4)
			doc, err := jsonschema.UnmarshalJSON(strings.NewReader(tt.schema))
			if err != nil {
				t.Fatal(err)
			}
			if err := c.AddResource("mem://s.json", doc); err != nil {
				t.Fatal(err)
			}
			sch, err := c.Compile("mem://s.json")
			if err != nil {
				t.Fatal(err)
			}
			inst, err := jsonschema.UnmarshalJSON(strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			verr := sch.Validate(inst)
			if verr == nil {
				t.Fatalf("got valid, want %s", tt.want)
			}
			if got := validationErrorString(verr, inst); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// A BAD_REQUEST_BODY / BAD_REQUEST_PARAMETERS gateway response renders
// $context.error.validationErrorString, JSON-escaped inside its quotes.
func TestValidationErrorStringInGatewayResponse(t *testing.T) {
	logDir := t.TempDir()
	h := newHarness(t, func(d *Deps) { d.AccessLogDir = logDir })
	api := h.walkthroughAPI()
	ep := h.endpoint("127.92.50.5:0", "vpce-test")
	s, ctx := h.svc, h.ctx
	b := apiBuilder{h, api}
	v := testutil.Must[*model.RequestValidator](t)(s.CreateRequestValidator(ctx, api, ValidatorInput{
		Name: "all", ValidateRequestBody: true, ValidateRequestParameters: true}))
	testutil.Must[*model.Model](t)(s.CreateModel(ctx, api, ModelInput{Name: "AB", ContentType: "application/json",
		Schema: `{"$schema": "http://json-schema.org/draft-04/schema#", "type": "object", "required": ["a", "b"],
			"properties": {"a": {"type": "number"}, "b": {"type": "number"}}}`}))
	const tmpl = `{"message": $context.error.messageString, "type": "$context.error.responseType", "validationErrors": "$context.error.validationErrorString"}`
	for _, rt := range []string{"BAD_REQUEST_BODY", "BAD_REQUEST_PARAMETERS"} {
		testutil.Must[*GatewayResponse](t)(s.PutGatewayResponse(ctx, api, model.GatewayResponse{
			ResponseType: rt, ResponseTemplates: jsonTemplate(tmpl)}))
	}
	res := b.resource(b.root(), "v")
	testutil.Must[*model.Method](t)(s.PutMethod(ctx, api, res, "POST", PutMethodInput{
		RequestValidatorID: v.ID, RequestModels: map[string]string{"application/json": "AB"},
		RequestParameters: map[string]bool{"method.request.querystring.q": true}}))
	testutil.Must[*model.Integration](t)(s.PutIntegration(ctx, api, res, "POST", model.Integration{Type: "MOCK",
		RequestTemplates: jsonTemplate(`{"statusCode": 200}`)}))
	testutil.Must[*model.MethodResponse](t)(s.PutMethodResponse(ctx, api, res, "POST", "200", model.MethodResponse{}))
	testutil.Must[*model.IntegrationResponse](t)(s.PutIntegrationResponse(ctx, api, res, "POST", "200", model.IntegrationResponse{}))
	b.deploy(nil)
	testutil.Must[*model.Stage](t)(s.UpdateStage(ctx, api, "prod", func(st *model.Stage) error {
		st.AccessLogSettings = &model.AccessLogSettings{DestinationARN: "arn:aws:logs:us-west-2:000000000000:log-group:validation",
			Format: `$context.requestId $context.status $context.error.responseType "$context.error.message" $context.error.validationErrorString`}
		return nil
	}))
	h.sync()

	tests := []struct {
		name, path, body string
		wantStatus       int
		want             map[string]string
	}{
		{"body missing b", "/v?q=1", `{"a": 1}`, 400, map[string]string{"message": "Invalid request body", "type": "BAD_REQUEST_BODY",
			"validationErrors": `[object has missing required properties (["b"])]`}},
		{"body a string", "/v?q=1", `{"a": "1", "b": 2}`, 400, map[string]string{"message": "Invalid request body", "type": "BAD_REQUEST_BODY",
			"validationErrors": `[instance type (string) does not match any allowed primitive type (allowed: ["integer","number"])]`}},
		{"parameter missing", "/v", `{"a": 1, "b": 2}`, 400, map[string]string{"message": "Missing required request parameters: [q]",
			"type": "BAD_REQUEST_PARAMETERS", "validationErrors": "Missing required request parameters: [q]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.t = t
			got := h.do(ep, "POST", "https://"+domain+tt.path, "", map[string]string{"Content-Type": "application/json"}, tt.body)
			var doc map[string]string
			if err := json.Unmarshal([]byte(got.body), &doc); err != nil {
				t.Fatalf("body %q is not JSON: %v", got.body, err)
			}
			if got.status != tt.wantStatus {
				t.Errorf("status: got %d, want %d", got.status, tt.wantStatus)
			}
			for k, want := range tt.want {
				if doc[k] != want {
					t.Errorf("%s: got %q, want %q", k, doc[k], want)
				}
			}
		})
	}
	// The access log names the failures too ($context.error.* of the
	// access log variables).
	h.t = t
	wantLines := []string{
		` 400 BAD_REQUEST_BODY "Invalid request body" [object has missing required properties ([\"b\"])]`,
		` 400 BAD_REQUEST_PARAMETERS "Missing required request parameters: [q]" Missing required request parameters: [q]`,
	}
	testutil.Eventually(t, "access log lines", func() (bool, string) {
		b, err := os.ReadFile(filepath.Join(logDir, "validation.log"))
		if err != nil {
			return false, err.Error()
		}
		for _, want := range wantLines {
			if !strings.Contains(string(b), want) {
				return false, string(b)
			}
		}
		return true, ""
	})
}

// FuzzValidationErrorString validates arbitrary bodies against arbitrary
// schemas and renders the failure: no panic, and the detail is a bracketed
// list.
func FuzzValidationErrorString(f *testing.F) {
	f.Add(`{"type":"object","required":["a"],"properties":{"a":{"type":"number","minimum":1}}}`, `{"a":0}`)
	f.Add(`{"oneOf":[{"type":"string"},{"minLength":2}]}`, `"abc"`)
	f.Add(`{"items":{"enum":[1,2]},"uniqueItems":true,"maxItems":1}`, `[3,3]`)
	f.Fuzz(func(t *testing.T, schema, body string) {
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft4)
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(schema))
		if err != nil || c.AddResource("mem://s.json", doc) != nil {
			return
		}
		sch, err := c.Compile("mem://s.json")
		if err != nil {
			return
		}
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(body))
		if err != nil {
			return
		}
		if verr := sch.Validate(inst); verr != nil {
			if got := validationErrorString(verr, inst); !strings.HasPrefix(got, "[") || !strings.HasSuffix(got, "]") {
				t.Errorf("got %q, want a bracketed list", got)
			}
		}
	})
}
