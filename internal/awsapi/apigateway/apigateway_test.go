package apigateway_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	apigw "github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	apigwv2 "github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/smithy-go"

	"gatehouse/internal/awsapi/apigateway"
	"gatehouse/internal/awsapi/awsapitest"
	"gatehouse/internal/gateway"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
	"gatehouse/internal/testutil"
)

const (
	domain  = "api.example.test"
	certARN = "arn:aws:acm:us-west-2:000000000000:certificate/11111111-2222-4333-8444-555555555555"
	vpce    = "vpce-0123456789abcdef0"
	policy  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*"}]}`
)

// env starts the endpoint on a fresh store holding an issued certificate for
// the walkthrough's domain, and returns its URL and v1 and v2 clients.
type env struct {
	ctx context.Context
	url string
	v1  *apigw.Client
	v2  *apigwv2.Client
	st  store.Store // the gateway's store, for records other services own
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	st := store.NewMem()
	cert := &model.Certificate{ARN: certARN, DomainName: domain, Status: model.CertIssued}
	if _, err := store.Save(ctx, st, model.Key(model.KindCertificate, certARN), cert, 0); err != nil {
		t.Fatal(err)
	}
	url, cfg := awsapitest.Start(t, apigateway.New(gateway.New(gateway.Deps{Store: st})))
	return &env{ctx: ctx, url: url, v1: apigw.NewFromConfig(cfg), v2: apigwv2.NewFromConfig(cfg), st: st}
}

// apiError asserts that err is an API error with code and message.
func apiError(t testing.TB, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got %v, want %s", err, code)
	}
	if ae.ErrorCode() != code || ae.ErrorMessage() != msg {
		t.Errorf("got %s %q, want %s %q", ae.ErrorCode(), ae.ErrorMessage(), code, msg)
	}
}

