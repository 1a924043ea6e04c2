package apigateway_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	apigw "github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	apigwv2 "github.com/aws/aws-sdk-go-v2/service/apigatewayv2"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
	"gatehouse/internal/testutil"
)

// op is one patch operation.
func op(o types.Op, path, value string) types.PatchOperation {
	return types.PatchOperation{Op: o, Path: aws.String(path), Value: aws.String(value)}
}

// paths returns the API's resource paths by resource id.
func (e *env) paths(t *testing.T, api string) map[string]string {
	t.Helper()
	out := testutil.Must[*apigw.GetResourcesOutput](t)(e.v1.GetResources(e.ctx, &apigw.GetResourcesInput{RestApiId: aws.String(api), Limit: aws.Int32(500)}))
	paths := map[string]string{}
	for _, r := range out.Items {
		paths[*r.Id] = *r.Path
	}
	return paths
}

func TestUpdateResource(t *testing.T) {
	e := newEnv(t)
	ctx, c := e.ctx, e.v1
	id := e.walkthrough(t)
	api := testutil.Must[*apigw.GetRestApiOutput](t)(c.GetRestApi(ctx, &apigw.GetRestApiInput{RestApiId: aws.String(id)}))
	create := func(parent *string, part string) *string {
		t.Helper()
		r := testutil.Must[*apigw.CreateResourceOutput](t)(c.CreateResource(ctx, &apigw.CreateResourceInput{RestApiId: api.Id, ParentId: parent, PathPart: aws.String(part)}))
		return r.Id
	}
	a := create(api.RootResourceId, "a")
	b := create(a, "b")
	leaf := create(b, "{id}")
	x := create(api.RootResourceId, "x")
	testutil.Must[*apigw.PutMethodOutput](t)(c.PutMethod(ctx, &apigw.PutMethodInput{RestApiId: api.Id, ResourceId: leaf,
		HttpMethod: aws.String("GET"), AuthorizationType: aws.String("NONE")}))
	update := func(res *string, ops ...types.PatchOperation) (*apigw.UpdateResourceOutput, error) {
		return c.UpdateResource(ctx, &apigw.UpdateResourceInput{RestApiId: api.Id, ResourceId: res, PatchOperations: ops})
	}

	// Renaming a resource renames its subtree's paths.
	out := testutil.Must[*apigw.UpdateResourceOutput](t)(update(a, op(types.OpReplace, "/pathPart", "z")))
	if *out.Path != "/z" || *out.PathPart != "z" {
		t.Errorf("rename: got path %q part %q, want /z z", *out.Path, *out.PathPart)
	}
	if got := e.paths(t, id); got[*b] != "/z/b" || got[*leaf] != "/z/b/{id}" {
		t.Errorf("after rename: got b %q leaf %q, want /z/b /z/b/{id}", got[*b], got[*leaf])
	}
	// The old part is free again, the new one taken.
	create(api.RootResourceId, "a")
	_, err := c.CreateResource(ctx, &apigw.CreateResourceInput{RestApiId: api.Id, ParentId: api.RootResourceId, PathPart: aws.String("z")})
	apiError(t, err, "ConflictException", "Another resource with the same parent already has this name: z")

	// Moving a subtree under another parent; its methods go with it.
	out = testutil.Must[*apigw.UpdateResourceOutput](t)(update(b, op(types.OpReplace, "/parentId", *x)))
	if *out.Path != "/x/b" || *out.ParentId != *x {
		t.Errorf("move: got path %q parent %q, want /x/b %s", *out.Path, *out.ParentId, *x)
	}
	if got := e.paths(t, id); got[*leaf] != "/x/b/{id}" {
		t.Errorf("after move: got leaf %q, want /x/b/{id}", got[*leaf])
	}
	m := testutil.Must[*apigw.GetMethodOutput](t)(c.GetMethod(ctx, &apigw.GetMethodInput{RestApiId: api.Id, ResourceId: leaf, HttpMethod: aws.String("GET")}))
	if *m.HttpMethod != "GET" {
		t.Errorf("method after move: got %+v", m)
	}

	for _, tc := range []struct {
		name      string
		res       *string
		ops       []types.PatchOperation
		code, msg string
	}{
		{"sibling holds the part", x, []types.PatchOperation{op(types.OpReplace, "/pathPart", "z")},
			"ConflictException", "Another resource with the same parent already has this name: z"},
		{"under its own child", x, []types.PatchOperation{op(types.OpReplace, "/parentId", *b)},
			"BadRequestException", "Resources cannot be cyclical."},
		{"unknown parent", x, []types.PatchOperation{op(types.OpReplace, "/parentId", "nope00")},
			"NotFoundException", "Invalid Resource identifier specified"},
		{"bad path part", x, []types.PatchOperation{op(types.OpReplace, "/pathPart", "a b")},
			"BadRequestException", "Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end and an optional plus sign before the closing brace."},
		{"root", api.RootResourceId, []types.PatchOperation{op(types.OpReplace, "/pathPart", "r")},
			"BadRequestException", "Root resource cannot update its pathPart."},
		{"root's parent", api.RootResourceId, []types.PatchOperation{op(types.OpReplace, "/parentId", *api.RootResourceId)},
			"BadRequestException", "Root resource cannot update its parentId."},
		{"bad path", x, []types.PatchOperation{op(types.OpReplace, "/path", "/y")},
			"BadRequestException", "Invalid patch path  '/path' specified for op 'replace'. Must be one of: [/parentId, /pathPart]"},
		{"bad op for the path", x, []types.PatchOperation{op(types.OpAdd, "/pathPart", "y")},
			"BadRequestException", "Invalid patch path  '/pathPart' specified for op 'add'. Please choose supported operations"},
		{"unknown resource", aws.String("nope00"), []types.PatchOperation{op(types.OpReplace, "/pathPart", "y")},
			"NotFoundException", "Invalid Resource identifier specified"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := update(tc.res, tc.ops...)
			apiError(t, err, tc.code, tc.msg)
		})
	}
}

