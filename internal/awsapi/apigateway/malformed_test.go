package apigateway_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	apigw "github.com/aws/aws-sdk-go-v2/service/apigateway"

	"gatehouse/internal/awsapi/awsapitest"
)

// send signs and sends a raw request and returns the status, the error
// code (x-amzn-ErrorType) and the body's message.
func (e *env) send(t testing.TB, method, path, body string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	status, header, b := awsapitest.Send(t, req, "apigateway")
	var out struct {
		Message string `json:"message"`
	}
	_ = json.Unmarshal(b, &out)
	return status, header.Get("x-amzn-ErrorType"), out.Message
}

func TestMalformedRequests(t *testing.T) {
	e := newEnv(t)
	id := e.walkthrough(t)
	root, err := e.v1GetRoot(id)
	if err != nil {
		t.Fatal(err)
	}
	api := "/restapis/" + id
	method := api + "/resources/" + root + "/methods/GET"
	null := func(member string) string {
		return "1 validation error detected: Value null at '" + member + "' failed to satisfy constraint: Member must not be null"
	}
	tests := []struct {
		name, method, path, body string
		wantStatus               int
		wantCode, wantMsg        string // wantMsg "" checks only that a message is present
	}{
		{"bad json", "POST", "/restapis", `{"name":`, 400, "BadRequestException", ""},
		{"not an object", "POST", "/restapis", `[1,2]`, 400, "BadRequestException", ""},
		{"missing name", "POST", "/restapis", `{}`, 400, "BadRequestException", null("name")},
		{"name wrong type", "POST", "/restapis", `{"name":5}`, 400, "BadRequestException", ""},
		{"types wrong type", "POST", "/restapis", `{"name":"x","endpointConfiguration":{"types":"PRIVATE"}}`, 400, "BadRequestException", ""},
		{"unknown endpoint type", "POST", "/restapis", `{"name":"x","endpointConfiguration":{"types":["MOON"]}}`, 400, "ValidationException",
			"1 validation error detected: Value '[MOON]' at 'createRestApiInput.endpointConfiguration.types' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [PRIVATE, EDGE, REGIONAL]]"},
		{"unknown api", "GET", "/restapis/abc", ``, 404, "NotFoundException", "Invalid API identifier specified 000000000000:abc"},
		{"delete unknown api", "DELETE", "/restapis/abc", ``, 404, "NotFoundException", "Invalid API identifier specified 000000000000:abc"},
		{"bad limit", "GET", "/restapis?limit=abc", ``, 400, "BadRequestException", "Invalid limit specified: abc. It must be between 1 and 500"},
		{"bad position", "GET", "/restapis?position=zz", ``, 400, "BadRequestException", "Invalid position specified: zz"},
		{"patch ops wrong type", "PATCH", api, `{"patchOperations":{}}`, 400, "BadRequestException", ""},
		{"patch unknown op", "PATCH", api, `{"patchOperations":[{"op":"jump","path":"/name","value":"x"}]}`, 400, "BadRequestException",
			"Invalid patch operation specified. Must be 'add'|'remove'|'replace'"},
		{"patch name with add", "PATCH", api, `{"patchOperations":[{"op":"add","path":"/name","value":"x"}]}`, 400, "BadRequestException",
			"Invalid patch path  '/name' specified for op 'add'. Please choose supported operations"},
		{"patch bad bool", "PATCH", api, `{"patchOperations":[{"op":"replace","path":"/disableExecuteApiEndpoint","value":"maybe"}]}`, 400, "BadRequestException",
			"Invalid boolean value 'maybe' specified for /disableExecuteApiEndpoint"},
		{"unknown resource", "GET", api + "/resources/nope", ``, 404, "NotFoundException", "Invalid Resource identifier specified"},
		{"resource missing pathPart", "POST", api + "/resources/" + root, `{}`, 400, "BadRequestException", null("pathPart")},
		{"method missing authorizationType", "PUT", api + "/resources/" + root + "/methods/POST", `{}`, 400, "BadRequestException", null("authorizationType")},
		{"bad http method", "PUT", api + "/resources/" + root + "/methods/FETCH", `{"authorizationType":"NONE"}`, 400, "BadRequestException",
			"Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY"},
		{"integration missing type", "PUT", method + "/integration", `{}`, 400, "BadRequestException", null("type")},
		{"integration timeout wrong type", "PUT", method + "/integration", `{"type":"MOCK","timeoutInMillis":"soon"}`, 400, "BadRequestException", ""},
		{"bad status code", "PUT", method + "/responses/2000", `{}`, 400, "ValidationException",
			`1 validation error detected: Value '2000' at 'statusCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [1-5]\d\d`},
		{"stage missing deploymentId", "POST", api + "/stages", `{"stageName":"x"}`, 400, "BadRequestException", null("deploymentId")},
		{"stage unknown deployment", "POST", api + "/stages", `{"stageName":"x","deploymentId":"nope"}`, 404, "NotFoundException", "Invalid Deployment identifier specified"},
		{"unknown stage", "GET", api + "/stages/nope", ``, 404, "NotFoundException", "Invalid Stage identifier specified"},
		{"stage bad variable", "PATCH", api + "/stages/prod", `{"patchOperations":[{"op":"replace","path":"/variables/a b","value":"x"}]}`, 400, "BadRequestException",
			"Invalid stage variable name: a b.  Please use names with only word characters."},
		{"stage bad rate", "PATCH", api + "/stages/prod", `{"patchOperations":[{"op":"replace","path":"/*/*/throttling/rateLimit","value":"fast"}]}`, 400, "BadRequestException",
			"Invalid value 'fast' specified for /*/*/throttling/rateLimit"},
		{"bad response type", "PUT", api + "/gatewayresponses/NOPE", `{}`, 400, "ValidationException", ""},
		{"domain missing name", "POST", "/domainnames", `{}`, 400, "BadRequestException", null("domainName")},
		{"unknown domain", "GET", "/domainnames/nope.example.test", ``, 404, "NotFoundException", "Invalid domain name identifier specified"},
		{"mapping missing api", "POST", "/domainnames/" + domain + "/basepathmappings", `{"basePath":"x"}`, 400, "BadRequestException", null("restApiId")},
		{"mapping bad patch path", "PATCH", "/domainnames/" + domain + "/basepathmappings/(none)", `{"patchOperations":[{"op":"replace","path":"/x","value":"y"}]}`,
			400, "BadRequestException", "Invalid patch path  '/x' specified for op 'replace'. Must be one of: [/basePath, /restapiId, /stage]"},
		{"v2 mapping missing apiId", "POST", "/v2/domainnames/" + domain + "/apimappings", `{"stage":"prod"}`, 400, "BadRequestException", null("apiId")},
		{"v2 unknown domain", "GET", "/v2/domainnames/nope.example.test/apimappings", ``, 404, "NotFoundException", "Invalid domain name identifier specified"},
		{"tag missing tags", "PUT", "/tags/arn:aws:apigateway:us-west-2::%2Frestapis%2F" + id, `{}`, 400, "BadRequestException", null("tags")},
		{"tag bad arn", "PUT", "/tags/arn:aws:s3:::bucket", `{"tags":{"a":"b"}}`, 400, "BadRequestException", "Invalid ARN specified in the request: arn:aws:s3:::bucket"},
		{"untag without keys", "DELETE", "/tags/arn:aws:apigateway:us-west-2::%2Frestapis%2F" + id, ``, 400, "BadRequestException", null("tagKeys")},
		{"unknown route", "GET", "/restapis/a/b/c/d/e", ``, 404, "UnknownOperationException", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, code, msg := e.send(t, tt.method, tt.path, tt.body)
			if status != tt.wantStatus || code != tt.wantCode {
				t.Errorf("got %d %s %q, want %d %s", status, code, msg, tt.wantStatus, tt.wantCode)
			}
			if msg == "" || (tt.wantMsg != "" && msg != tt.wantMsg) {
				t.Errorf("message: got %q, want %q", msg, tt.wantMsg)
			}
		})
	}
}

