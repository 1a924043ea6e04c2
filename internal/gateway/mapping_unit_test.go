package gateway

import (
	"strings"
	"testing"

	"gatehouse/internal/model"
)

func TestMockStatus(t *testing.T) {
	tests := []struct {
		name, payload string
		want          int
		wantErr       bool
	}{
		{"JSON", `{"statusCode": 200}`, 200, false},
		{"JSON with other keys", `{"a": [1, {"statusCode": 1}], "statusCode": 404}`, 404, false},
		{"case 17: unquoted key", `{statusCode: 200}`, 200, false},
		{"unquoted key among others", "{\n  a: 1,\n  statusCode: 503\n}", 503, false},
		{"single-quoted key", `{'statusCode': 201}`, 201, false},
		{"case 18: a string", `{"statusCode": "200"}`, 0, true},
		{"a decimal", `{"statusCode": 200.0}`, 0, true},
		{"missing", `{"other": 200}`, 0, true},
		{"empty", ``, 0, true},
		{"not an object", `[200]`, 0, true},
		{"out of range", `{"statusCode": 99}`, 0, true},
		{"over 599", `{"statusCode": 600}`, 0, true},
		{"huge", `{"statusCode": 99999999999999999999999}`, 0, true},
		{"two documents", `{"statusCode": 200} {"statusCode": 500}`, 200, false},
		{"permissive but a string", `{statusCode: "200"}`, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := mockStatus([]byte(tt.payload))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("mockStatus(%q): got %d, %v; want %d, error %v", tt.payload, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// FuzzMockStatus: a MOCK's rendered request comes from request data; reading
// its status must not panic and must only give HTTP statuses.
func FuzzMockStatus(f *testing.F) {
	for _, s := range []string{`{"statusCode": 200}`, `{statusCode: 200}`, `{"statusCode": "200"}`, `{`, `{statusCode:`, "{\n statusCode : 404 }"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		n, err := mockStatus([]byte(payload))
		if err == nil && (n < 100 || n > 599) {
			t.Fatalf("mockStatus(%q) = %d without error, want an HTTP status", payload, n)
		}
	})
}

func TestParseParamSource(t *testing.T) {
	tests := []struct {
		name, expr string
		response   bool
		wantKind   paramKind
		wantName   string
		wantPath   bool
		wantErr    bool
	}{
		{"literal", `'text'`, false, fromLiteral, "text", false, false},
		{"empty literal", `''`, true, fromLiteral, "", false, false},
		{"path", "method.request.path.id", false, fromMethodPath, "id", false, false},
		{"query", "method.request.querystring.q", false, fromMethodQuery, "q", false, false},
		{"multivalue query", "method.request.multivaluequerystring.q", false, fromMethodMultiQuery, "q", false, false},
		{"header", "method.request.header.X-Amz-Date", false, fromMethodHeader, "X-Amz-Date", false, false},
		{"multivalue header", "method.request.multivalueheader.h", false, fromMethodMultiHeader, "h", false, false},
		{"body", "method.request.body", false, fromMethodBody, "", false, false},
		{"body JSONPath", "method.request.body.pets[0].name", false, fromMethodBody, "", true, false},
		{"context", "context.identity.sourceIp", false, fromContext, "identity.sourceIp", false, false},
		{"stage variable", "stageVariables.backend", true, fromStageVariable, "backend", false, false},
		{"response header", "integration.response.header.X-Id", true, fromResponseHeader, "X-Id", false, false},
		{"response multivalue header", "integration.response.multivalueheader.X-Id", true, fromResponseMultiHeader, "X-Id", false, false},
		{"response body JSONPath", "integration.response.body.a.b", true, fromResponseBody, "", true, false},
		{"method request in a response", "method.request.header.h", true, 0, "", false, true},
		{"integration response in a request", "integration.response.header.h", false, 0, "", false, true},
		{"unknown location", "method.request.cookie.c", false, 0, "", false, true},
		{"no name", "method.request.header.", false, 0, "", false, true},
		{"quote in JSONPath", "method.request.body.a']", false, 0, "", false, true},
		{"not a source", "whatever", false, 0, "", false, true},
		{"unterminated literal", "'abc", false, 0, "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseParamSource(tt.expr, tt.response)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("parseParamSource(%q): got %+v, want an error", tt.expr, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseParamSource(%q): %v", tt.expr, err)
			}
			if got.kind != tt.wantKind || got.name != tt.wantName || (got.path != nil) != tt.wantPath {
				t.Errorf("parseParamSource(%q): got kind %d name %q path %v, want kind %d name %q path %v",
					tt.expr, got.kind, got.name, got.path != nil, tt.wantKind, tt.wantName, tt.wantPath)
			}
		})
	}
}

func TestCompileRequestMappingRefuses(t *testing.T) {
	tests := []struct {
		name    string
		integ   model.Integration
		wantErr string
	}{
		{"case 32: Content-Length mapped", model.Integration{RequestParameters: map[string]string{
			"integration.request.header.Content-Length": "'5'"}}, "cannot be mapped"},
		{"Transfer-Encoding mapped", model.Integration{RequestParameters: map[string]string{
			"integration.request.header.transfer-encoding": "'chunked'"}}, "cannot be mapped"},
		{"bad target", model.Integration{RequestParameters: map[string]string{
			"integration.request.cookie.c": "'x'"}}, "not a valid integration request parameter"},
		{"bad source", model.Integration{RequestParameters: map[string]string{
			"integration.request.header.h": "method.request.nothing"}}, "not a valid source"},
		{"template syntax error", model.Integration{RequestTemplates: map[string]string{
			"application/json": "#if($a"}}, "mapping template for application/json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := compileRequestMapping(&route{}, &tt.integ)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestTemplateSelection(t *testing.T) {
	set, err := compileTemplates(map[string]string{
		"application/json": `json`, "Application/XML": `xml`, "text/plain": ``,
	})
	if err != nil {
		t.Fatal(err)
	}
	requests := []struct {
		contentType string
		wantOK      bool
	}{
		{"", true}, // absent: application/json
		{"application/json; charset=UTF-8", true},
		{"APPLICATION/XML", true},
		{"text/plain", true}, // an empty template still matches
		{"text/csv", false},
	}
	for _, tt := range requests {
		if _, ok := set.forRequest(tt.contentType); ok != tt.wantOK {
			t.Errorf("forRequest(%q): got %v, want %v", tt.contentType, ok, tt.wantOK)
		}
	}
	responses := []struct {
		accept, wantType string
		wantTemplate     bool
	}{
		{"", "application/json", true},
		{"application/xml", "application/xml", true},
		{"application/xml;q=0.9, application/json", "application/xml", true},
		{"text/html, application/xml", "application/json", true}, // first type only
		{"text/plain", "text/plain", false},                      // empty: the body passes through
	}
	for _, tt := range responses {
		tmpl, ct := set.forResponse(tt.accept)
		if ct != tt.wantType || (tmpl != nil) != tt.wantTemplate {
			t.Errorf("forResponse(%q): got %q template %v, want %q template %v", tt.accept, ct, tmpl != nil, tt.wantType, tt.wantTemplate)
		}
	}
	noJSON, err := compileTemplates(map[string]string{"text/xml": `x`, "application/xml": `y`})
	if err != nil {
		t.Fatal(err)
	}
	if _, ct := noJSON.forResponse("text/html"); ct != "application/xml" {
		t.Errorf("no match and no application/json template: got %q, want the first, application/xml", ct)
	}
}