// methodEnv is an API with a MOCK GET on /pets, its 200 method and
// integration responses.
func (e *env) methodEnv(t *testing.T) (api, res *string) {
	t.Helper()
	ctx, c := e.ctx, e.v1
	id := e.walkthrough(t)
	a := testutil.Must[*apigw.GetRestApiOutput](t)(c.GetRestApi(ctx, &apigw.GetRestApiInput{RestApiId: aws.String(id)}))
	r := testutil.Must[*apigw.CreateResourceOutput](t)(c.CreateResource(ctx, &apigw.CreateResourceInput{RestApiId: a.Id, ParentId: a.RootResourceId, PathPart: aws.String("pets")}))
	get := aws.String("GET")
	testutil.Must[*apigw.PutMethodOutput](t)(c.PutMethod(ctx, &apigw.PutMethodInput{RestApiId: a.Id, ResourceId: r.Id, HttpMethod: get, AuthorizationType: aws.String("NONE")}))
	testutil.Must[*apigw.PutIntegrationOutput](t)(c.PutIntegration(ctx, &apigw.PutIntegrationInput{RestApiId: a.Id, ResourceId: r.Id, HttpMethod: get,
		Type: types.IntegrationTypeMock, RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}}))
	testutil.Must[*apigw.PutMethodResponseOutput](t)(c.PutMethodResponse(ctx, &apigw.PutMethodResponseInput{RestApiId: a.Id, ResourceId: r.Id, HttpMethod: get, StatusCode: aws.String("200")}))
	testutil.Must[*apigw.PutIntegrationResponseOutput](t)(c.PutIntegrationResponse(ctx, &apigw.PutIntegrationResponseInput{RestApiId: a.Id, ResourceId: r.Id, HttpMethod: get, StatusCode: aws.String("200")}))
	return a.Id, r.Id
}