// v1GetRoot returns an API's root resource id.
func (e *env) v1GetRoot(id string) (string, error) {
	api, err := e.v1.GetRestApi(e.ctx, &apigw.GetRestApiInput{RestApiId: aws.String(id)})
	if err != nil {
		return "", err
	}
	return aws.ToString(api.RootResourceId), nil
}

// FuzzRequests sends arbitrary bodies to every operation that decodes one:
// each must answer with API Gateway's error envelope or success, never a 500.
func FuzzRequests(f *testing.F) {
	e := newEnv(f)
	id := e.walkthrough(f)
	root, err := e.v1GetRoot(id)
	if err != nil {
		f.Fatal(err)
	}
	api := "/restapis/" + id
	method := api + "/resources/" + root + "/methods/GET"
	targets := []struct{ method, path string }{
		{"POST", "/restapis"},
		{"PATCH", api},
		{"POST", api + "/resources/" + root},
		{"PUT", api + "/resources/" + root + "/methods/PATCH"},
		{"PATCH", method},
		{"PUT", method + "/integration"},
		{"PUT", method + "/responses/201"},
		{"PUT", method + "/integration/responses/200"},
		{"POST", api + "/deployments"},
		{"POST", api + "/stages"},
		{"PATCH", api + "/stages/prod"},
		{"PUT", api + "/gatewayresponses/DEFAULT_4XX"},
		{"POST", "/domainnames"},
		{"POST", "/domainnames/" + domain + "/basepathmappings"},
		{"PATCH", "/domainnames/" + domain + "/basepathmappings/(none)"},
		{"POST", "/v2/domainnames/" + domain + "/apimappings"},
		{"PUT", "/tags/arn:aws:apigateway:us-west-2::%2Frestapis%2F" + id},
	}
	for i, seed := range []string{
		``, `{}`, `{"name":"x"}`, `{"patchOperations":[{"op":"replace","path":"/*/*/throttling/rateLimit","value":"1e309"}]}`,
		`{"patchOperations":[{"op":"replace","path":"/endpointConfiguration/types/7","value":"PRIVATE"}]}`,
		`{"type":"HTTP","httpMethod":"GET","uri":"http://[::1"}`, `{"pathPart":"{a+}"}`, `{"stageName":"s","deploymentId":""}`,
		`{"basePath":"a//b","restApiId":"x"}`, `{"tags":{"":""}}`, `{"apiId":"x","stage":"prod","apiMappingKey":"(none)"}`, `{"name":`,
	} {
		f.Add(uint8(i), seed)
	}
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		tg := targets[int(which)%len(targets)]
		status, code, _ := e.send(t, tg.method, tg.path, body)
		if status >= 500 || (status >= 400 && code == "") {
			t.Errorf("%s %s %q: got %d %q", tg.method, tg.path, body, status, code)
		}
	})
}