// walkthrough runs step 3 and 4 of the reference walkthrough as a script
// does and returns the API id.
func (e *env) walkthrough(t testing.TB) string {
	t.Helper()
	ctx, c := e.ctx, e.v1
	api := testutil.Must[*apigw.CreateRestApiOutput](t)(c.CreateRestApi(ctx, &apigw.CreateRestApiInput{
		Name: aws.String("demo"),
		EndpointConfiguration: &types.EndpointConfiguration{
			Types: []types.EndpointType{types.EndpointTypePrivate}, VpcEndpointIds: []string{vpce}},
	}))
	if got := api.EndpointConfiguration.IpAddressType; got != types.IpAddressTypeDualstack {
		t.Errorf("a private API's ipAddressType: got %q, want dualstack (its only type)", got)
	}
	if api.Id == nil || len(*api.Id) != 10 || api.RootResourceId == nil || api.CreatedDate == nil {
		t.Fatalf("CreateRestApi: got %+v", api)
	}
	if got := api.EndpointConfiguration.Types; len(got) != 1 || got[0] != types.EndpointTypePrivate {
		t.Errorf("endpoint types: got %v", got)
	}
	res := testutil.Must[*apigw.GetResourcesOutput](t)(c.GetResources(ctx, &apigw.GetResourcesInput{RestApiId: api.Id}))
	if len(res.Items) != 1 || *res.Items[0].Path != "/" || *res.Items[0].Id != *api.RootResourceId {
		t.Fatalf("GetResources: got %+v", res.Items)
	}
	root := res.Items[0].Id
	m := testutil.Must[*apigw.PutMethodOutput](t)(c.PutMethod(ctx, &apigw.PutMethodInput{RestApiId: api.Id, ResourceId: root,
		HttpMethod: aws.String("GET"), AuthorizationType: aws.String("NONE")}))
	if *m.HttpMethod != "GET" || *m.AuthorizationType != "NONE" || m.ApiKeyRequired == nil || *m.ApiKeyRequired {
		t.Errorf("PutMethod: got %+v", m)
	}
	integ := testutil.Must[*apigw.PutIntegrationOutput](t)(c.PutIntegration(ctx, &apigw.PutIntegrationInput{RestApiId: api.Id, ResourceId: root,
		HttpMethod: aws.String("GET"), Type: types.IntegrationTypeMock,
		RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}}))
	if integ.Type != types.IntegrationTypeMock || integ.TimeoutInMillis != 29000 || *integ.PassthroughBehavior != "WHEN_NO_MATCH" {
		t.Errorf("PutIntegration: got %+v", integ)
	}
	mr := testutil.Must[*apigw.PutMethodResponseOutput](t)(c.PutMethodResponse(ctx, &apigw.PutMethodResponseInput{RestApiId: api.Id,
		ResourceId: root, HttpMethod: aws.String("GET"), StatusCode: aws.String("200")}))
	if aws.ToString(mr.StatusCode) != "200" {
		t.Errorf("PutMethodResponse: got %+v", mr)
	}
	ir := testutil.Must[*apigw.PutIntegrationResponseOutput](t)(c.PutIntegrationResponse(ctx, &apigw.PutIntegrationResponseInput{RestApiId: api.Id,
		ResourceId: root, HttpMethod: aws.String("GET"), StatusCode: aws.String("200")}))
	if aws.ToString(ir.StatusCode) != "200" {
		t.Errorf("PutIntegrationResponse: got %+v", ir)
	}

	// A private API cannot be deployed without a resource policy.
	_, err := c.CreateDeployment(ctx, &apigw.CreateDeploymentInput{RestApiId: api.Id, StageName: aws.String("prod")})
	apiError(t, err, "BadRequestException", "Private REST API doesn't have a resource policy attached to it")

	upd := testutil.Must[*apigw.UpdateRestApiOutput](t)(c.UpdateRestApi(ctx, &apigw.UpdateRestApiInput{RestApiId: api.Id,
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/policy"), Value: aws.String(policy)}}}))
	// As AWS returns it: the short resource form expanded to the API's ARN,
	// every quote escaped.
	wantPolicy := `{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",` +
		`\"Action\":\"execute-api:Invoke\",\"Resource\":\"arn:aws:execute-api:us-west-2:000000000000:` + aws.ToString(api.Id) + `/*\"}]}`
	if aws.ToString(upd.Policy) != wantPolicy {
		t.Errorf("policy: got %s, want %s", aws.ToString(upd.Policy), wantPolicy)
	}
	dep := testutil.Must[*apigw.CreateDeploymentOutput](t)(c.CreateDeployment(ctx, &apigw.CreateDeploymentInput{RestApiId: api.Id,
		StageName: aws.String("prod"), Description: aws.String("first")}))
	if dep.Id == nil || *dep.Description != "first" || dep.CreatedDate == nil {
		t.Errorf("CreateDeployment: got %+v", dep)
	}
	st := testutil.Must[*apigw.GetStageOutput](t)(c.GetStage(ctx, &apigw.GetStageInput{RestApiId: api.Id, StageName: aws.String("prod")}))
	if *st.DeploymentId != *dep.Id || *st.StageName != "prod" {
		t.Errorf("GetStage: got %+v", st)
	}

	dn := testutil.Must[*apigw.CreateDomainNameOutput](t)(c.CreateDomainName(ctx, &apigw.CreateDomainNameInput{
		DomainName: aws.String(domain), RegionalCertificateArn: aws.String(certARN),
		EndpointConfiguration: &types.EndpointConfiguration{Types: []types.EndpointType{types.EndpointTypeRegional}},
		SecurityPolicy:        types.SecurityPolicyTls12,
	}))
	if rd := aws.ToString(dn.RegionalDomainName); !strings.HasPrefix(rd, "d-") || !strings.HasSuffix(rd, ".execute-api.us-west-2.amazonaws.com") {
		t.Errorf("regionalDomainName: got %q", rd)
	}
	if aws.ToString(dn.RegionalHostedZoneId) != "Z2OJLYMUO9EFXC" || dn.DomainNameStatus != types.DomainNameStatusAvailable {
		t.Errorf("CreateDomainName: got zone %q status %q", aws.ToString(dn.RegionalHostedZoneId), dn.DomainNameStatus)
	}
	am := testutil.Must[*apigwv2.CreateApiMappingOutput](t)(e.v2.CreateApiMapping(ctx, &apigwv2.CreateApiMappingInput{
		DomainName: aws.String(domain), ApiId: api.Id, Stage: aws.String("prod")}))
	if aws.ToString(am.ApiMappingId) == "" || aws.ToString(am.ApiId) != *api.Id || aws.ToString(am.Stage) != "prod" {
		t.Errorf("CreateApiMapping: got %+v", am)
	}
	return *api.Id
}

func TestWalkthrough(t *testing.T) {
	e := newEnv(t)
	ctx, c := e.ctx, e.v1
	id := e.walkthrough(t)

	// What a script reads back.
	bpm := testutil.Must[*apigw.GetBasePathMappingsOutput](t)(c.GetBasePathMappings(ctx, &apigw.GetBasePathMappingsInput{DomainName: aws.String(domain)}))
	if len(bpm.Items) != 1 || *bpm.Items[0].BasePath != "(none)" || *bpm.Items[0].RestApiId != id || *bpm.Items[0].Stage != "prod" {
		t.Errorf("GetBasePathMappings: got %+v", bpm.Items)
	}
	ams := testutil.Must[*apigwv2.GetApiMappingsOutput](t)(e.v2.GetApiMappings(ctx, &apigwv2.GetApiMappingsInput{DomainName: aws.String(domain)}))
	if len(ams.Items) != 1 || *ams.Items[0].ApiId != id {
		t.Fatalf("GetApiMappings: got %+v", ams.Items)
	}
	one := testutil.Must[*apigwv2.GetApiMappingOutput](t)(e.v2.GetApiMapping(ctx, &apigwv2.GetApiMappingInput{DomainName: aws.String(domain), ApiMappingId: ams.Items[0].ApiMappingId}))
	if *one.Stage != "prod" {
		t.Errorf("GetApiMapping: got %+v", one)
	}
	// A second mapping on the empty base path is a conflict.
	_, err := c.CreateBasePathMapping(ctx, &apigw.CreateBasePathMappingInput{DomainName: aws.String(domain), RestApiId: aws.String(id), Stage: aws.String("prod")})
	apiError(t, err, "ConflictException", "Base path already exists for this domain name")

	full := testutil.Must[*apigw.GetResourcesOutput](t)(c.GetResources(ctx, &apigw.GetResourcesInput{RestApiId: aws.String(id), Embed: []string{"methods"}}))
	get := full.Items[0].ResourceMethods["GET"]
	if get.MethodIntegration == nil || get.MethodIntegration.Type != types.IntegrationTypeMock || get.MethodResponses["200"].StatusCode == nil {
		t.Errorf("GetResources embed=methods: got %+v", get)
	}

	// Clean-up, step 4: the domain name, then the API.
	testutil.Must[*apigw.DeleteDomainNameOutput](t)(c.DeleteDomainName(ctx, &apigw.DeleteDomainNameInput{DomainName: aws.String(domain)}))
	_, err = c.GetDomainName(ctx, &apigw.GetDomainNameInput{DomainName: aws.String(domain)})
	apiError(t, err, "NotFoundException", "Invalid domain name identifier specified")
	testutil.Must[*apigw.DeleteRestApiOutput](t)(c.DeleteRestApi(ctx, &apigw.DeleteRestApiInput{RestApiId: aws.String(id)}))
	_, err = c.GetRestApi(ctx, &apigw.GetRestApiInput{RestApiId: aws.String(id)})
	apiError(t, err, "NotFoundException", "Invalid API identifier specified 000000000000:"+id)
}

func TestUpdateRestAPI(t *testing.T) {
	e := newEnv(t)
	ctx, c := e.ctx, e.v1
	id := e.walkthrough(t)
	patch := func(ops ...types.PatchOperation) (*apigw.UpdateRestApiOutput, error) {
		return c.UpdateRestApi(ctx, &apigw.UpdateRestApiInput{RestApiId: aws.String(id), PatchOperations: ops})
	}
	op := func(o types.Op, path, value string) types.PatchOperation {
		return types.PatchOperation{Op: o, Path: aws.String(path), Value: aws.String(value)}
	}
	out := testutil.Must[*apigw.UpdateRestApiOutput](t)(patch(
		op(types.OpReplace, "/name", "renamed"),
		op(types.OpReplace, "/description", "the demo"),
		op(types.OpAdd, "/endpointConfiguration/vpcEndpointIds", "vpce-1111"),
	))
	if *out.Name != "renamed" || *out.Description != "the demo" || strings.Join(out.EndpointConfiguration.VpcEndpointIds, ",") != vpce+",vpce-1111" {
		t.Errorf("UpdateRestApi: got %+v %v", out, out.EndpointConfiguration.VpcEndpointIds)
	}
	out = testutil.Must[*apigw.UpdateRestApiOutput](t)(patch(op(types.OpRemove, "/endpointConfiguration/vpcEndpointIds", vpce)))
	if strings.Join(out.EndpointConfiguration.VpcEndpointIds, ",") != "vpce-1111" {
		t.Errorf("remove vpce: got %v", out.EndpointConfiguration.VpcEndpointIds)
	}
	for _, path := range []string{"/endpointConfiguration/types/PRIVATE", "/endpointConfiguration/types/0"} {
		out = testutil.Must[*apigw.UpdateRestApiOutput](t)(patch(op(types.OpReplace, path, "REGIONAL")))
		if got := out.EndpointConfiguration.Types; len(got) != 1 || got[0] != types.EndpointTypeRegional || len(out.EndpointConfiguration.VpcEndpointIds) != 0 {
			t.Errorf("%s: got %v %v", path, got, out.EndpointConfiguration.VpcEndpointIds)
		}
	}

	// Regional now, it keeps dualstack until told ipv4; private again, it is
	// dualstack again, and ipv4 is refused.
	if got := out.EndpointConfiguration.IpAddressType; got != types.IpAddressTypeDualstack {
		t.Errorf("ipAddressType after private → regional: got %q, want dualstack", got)
	}
	out = testutil.Must[*apigw.UpdateRestApiOutput](t)(patch(op(types.OpReplace, "/endpointConfiguration/ipAddressType", "ipv4")))
	if got := out.EndpointConfiguration.IpAddressType; got != types.IpAddressTypeIpv4 {
		t.Errorf("ipAddressType: got %q, want ipv4", got)
	}
	out = testutil.Must[*apigw.UpdateRestApiOutput](t)(patch(op(types.OpReplace, "/endpointConfiguration/types/REGIONAL", "PRIVATE")))
	if got := out.EndpointConfiguration.IpAddressType; got != types.IpAddressTypeDualstack {
		t.Errorf("ipAddressType after regional → private: got %q, want dualstack", got)
	}
	_, err := patch(op(types.OpReplace, "/endpointConfiguration/ipAddressType", "ipv4"))
	apiError(t, err, "BadRequestException", "Only dualstack ipAddressType is supported for Private APIs.")
	_, err = patch(op(types.OpReplace, "/endpointConfiguration/ipAddressType", "ipv6"))
	apiError(t, err, "BadRequestException", "ipAddressType must be either ipv4 or dualstack.")

	_, err = patch(op(types.OpReplace, "/nope", "x"))
	apiError(t, err, "BadRequestException", "Invalid patch path  '/nope' specified for op 'replace'. Must be one of: [/name, /description, /version, /policy, /apiKeySource, /disableExecuteApiEndpoint, /endpointConfiguration/types/{type}, /endpointConfiguration/vpcEndpointIds, /endpointConfiguration/ipAddressType, /binaryMediaTypes/{type}]")
	_, err = patch(op(types.OpReplace, "/policy", "{not json"))
	apiError(t, err, "BadRequestException", "Invalid policy document. Please check the policy syntax and ensure that Principals are valid.")
	_, err = c.UpdateRestApi(ctx, &apigw.UpdateRestApiInput{RestApiId: aws.String("abc")})
	apiError(t, err, "NotFoundException", "Invalid API identifier specified 000000000000:abc")
}

func TestStages(t *testing.T) {
	e := newEnv(t)
	ctx, c := e.ctx, e.v1
	id := e.walkthrough(t)
	patch := func(ops ...types.PatchOperation) (*apigw.UpdateStageOutput, error) {
		return c.UpdateStage(ctx, &apigw.UpdateStageInput{RestApiId: aws.String(id), StageName: aws.String("prod"), PatchOperations: ops})
	}
	op := func(o types.Op, path, value string) types.PatchOperation {
		return types.PatchOperation{Op: o, Path: aws.String(path), Value: aws.String(value)}
	}
	st := testutil.Must[*apigw.UpdateStageOutput](t)(patch(
		op(types.OpReplace, "/*/*/throttling/rateLimit", "100"),
		op(types.OpReplace, "/~1/GET/metrics/enabled", "true"),
		op(types.OpAdd, "/variables/backend", "example.test"),
		op(types.OpReplace, "/description", "production"),
	))
	all := st.MethodSettings["*/*"]
	if all.ThrottlingRateLimit != 100 || all.ThrottlingBurstLimit != 5000 || all.LoggingLevel == nil || *all.LoggingLevel != "OFF" {
		t.Errorf("*/*: got %+v", all)
	}
	if !st.MethodSettings["~1/GET"].MetricsEnabled || st.Variables["backend"] != "example.test" || *st.Description != "production" {
		t.Errorf("UpdateStage: got %+v", st)
	}
	st = testutil.Must[*apigw.UpdateStageOutput](t)(patch(op(types.OpRemove, "/variables/backend", ""), op(types.OpRemove, "/*/*", "")))
	if len(st.Variables) != 0 || len(st.MethodSettings) != 1 {
		t.Errorf("after remove: got variables %v settings %v", st.Variables, st.MethodSettings)
	}
	_, err := patch(op(types.OpRemove, "/*/*", ""))
	apiError(t, err, "BadRequestException", "Cannot remove method setting */* because there is no method setting for this method ")
	_, err = patch(op(types.OpReplace, "/*/*/throttling/nope", "1"))
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "BadRequestException" || !strings.HasPrefix(ae.ErrorMessage(), "Invalid method setting path: /*/*/throttling/nope. Must be one of: [/deploymentId, ") {
		t.Errorf("bad path: got %v", err)
	}

	// A second stage on the same deployment, listed and filtered.
	stages := testutil.Must[*apigw.GetStagesOutput](t)(c.GetStages(ctx, &apigw.GetStagesInput{RestApiId: aws.String(id)}))
	dep := stages.Item[0].DeploymentId
	testutil.Must[*apigw.CreateStageOutput](t)(c.CreateStage(ctx, &apigw.CreateStageInput{RestApiId: aws.String(id), StageName: aws.String("dev"),
		DeploymentId: dep, Variables: map[string]string{"v": "1"}, Tags: map[string]string{"team": "a"}}))
	_, err = c.CreateStage(ctx, &apigw.CreateStageInput{RestApiId: aws.String(id), StageName: aws.String("dev"), DeploymentId: dep})
	apiError(t, err, "ConflictException", "Stage already exists")
	stages = testutil.Must[*apigw.GetStagesOutput](t)(c.GetStages(ctx, &apigw.GetStagesInput{RestApiId: aws.String(id), DeploymentId: dep}))
	if len(stages.Item) != 2 {
		t.Errorf("GetStages: got %d stages, want 2", len(stages.Item))
	}
	// The mapped stage cannot go; the other can.
	_, err = c.DeleteStage(ctx, &apigw.DeleteStageInput{RestApiId: aws.String(id), StageName: aws.String("prod")})
	apiError(t, err, "BadRequestException", "Deleting stage prod failed. Please remove all base path mappings related to the stage in your domains.")
	testutil.Must[*apigw.DeleteStageOutput](t)(c.DeleteStage(ctx, &apigw.DeleteStageInput{RestApiId: aws.String(id), StageName: aws.String("dev")}))
	_, err = c.GetStage(ctx, &apigw.GetStageInput{RestApiId: aws.String(id), StageName: aws.String("dev")})
	apiError(t, err, "NotFoundException", "Invalid Stage identifier specified")
}

func TestDeploymentsAndMethods(t *testing.T) {
	e := newEnv(t)
	ctx, c := e.ctx, e.v1
	id := e.walkthrough(t)
	api := testutil.Must[*apigw.GetRestApiOutput](t)(c.GetRestApi(ctx, &apigw.GetRestApiInput{RestApiId: aws.String(id)}))
	root := api.RootResourceId
	pets := testutil.Must[*apigw.CreateResourceOutput](t)(c.CreateResource(ctx, &apigw.CreateResourceInput{RestApiId: api.Id, ParentId: root, PathPart: aws.String("pets")}))
	if *pets.Path != "/pets" || *pets.ParentId != *root {
		t.Errorf("CreateResource: got %+v", pets)
	}
	testutil.Must[*apigw.PutMethodOutput](t)(c.PutMethod(ctx, &apigw.PutMethodInput{RestApiId: api.Id, ResourceId: pets.Id, HttpMethod: aws.String("POST"), AuthorizationType: aws.String("NONE")}))
	m := testutil.Must[*apigw.UpdateMethodOutput](t)(c.UpdateMethod(ctx, &apigw.UpdateMethodInput{RestApiId: api.Id, ResourceId: pets.Id, HttpMethod: aws.String("POST"),
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/apiKeyRequired"), Value: aws.String("true")},
			{Op: types.OpAdd, Path: aws.String("/requestParameters/method.request.header.x-id"), Value: aws.String("true")}}}))
	if !*m.ApiKeyRequired || !m.RequestParameters["method.request.header.x-id"] {
		t.Errorf("UpdateMethod: got %+v", m)
	}
	_, err := c.CreateDeployment(ctx, &apigw.CreateDeploymentInput{RestApiId: api.Id})
	apiError(t, err, "BadRequestException", "No integration defined for method")
	testutil.Must[*apigw.PutIntegrationOutput](t)(c.PutIntegration(ctx, &apigw.PutIntegrationInput{RestApiId: api.Id, ResourceId: pets.Id, HttpMethod: aws.String("POST"),
		Type: types.IntegrationTypeHttpProxy, IntegrationHttpMethod: aws.String("POST"), Uri: aws.String("https://backend.example.test/pets")}))
	got := testutil.Must[*apigw.GetIntegrationOutput](t)(c.GetIntegration(ctx, &apigw.GetIntegrationInput{RestApiId: api.Id, ResourceId: pets.Id, HttpMethod: aws.String("POST")}))
	if *got.HttpMethod != "POST" || *got.Uri != "https://backend.example.test/pets" || *got.CacheNamespace != *pets.Id {
		t.Errorf("GetIntegration: got %+v", got)
	}
	d2 := testutil.Must[*apigw.CreateDeploymentOutput](t)(c.CreateDeployment(ctx, &apigw.CreateDeploymentInput{RestApiId: api.Id, StageName: aws.String("prod"),
		Variables: map[string]string{"color": "blue"}}))
	deps := testutil.Must[*apigw.GetDeploymentsOutput](t)(c.GetDeployments(ctx, &apigw.GetDeploymentsInput{RestApiId: api.Id}))
	if len(deps.Items) != 2 {
		t.Fatalf("GetDeployments: got %+v", deps.Items)
	}
	first := deps.Items[0].Id // created in the same second: either order
	if *first == *d2.Id {
		first = deps.Items[1].Id
	}
	st := testutil.Must[*apigw.GetStageOutput](t)(c.GetStage(ctx, &apigw.GetStageInput{RestApiId: api.Id, StageName: aws.String("prod")}))
	if *st.DeploymentId != *d2.Id || st.Variables["color"] != "blue" {
		t.Errorf("stage after redeploy: got %+v", st)
	}
	_, err = c.DeleteDeployment(ctx, &apigw.DeleteDeploymentInput{RestApiId: api.Id, DeploymentId: d2.Id})
	apiError(t, err, "BadRequestException", "Active stages pointing to this deployment must be moved or deleted")
	testutil.Must[*apigw.DeleteDeploymentOutput](t)(c.DeleteDeployment(ctx, &apigw.DeleteDeploymentInput{RestApiId: api.Id, DeploymentId: first}))
	_, err = c.GetDeployment(ctx, &apigw.GetDeploymentInput{RestApiId: api.Id, DeploymentId: first})
	apiError(t, err, "NotFoundException", "Invalid Deployment identifier specified")

	// Responses and deletes, innermost first.
	mr := testutil.Must[*apigw.GetMethodResponseOutput](t)(c.GetMethodResponse(ctx, &apigw.GetMethodResponseInput{RestApiId: api.Id, ResourceId: root, HttpMethod: aws.String("GET"), StatusCode: aws.String("200")}))
	if *mr.StatusCode != "200" {
		t.Errorf("GetMethodResponse: got %+v", mr)
	}
	ir := testutil.Must[*apigw.GetIntegrationResponseOutput](t)(c.GetIntegrationResponse(ctx, &apigw.GetIntegrationResponseInput{RestApiId: api.Id, ResourceId: root, HttpMethod: aws.String("GET"), StatusCode: aws.String("200")}))
	if aws.ToString(ir.StatusCode) != "200" {
		t.Errorf("GetIntegrationResponse: got %+v", ir)
	}
	testutil.Must[*apigw.DeleteIntegrationResponseOutput](t)(c.DeleteIntegrationResponse(ctx, &apigw.DeleteIntegrationResponseInput{RestApiId: api.Id, ResourceId: root, HttpMethod: aws.String("GET"), StatusCode: aws.String("200")}))
	_, err = c.GetIntegrationResponse(ctx, &apigw.GetIntegrationResponseInput{RestApiId: api.Id, ResourceId: root, HttpMethod: aws.String("GET"), StatusCode: aws.String("200")})
	apiError(t, err, "NotFoundException", "Invalid Response status code specified")
	testutil.Must[*apigw.DeleteMethodResponseOutput](t)(c.DeleteMethodResponse(ctx, &apigw.DeleteMethodResponseInput{RestApiId: api.Id, ResourceId: root, HttpMethod: aws.String("GET"), StatusCode: aws.String("200")}))
	testutil.Must[*apigw.DeleteIntegrationOutput](t)(c.DeleteIntegration(ctx, &apigw.DeleteIntegrationInput{RestApiId: api.Id, ResourceId: root, HttpMethod: aws.String("GET")}))
	_, err = c.GetIntegration(ctx, &apigw.GetIntegrationInput{RestApiId: api.Id, ResourceId: root, HttpMethod: aws.String("GET")})
	apiError(t, err, "NotFoundException", "Invalid Integration identifier specified")
	testutil.Must[*apigw.DeleteMethodOutput](t)(c.DeleteMethod(ctx, &apigw.DeleteMethodInput{RestApiId: api.Id, ResourceId: root, HttpMethod: aws.String("GET")}))
	_, err = c.GetMethod(ctx, &apigw.GetMethodInput{RestApiId: api.Id, ResourceId: root, HttpMethod: aws.String("GET")})
	apiError(t, err, "NotFoundException", "Invalid Method identifier specified")
	testutil.Must[*apigw.DeleteResourceOutput](t)(c.DeleteResource(ctx, &apigw.DeleteResourceInput{RestApiId: api.Id, ResourceId: pets.Id}))
	_, err = c.GetResource(ctx, &apigw.GetResourceInput{RestApiId: api.Id, ResourceId: pets.Id})
	apiError(t, err, "NotFoundException", "Invalid Resource identifier specified")
}

func TestBasePathMappings(t *testing.T) {
	e := newEnv(t)
	ctx, c := e.ctx, e.v1
	id := e.walkthrough(t)
	ams := testutil.Must[*apigwv2.GetApiMappingsOutput](t)(e.v2.GetApiMappings(ctx, &apigwv2.GetApiMappingsInput{DomainName: aws.String(domain)}))
	testutil.Must[*apigwv2.DeleteApiMappingOutput](t)(e.v2.DeleteApiMapping(ctx, &apigwv2.DeleteApiMappingInput{DomainName: aws.String(domain), ApiMappingId: ams.Items[0].ApiMappingId}))
	_, err := e.v2.GetApiMapping(ctx, &apigwv2.GetApiMappingInput{DomainName: aws.String(domain), ApiMappingId: ams.Items[0].ApiMappingId})
	apiError(t, err, "NotFoundException", "Invalid API mapping identifier specified "+*ams.Items[0].ApiMappingId)

	m := testutil.Must[*apigw.CreateBasePathMappingOutput](t)(c.CreateBasePathMapping(ctx, &apigw.CreateBasePathMappingInput{
		DomainName: aws.String(domain), BasePath: aws.String("v1"), RestApiId: aws.String(id), Stage: aws.String("prod")}))
	if *m.BasePath != "v1" {
		t.Errorf("CreateBasePathMapping: got %+v", m)
	}
	_, err = c.CreateBasePathMapping(ctx, &apigw.CreateBasePathMappingInput{DomainName: aws.String(domain), BasePath: aws.String("v1"), RestApiId: aws.String(id)})
	apiError(t, err, "ConflictException", "Base path already exists for this domain name")
	_, err = c.CreateBasePathMapping(ctx, &apigw.CreateBasePathMappingInput{DomainName: aws.String(domain), BasePath: aws.String("v2"), RestApiId: aws.String("nope")})
	apiError(t, err, "BadRequestException", "Invalid REST API identifier specified")
	u := testutil.Must[*apigw.UpdateBasePathMappingOutput](t)(c.UpdateBasePathMapping(ctx, &apigw.UpdateBasePathMappingInput{DomainName: aws.String(domain), BasePath: aws.String("v1"),
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/basePath"), Value: aws.String("v2")}}}))
	if *u.BasePath != "v2" || *u.Stage != "prod" {
		t.Errorf("UpdateBasePathMapping: got %+v", u)
	}
	_, err = c.GetBasePathMapping(ctx, &apigw.GetBasePathMappingInput{DomainName: aws.String(domain), BasePath: aws.String("v1")})
	apiError(t, err, "NotFoundException", "Invalid base path mapping identifier specified")
	testutil.Must[*apigw.DeleteBasePathMappingOutput](t)(c.DeleteBasePathMapping(ctx, &apigw.DeleteBasePathMappingInput{DomainName: aws.String(domain), BasePath: aws.String("v2")}))
	list := testutil.Must[*apigw.GetBasePathMappingsOutput](t)(c.GetBasePathMappings(ctx, &apigw.GetBasePathMappingsInput{DomainName: aws.String(domain)}))
	if len(list.Items) != 0 {
		t.Errorf("after delete: got %+v", list.Items)
	}
	// A multi-level base path travels as one escaped path segment.
	testutil.Must[*apigw.CreateBasePathMappingOutput](t)(c.CreateBasePathMapping(ctx, &apigw.CreateBasePathMappingInput{
		DomainName: aws.String(domain), BasePath: aws.String("v1/users"), RestApiId: aws.String(id), Stage: aws.String("prod")}))
	ml := testutil.Must[*apigw.GetBasePathMappingOutput](t)(c.GetBasePathMapping(ctx, &apigw.GetBasePathMappingInput{DomainName: aws.String(domain), BasePath: aws.String("v1/users")}))
	if *ml.BasePath != "v1/users" {
		t.Errorf("multi-level GetBasePathMapping: got %+v", ml)
	}
	testutil.Must[*apigw.DeleteBasePathMappingOutput](t)(c.DeleteBasePathMapping(ctx, &apigw.DeleteBasePathMappingInput{DomainName: aws.String(domain), BasePath: aws.String("v1/users")}))
	doms := testutil.Must[*apigw.GetDomainNamesOutput](t)(c.GetDomainNames(ctx, &apigw.GetDomainNamesInput{}))
	if len(doms.Items) != 1 || *doms.Items[0].DomainName != domain {
		t.Errorf("GetDomainNames: got %+v", doms.Items)
	}
}

func TestGatewayResponses(t *testing.T) {
	e := newEnv(t)
	ctx, c := e.ctx, e.v1
	id := aws.String(e.walkthrough(t))
	all := testutil.Must[*apigw.GetGatewayResponsesOutput](t)(c.GetGatewayResponses(ctx, &apigw.GetGatewayResponsesInput{RestApiId: id, Limit: aws.Int32(500)}))
	if len(all.Items) != 21 {
		t.Fatalf("GetGatewayResponses: got %d, want the 21 defaults", len(all.Items))
	}
	def := testutil.Must[*apigw.GetGatewayResponseOutput](t)(c.GetGatewayResponse(ctx, &apigw.GetGatewayResponseInput{RestApiId: id, ResponseType: types.GatewayResponseTypeAccessDenied}))
	if !def.DefaultResponse || *def.StatusCode != "403" || def.ResponseTemplates["application/json"] != `{"message":$context.error.messageString}` {
		t.Errorf("default ACCESS_DENIED: got %+v", def)
	}
	put := testutil.Must[*apigw.PutGatewayResponseOutput](t)(c.PutGatewayResponse(ctx, &apigw.PutGatewayResponseInput{RestApiId: id,
		ResponseType: types.GatewayResponseTypeMissingAuthenticationToken, StatusCode: aws.String("404"),
		ResponseParameters: map[string]string{"gatewayresponse.header.x-why": "'gone'"},
		ResponseTemplates:  map[string]string{"application/json": `{"error":"not here"}`}}))
	if put.DefaultResponse || *put.StatusCode != "404" {
		t.Errorf("PutGatewayResponse: got %+v", put)
	}
	got := testutil.Must[*apigw.GetGatewayResponseOutput](t)(c.GetGatewayResponse(ctx, &apigw.GetGatewayResponseInput{RestApiId: id, ResponseType: types.GatewayResponseTypeMissingAuthenticationToken}))
	if got.DefaultResponse || got.ResponseParameters["gatewayresponse.header.x-why"] != "'gone'" {
		t.Errorf("GetGatewayResponse: got %+v", got)
	}
	testutil.Must[*apigw.DeleteGatewayResponseOutput](t)(c.DeleteGatewayResponse(ctx, &apigw.DeleteGatewayResponseInput{RestApiId: id, ResponseType: types.GatewayResponseTypeMissingAuthenticationToken}))
	_, err := c.DeleteGatewayResponse(ctx, &apigw.DeleteGatewayResponseInput{RestApiId: id, ResponseType: types.GatewayResponseTypeMissingAuthenticationToken})
	apiError(t, err, "NotFoundException", "Gateway response type not defined on api")
}

func TestTags(t *testing.T) {
	e := newEnv(t)
	ctx, c := e.ctx, e.v1
	id := e.walkthrough(t)
	for _, arn := range []string{
		"arn:aws:apigateway:us-west-2::/restapis/" + id,
		"arn:aws:apigateway:us-west-2::/restapis/" + id + "/stages/prod",
		"arn:aws:apigateway:us-west-2::/domainnames/" + domain,
	} {
		testutil.Must[*apigw.TagResourceOutput](t)(c.TagResource(ctx, &apigw.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"env": "test", "team": "edge"}}))
		testutil.Must[*apigw.UntagResourceOutput](t)(c.UntagResource(ctx, &apigw.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"team"}}))
		tags := testutil.Must[*apigw.GetTagsOutput](t)(c.GetTags(ctx, &apigw.GetTagsInput{ResourceArn: aws.String(arn)}))
		if len(tags.Tags) != 1 || tags.Tags["env"] != "test" {
			t.Errorf("%s: got tags %v", arn, tags.Tags)
		}
	}
	api := testutil.Must[*apigw.GetRestApiOutput](t)(c.GetRestApi(ctx, &apigw.GetRestApiInput{RestApiId: aws.String(id)}))
	if api.Tags["env"] != "test" {
		t.Errorf("GetRestApi tags: got %v", api.Tags)
	}
	_, err := c.GetTags(ctx, &apigw.GetTagsInput{ResourceArn: aws.String("arn:aws:apigateway:us-west-2::/restapis/nope")})
	apiError(t, err, "NotFoundException", "Invalid API identifier specified 000000000000:nope")
}