func TestUpdateMethod(t *testing.T) {
	e := newEnv(t)
	api, res := e.methodEnv(t)
	update := func(ops ...types.PatchOperation) (*apigw.UpdateMethodOutput, error) {
		return e.v1.UpdateMethod(e.ctx, &apigw.UpdateMethodInput{RestApiId: api, ResourceId: res, HttpMethod: aws.String("GET"), PatchOperations: ops})
	}
	for _, tc := range []struct {
		name  string
		op    types.PatchOperation
		check func(*apigw.UpdateMethodOutput) bool
	}{
		{"authorizationType", op(types.OpReplace, "/authorizationType", "AWS_IAM"), func(m *apigw.UpdateMethodOutput) bool { return *m.AuthorizationType == "AWS_IAM" }},
		{"apiKeyRequired", op(types.OpReplace, "/apiKeyRequired", "true"), func(m *apigw.UpdateMethodOutput) bool { return *m.ApiKeyRequired }},
		{"operationName", op(types.OpReplace, "/operationName", "ListPets"), func(m *apigw.UpdateMethodOutput) bool { return aws.ToString(m.OperationName) == "ListPets" }},
		{"requestParameters add", op(types.OpAdd, "/requestParameters/method.request.querystring.page", "true"),
			func(m *apigw.UpdateMethodOutput) bool { return m.RequestParameters["method.request.querystring.page"] }},
		{"requestParameters remove", op(types.OpRemove, "/requestParameters/method.request.querystring.page", ""),
			func(m *apigw.UpdateMethodOutput) bool {
				_, ok := m.RequestParameters["method.request.querystring.page"]
				return !ok
			}},
		{"requestModels add", op(types.OpAdd, "/requestModels/application~1json", "Empty"),
			func(m *apigw.UpdateMethodOutput) bool { return m.RequestModels["application/json"] == "Empty" }},
		{"requestModels remove", op(types.OpRemove, "/requestModels/application~1json", ""),
			func(m *apigw.UpdateMethodOutput) bool { return len(m.RequestModels) == 0 }},
		{"the integration stays", op(types.OpReplace, "/operationName", "Again"),
			func(m *apigw.UpdateMethodOutput) bool {
				return m.MethodIntegration != nil && m.MethodResponses["200"].StatusCode != nil
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := update(tc.op)
			if err != nil {
				t.Fatalf("UpdateMethod %s %s: %v", tc.op.Op, *tc.op.Path, err)
			}
			if !tc.check(m) {
				t.Errorf("UpdateMethod %s %s: got %+v", tc.op.Op, *tc.op.Path, m)
			}
		})
	}
	_, err := update(op(types.OpReplace, "/httpMethod", "PUT"))
	apiError(t, err, "BadRequestException", "Invalid patch path  '/httpMethod' specified for op 'replace'. Must be one of: "+
		"[/authorizationType, /apiKeyRequired, /operationName, /requestParameters/{name}, /requestValidatorId, /requestModels/{contentType}]")
}

func TestUpdateIntegration(t *testing.T) {
	e := newEnv(t)
	api, res := e.methodEnv(t)
	update := func(ops ...types.PatchOperation) (*apigw.UpdateIntegrationOutput, error) {
		return e.v1.UpdateIntegration(e.ctx, &apigw.UpdateIntegrationInput{RestApiId: api, ResourceId: res, HttpMethod: aws.String("GET"), PatchOperations: ops})
	}
	for _, tc := range []struct {
		name  string
		ops   []types.PatchOperation
		check func(*apigw.UpdateIntegrationOutput) bool
	}{
		{"requestTemplates add", []types.PatchOperation{op(types.OpAdd, "/requestTemplates/text~1plain", `{"statusCode": 201}`)},
			func(i *apigw.UpdateIntegrationOutput) bool {
				return i.RequestTemplates["text/plain"] == `{"statusCode": 201}`
			}},
		{"requestTemplates remove", []types.PatchOperation{op(types.OpRemove, "/requestTemplates/text~1plain", "")},
			func(i *apigw.UpdateIntegrationOutput) bool {
				_, ok := i.RequestTemplates["text/plain"]
				return !ok && len(i.RequestTemplates) == 1
			}},
		{"passthroughBehavior", []types.PatchOperation{op(types.OpReplace, "/passthroughBehavior", "NEVER")},
			func(i *apigw.UpdateIntegrationOutput) bool { return aws.ToString(i.PassthroughBehavior) == "NEVER" }},
		{"timeoutInMillis", []types.PatchOperation{op(types.OpReplace, "/timeoutInMillis", "5000")},
			func(i *apigw.UpdateIntegrationOutput) bool { return i.TimeoutInMillis == 5000 }},
		{"cacheNamespace", []types.PatchOperation{op(types.OpReplace, "/cacheNamespace", "ns")},
			func(i *apigw.UpdateIntegrationOutput) bool { return aws.ToString(i.CacheNamespace) == "ns" }},
		{"type, uri and httpMethod together", []types.PatchOperation{op(types.OpReplace, "/type", "HTTP"),
			op(types.OpReplace, "/uri", "https://backend.example.test/pets"), op(types.OpReplace, "/httpMethod", "post")},
			func(i *apigw.UpdateIntegrationOutput) bool {
				return i.Type == types.IntegrationTypeHttp && aws.ToString(i.Uri) == "https://backend.example.test/pets" && aws.ToString(i.HttpMethod) == "POST"
			}},
		{"requestParameters add", []types.PatchOperation{op(types.OpAdd, "/requestParameters/integration.request.header.x-id", "'7'")},
			func(i *apigw.UpdateIntegrationOutput) bool {
				return i.RequestParameters["integration.request.header.x-id"] == "'7'"
			}},
		{"the responses stay", []types.PatchOperation{op(types.OpReplace, "/timeoutInMillis", "6000")},
			func(i *apigw.UpdateIntegrationOutput) bool { return i.IntegrationResponses["200"].StatusCode != nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			i, err := update(tc.ops...)
			if err != nil {
				t.Fatalf("UpdateIntegration: %v", err)
			}
			if !tc.check(i) {
				t.Errorf("UpdateIntegration: got %+v", i)
			}
		})
	}
	for _, tc := range []struct {
		name      string
		op        types.PatchOperation
		code, msg string
	}{
		{"timeout out of range", op(types.OpReplace, "/timeoutInMillis", "30000"), "BadRequestException", "Timeout should be between 50 ms and 29000 ms"},
		{"uri not http", op(types.OpReplace, "/uri", "ftp://x"), "BadRequestException", "Invalid HTTP endpoint specified for URI"},
		{"bad path", op(types.OpReplace, "/connectionId", "x"), "BadRequestException", "Invalid patch path  '/connectionId' specified for op 'replace'. Must be one of: " +
			"[/uri, /httpMethod, /type, /requestTemplates/{contentType}, /requestParameters/{name}, /passthroughBehavior, /timeoutInMillis, /cacheNamespace, /contentHandling]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := update(tc.op)
			apiError(t, err, tc.code, tc.msg)
		})
	}
}