// createAPIs creates n REST APIs named apia, apib, ….
func (e *env) createAPIs(t *testing.T, n int) {
	t.Helper()
	for i := range n {
		testutil.Must[*apigw.CreateRestApiOutput](t)(e.v1.CreateRestApi(e.ctx, &apigw.CreateRestApiInput{Name: aws.String("api" + string(rune('a'+i)))}))
	}
}

func TestPagination(t *testing.T) {
	e := newEnv(t)
	ctx, c := e.ctx, e.v1
	e.createAPIs(t, 7)
	seen := map[string]bool{}
	pages := 0
	p := apigw.NewGetRestApisPaginator(c, &apigw.GetRestApisInput{Limit: aws.Int32(3)})
	for p.HasMorePages() {
		out := testutil.Must[*apigw.GetRestApisOutput](t)(p.NextPage(ctx))
		pages++
		for _, a := range out.Items {
			seen[*a.Id] = true
		}
	}
	if pages != 3 || len(seen) != 7 {
		t.Errorf("paginated GetRestApis: got %d pages, %d apis; want 3 pages, 7 apis", pages, len(seen))
	}
	_, err := c.GetRestApis(ctx, &apigw.GetRestApisInput{Limit: aws.Int32(501)})
	apiError(t, err, "BadRequestException", "Invalid limit specified: 501. It must be between 1 and 500")
}