func TestUpdateResponses(t *testing.T) {
	e := newEnv(t)
	api, res := e.methodEnv(t)
	ctx, c := e.ctx, e.v1
	get, ok := aws.String("GET"), aws.String("200")
	ir := testutil.Must[*apigw.UpdateIntegrationResponseOutput](t)(c.UpdateIntegrationResponse(ctx, &apigw.UpdateIntegrationResponseInput{
		RestApiId: api, ResourceId: res, HttpMethod: get, StatusCode: ok, PatchOperations: []types.PatchOperation{
			op(types.OpReplace, "/selectionPattern", `2\d{2}`),
			op(types.OpAdd, "/responseTemplates/application~1json", `{"ok": true}`),
			op(types.OpAdd, "/responseParameters/method.response.header.x-a", "'a'"),
		}}))
	if aws.ToString(ir.SelectionPattern) != `2\d{2}` || ir.ResponseTemplates["application/json"] != `{"ok": true}` || ir.ResponseParameters["method.response.header.x-a"] != "'a'" {
		t.Errorf("UpdateIntegrationResponse: got %+v", ir)
	}
	ir = testutil.Must[*apigw.UpdateIntegrationResponseOutput](t)(c.UpdateIntegrationResponse(ctx, &apigw.UpdateIntegrationResponseInput{
		RestApiId: api, ResourceId: res, HttpMethod: get, StatusCode: ok, PatchOperations: []types.PatchOperation{
			op(types.OpRemove, "/selectionPattern", ""), op(types.OpRemove, "/responseTemplates/application~1json", "")}}))
	if aws.ToString(ir.SelectionPattern) != "" || len(ir.ResponseTemplates) != 0 {
		t.Errorf("UpdateIntegrationResponse remove: got %+v", ir)
	}
	_, err := c.UpdateIntegrationResponse(ctx, &apigw.UpdateIntegrationResponseInput{RestApiId: api, ResourceId: res, HttpMethod: get, StatusCode: ok,
		PatchOperations: []types.PatchOperation{op(types.OpReplace, "/statusCode", "201")}})
	apiError(t, err, "BadRequestException", "Invalid patch path  '/statusCode' specified for op 'replace'. Must be one of: [/selectionPattern, /responseTemplates/{contentType}, /responseParameters/{name}, /contentHandling]")
	_, err = c.UpdateIntegrationResponse(ctx, &apigw.UpdateIntegrationResponseInput{RestApiId: api, ResourceId: res, HttpMethod: get, StatusCode: aws.String("404"),
		PatchOperations: []types.PatchOperation{op(types.OpRemove, "/selectionPattern", "")}})
	apiError(t, err, "NotFoundException", "Invalid Response status code specified")

	mr := testutil.Must[*apigw.UpdateMethodResponseOutput](t)(c.UpdateMethodResponse(ctx, &apigw.UpdateMethodResponseInput{
		RestApiId: api, ResourceId: res, HttpMethod: get, StatusCode: ok, PatchOperations: []types.PatchOperation{
			op(types.OpAdd, "/responseParameters/method.response.header.x-a", "true"),
			op(types.OpAdd, "/responseModels/application~1json", "Empty"),
		}}))
	if !mr.ResponseParameters["method.response.header.x-a"] || mr.ResponseModels["application/json"] != "Empty" {
		t.Errorf("UpdateMethodResponse: got %+v", mr)
	}
	mr = testutil.Must[*apigw.UpdateMethodResponseOutput](t)(c.UpdateMethodResponse(ctx, &apigw.UpdateMethodResponseInput{
		RestApiId: api, ResourceId: res, HttpMethod: get, StatusCode: ok, PatchOperations: []types.PatchOperation{
			op(types.OpRemove, "/responseParameters/method.response.header.x-a", ""), op(types.OpRemove, "/responseModels/application~1json", "")}}))
	if len(mr.ResponseParameters) != 0 || len(mr.ResponseModels) != 0 {
		t.Errorf("UpdateMethodResponse remove: got %+v", mr)
	}
	_, err = c.UpdateMethodResponse(ctx, &apigw.UpdateMethodResponseInput{RestApiId: api, ResourceId: res, HttpMethod: get, StatusCode: ok,
		PatchOperations: []types.PatchOperation{op(types.OpReplace, "/statusCode", "201")}})
	apiError(t, err, "BadRequestException", "Invalid patch path  '/statusCode' specified for op 'replace'. Must be one of: [/responseParameters/{name}, /responseModels/{contentType}]")
}

func TestUpdateDomainName(t *testing.T) {
	e := newEnv(t)
	ctx, c := e.ctx, e.v1
	e.walkthrough(t)
	// A second issued certificate for the domain, and one not issued.
	const other = "arn:aws:acm:us-west-2:000000000000:certificate/99999999-2222-4333-8444-555555555555"
	const pending = "arn:aws:acm:us-west-2:000000000000:certificate/88888888-2222-4333-8444-555555555555"
	for arn, status := range map[string]string{other: model.CertIssued, pending: model.CertPendingValidation} {
		cert := &model.Certificate{ARN: arn, DomainName: domain, Status: status}
		if _, err := store.Save(ctx, e.st, model.Key(model.KindCertificate, arn), cert, 0); err != nil {
			t.Fatal(err)
		}
	}
	update := func(ops ...types.PatchOperation) (*apigw.UpdateDomainNameOutput, error) {
		return c.UpdateDomainName(ctx, &apigw.UpdateDomainNameInput{DomainName: aws.String(domain), PatchOperations: ops})
	}
	d := testutil.Must[*apigw.UpdateDomainNameOutput](t)(update(op(types.OpReplace, "/regionalCertificateArn", other)))
	if aws.ToString(d.RegionalCertificateArn) != other {
		t.Errorf("regional certificate: got %q, want %q", aws.ToString(d.RegionalCertificateArn), other)
	}
	d = testutil.Must[*apigw.UpdateDomainNameOutput](t)(update(op(types.OpReplace, "/securityPolicy", "TLS_1_0")))
	if d.SecurityPolicy != types.SecurityPolicyTls10 {
		t.Errorf("security policy: got %q, want TLS_1_0", d.SecurityPolicy)
	}
	// REGIONAL → EDGE takes the edge certificate with it.
	d = testutil.Must[*apigw.UpdateDomainNameOutput](t)(update(op(types.OpReplace, "/endpointConfiguration/types/REGIONAL", "EDGE"),
		op(types.OpReplace, "/certificateArn", certARN)))
	if d.EndpointConfiguration.Types[0] != types.EndpointTypeEdge || aws.ToString(d.CertificateArn) != certARN || d.RegionalDomainName != nil {
		t.Errorf("to EDGE: got %+v", d)
	}
	got := testutil.Must[*apigw.GetDomainNameOutput](t)(c.GetDomainName(ctx, &apigw.GetDomainNameInput{DomainName: aws.String(domain)}))
	if aws.ToString(got.CertificateArn) != certARN || got.SecurityPolicy != types.SecurityPolicyTls10 {
		t.Errorf("GetDomainName after updates: got %+v", got)
	}
	for _, tc := range []struct {
		name      string
		ops       []types.PatchOperation
		code, msg string
	}{
		{"certificate not issued", []types.PatchOperation{op(types.OpReplace, "/certificateArn", pending)},
			"BadRequestException", "Certificate " + pending + " in account 000000000000 not yet issued"},
		{"no certificate for the new type", []types.PatchOperation{op(types.OpReplace, "/endpointConfiguration/types/EDGE", "REGIONAL")},
			"BadRequestException", "A certificate was not provided for the endpoint type REGIONAL."},
		{"bad security policy", []types.PatchOperation{op(types.OpReplace, "/securityPolicy", "TLS_9")},
			"BadRequestException", "Invalid value 'TLS_9' specified for /securityPolicy. Must be one of: TLS_1_0, TLS_1_2"},
		{"bad path", []types.PatchOperation{op(types.OpReplace, "/domainName", "x.example.test")},
			"BadRequestException", "Invalid patch path  '/domainName' specified for op 'replace'. Must be one of: " +
				"[/certificateArn, /regionalCertificateArn, /securityPolicy, /endpointConfiguration/types/{type}]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := update(tc.ops...)
			apiError(t, err, tc.code, tc.msg)
		})
	}
}