// A page token names where the page ended, not how many items came before:
// deleting the items already listed does not make the next page skip any.
func TestPaginationAfterDelete(t *testing.T) {
	e := newEnv(t)
	ctx, c := e.ctx, e.v1
	e.createAPIs(t, 7)
	all := testutil.Must[*apigw.GetRestApisOutput](t)(c.GetRestApis(ctx, &apigw.GetRestApisInput{}))
	var ids []string
	for _, a := range all.Items {
		ids = append(ids, *a.Id)
	}
	first := testutil.Must[*apigw.GetRestApisOutput](t)(c.GetRestApis(ctx, &apigw.GetRestApisInput{Limit: aws.Int32(3)}))
	for _, a := range first.Items {
		testutil.Must[*apigw.DeleteRestApiOutput](t)(c.DeleteRestApi(ctx, &apigw.DeleteRestApiInput{RestApiId: a.Id}))
	}
	second := testutil.Must[*apigw.GetRestApisOutput](t)(c.GetRestApis(ctx, &apigw.GetRestApisInput{Limit: aws.Int32(3), Position: first.Position}))
	var got []string
	for _, a := range second.Items {
		got = append(got, *a.Id)
	}
	if want := ids[3:6]; !slices.Equal(got, want) {
		t.Errorf("second page after deleting the first: got %v, want %v", got, want)
	}
	_, err := c.GetRestApis(ctx, &apigw.GetRestApisInput{Position: aws.String("not a token!")})
	apiError(t, err, "BadRequestException", "Invalid position specified: not a token!")
}