func TestUpdateAPIMapping(t *testing.T) {
	e := newEnv(t)
	ctx, c := e.ctx, e.v1
	id := e.walkthrough(t)
	dep := testutil.Must[*apigw.GetStageOutput](t)(c.GetStage(ctx, &apigw.GetStageInput{RestApiId: aws.String(id), StageName: aws.String("prod")})).DeploymentId
	testutil.Must[*apigw.CreateStageOutput](t)(c.CreateStage(ctx, &apigw.CreateStageInput{RestApiId: aws.String(id), StageName: aws.String("dev"), DeploymentId: dep}))
	ams := testutil.Must[*apigwv2.GetApiMappingsOutput](t)(e.v2.GetApiMappings(ctx, &apigwv2.GetApiMappingsInput{DomainName: aws.String(domain)}))
	mid := ams.Items[0].ApiMappingId
	out := testutil.Must[*apigwv2.UpdateApiMappingOutput](t)(e.v2.UpdateApiMapping(ctx, &apigwv2.UpdateApiMappingInput{DomainName: aws.String(domain),
		ApiMappingId: mid, ApiId: aws.String(id), Stage: aws.String("dev"), ApiMappingKey: aws.String("v1")}))
	if aws.ToString(out.Stage) != "dev" || aws.ToString(out.ApiMappingKey) != "v1" || aws.ToString(out.ApiMappingId) != *mid {
		t.Errorf("UpdateApiMapping: got stage %q key %q id %q, want dev v1 %s", aws.ToString(out.Stage), aws.ToString(out.ApiMappingKey), aws.ToString(out.ApiMappingId), *mid)
	}
	bpm := testutil.Must[*apigw.GetBasePathMappingOutput](t)(c.GetBasePathMapping(ctx, &apigw.GetBasePathMappingInput{DomainName: aws.String(domain), BasePath: aws.String("v1")}))
	if *bpm.Stage != "dev" {
		t.Errorf("base path mapping v1: got stage %q, want dev", *bpm.Stage)
	}
	_, err := e.v2.UpdateApiMapping(ctx, &apigwv2.UpdateApiMappingInput{DomainName: aws.String(domain), ApiMappingId: mid, ApiId: aws.String(id), Stage: aws.String("nope")})
	apiError(t, err, "BadRequestException", "Invalid stage identifier specified")
	_, err = e.v2.UpdateApiMapping(ctx, &apigwv2.UpdateApiMappingInput{DomainName: aws.String(domain), ApiMappingId: aws.String("zzzzzz"), ApiId: aws.String(id)})
	apiError(t, err, "NotFoundException", "Invalid API mapping identifier specified zzzzzz")
}
