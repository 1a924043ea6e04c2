package apigateway_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	apigw "github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"

	"gatehouse/internal/awsapi/awsapitest"
	"gatehouse/internal/model"
	"gatehouse/internal/testutil"
)

// tooLong and tooMany are gatehouse's refusals of a field over its limit
// (not recorded from AWS, see gateway/limits.go).
func tooLong(field string, max int, unit string) string {
	return fmt.Sprintf("Invalid %s specified: must be at most %d %s long", field, max, unit)
}

func tooMany(field string, max int) string {
	return fmt.Sprintf("Invalid %s specified: at most %d are allowed", field, max)
}

// badVariableName and badVariableValue are AWS's refusals of a stage
// variable (see gateway/stages.go), which gatehouse also gives for one over
// its length.
func badVariableName(name string) string {
	return "Invalid stage variable name: " + name + ".  Please use names with only word characters."
}

func badVariableValue(value string) string {
	return "Invalid stage variable value: " + model.Clip(value) +
		".  Please use values with alphanumeric characters and the symbols ' ', -', '.', '_', ':', '/', '?', '&', '=', and ','."
}

// TestLimits: every limited field of every API Gateway operation, one over
// the limit (refused with 400 BadRequestException and its message) and at it
// (accepted by the check; later checks may still refuse, as noted).
func TestLimits(t *testing.T) {
	e := newEnv(t)
	ctx, c := e.ctx, e.v1
	id := e.walkthrough(t)
	api := aws.String(id)
	res := testutil.Must[*apigw.GetResourcesOutput](t)(c.GetResources(ctx, &apigw.GetResourcesInput{RestApiId: api}))
	root := res.Items[0].Id
	testutil.Must[*apigw.CreateDomainNameOutput](t)(c.CreateDomainName(ctx, &apigw.CreateDomainNameInput{
		DomainName: aws.String("limits.example.test"), RegionalCertificateArn: aws.String(certARN),
		EndpointConfiguration: &types.EndpointConfiguration{Types: []types.EndpointType{types.EndpointTypeRegional}},
	}))

	long := awsapitest.Long
	megabyte := long(1 << 20)
	// policyOf is a valid resource policy of exactly n characters (JSON
	// whitespace pads it).
	policyOf := func(n int) string { return policy + strings.Repeat(" ", n-len(policy)) }
	entries := func(n, keyLen, valueLen int) map[string]string {
		m := make(map[string]string, n)
		for i := range n {
			k := fmt.Sprintf("k%d", i)
			m[k+strings.Repeat("k", max(keyLen-len(k), 0))] = strings.Repeat("v", valueLen)
		}
		return m
	}
	flags := func(n, keyLen int) map[string]bool {
		m := make(map[string]bool, n)
		for k := range entries(n, keyLen, 0) {
			m["method.request.header."+k[:max(keyLen-len("method.request.header."), 1)]] = true
		}
		return m
	}
	variables := func(n, keyLen, valueLen int) map[string]string {
		m := make(map[string]string, n)
		for i := range n {
			k := fmt.Sprintf("v%d", i)
			m[k+strings.Repeat("v", max(keyLen-len(k), 0))] = strings.Repeat("x", valueLen)
		}
		return m
	}
	replace := func(path, value string) types.PatchOperation {
		return types.PatchOperation{Op: types.OpReplace, Path: aws.String(path), Value: aws.String(value)}
	}
	ops := func(n int, op types.PatchOperation) []types.PatchOperation {
		out := make([]types.PatchOperation, n)
		for i := range out {
			out[i] = op
		}
		return out
	}
	createAPI := func(in apigw.CreateRestApiInput) func() error {
		if in.Name == nil {
			in.Name = aws.String("limits")
		}
		return func() error { _, err := c.CreateRestApi(ctx, &in); return err }
	}
	updateAPI := func(ops ...types.PatchOperation) func() error {
		return func() error {
			_, err := c.UpdateRestApi(ctx, &apigw.UpdateRestApiInput{RestApiId: api, PatchOperations: ops})
			return err
		}
	}
	createResource := func(parent *string, part string) (*string, error) {
		r, err := c.CreateResource(ctx, &apigw.CreateResourceInput{RestApiId: api, ParentId: parent, PathPart: aws.String(part)})
		if err != nil {
			return nil, err
		}
		return r.Id, nil
	}
	// deep creates 7 nested resources of 1024 characters under the root
	// (a path of 7×1025 = 7175 characters) and returns the deepest.
	var deepest *string
	deep := func() (*string, error) {
		if deepest != nil {
			return deepest, nil
		}
		parent := root
		for i := range 7 {
			id, err := createResource(parent, fmt.Sprintf("%d", i)+long(1023))
			if err != nil {
				return nil, err
			}
			parent = id
		}
		deepest = parent
		return parent, nil
	}
	// putMethod puts a method and, once accepted, deletes it again: a method
	// without an integration would stop the deployments below.
	putMethod := func(verb string, in apigw.PutMethodInput) func() error {
		in.RestApiId, in.ResourceId, in.HttpMethod, in.AuthorizationType = api, root, aws.String(verb), aws.String("NONE")
		return func() error {
			if _, err := c.PutMethod(ctx, &in); err != nil {
				return err
			}
			_, err := c.DeleteMethod(ctx, &apigw.DeleteMethodInput{RestApiId: api, ResourceId: root, HttpMethod: aws.String(verb)})
			return err
		}
	}
	putIntegration := func(in apigw.PutIntegrationInput) func() error {
		in.RestApiId, in.ResourceId, in.HttpMethod = api, root, aws.String("GET")
		if in.Type == "" {
			in.Type = types.IntegrationTypeMock
		}
		return func() error { _, err := c.PutIntegration(ctx, &in); return err }
	}
	putIntegrationResponse := func(in apigw.PutIntegrationResponseInput) func() error {
		in.RestApiId, in.ResourceId, in.HttpMethod, in.StatusCode = api, root, aws.String("GET"), aws.String("200")
		return func() error { _, err := c.PutIntegrationResponse(ctx, &in); return err }
	}
	putMethodResponse := func(in apigw.PutMethodResponseInput) func() error {
		in.RestApiId, in.ResourceId, in.HttpMethod, in.StatusCode = api, root, aws.String("GET"), aws.String("201")
		return func() error { _, err := c.PutMethodResponse(ctx, &in); return err }
	}
	createDeployment := func(in apigw.CreateDeploymentInput) func() error {
		in.RestApiId = api
		return func() error { _, err := c.CreateDeployment(ctx, &in); return err }
	}
	deploymentID := func() *string {
		d := testutil.Must[*apigw.GetDeploymentsOutput](t)(c.GetDeployments(ctx, &apigw.GetDeploymentsInput{RestApiId: api}))
		return d.Items[0].Id
	}
	createStage := func(name string, in apigw.CreateStageInput) func() error {
		return func() error {
			in.RestApiId, in.StageName, in.DeploymentId = api, aws.String(name), deploymentID()
			_, err := c.CreateStage(ctx, &in)
			return err
		}
	}
	updateStage := func(ops ...types.PatchOperation) func() error {
		return func() error {
			_, err := c.UpdateStage(ctx, &apigw.UpdateStageInput{RestApiId: api, StageName: aws.String("prod"), PatchOperations: ops})
			return err
		}
	}
	putGatewayResponse := func(in apigw.PutGatewayResponseInput) func() error {
		in.RestApiId, in.ResponseType = api, types.GatewayResponseTypeDefault4xx
		return func() error { _, err := c.PutGatewayResponse(ctx, &in); return err }
	}
	createDomain := func(name, arn string, tags map[string]string) func() error {
		return func() error {
			_, err := c.CreateDomainName(ctx, &apigw.CreateDomainNameInput{DomainName: aws.String(name), RegionalCertificateArn: aws.String(arn), Tags: tags,
				EndpointConfiguration: &types.EndpointConfiguration{Types: []types.EndpointType{types.EndpointTypeRegional}}})
			return err
		}
	}
	createMapping := func(basePath, stage string) func() error {
		return func() error {
			_, err := c.CreateBasePathMapping(ctx, &apigw.CreateBasePathMappingInput{DomainName: aws.String("limits.example.test"),
				BasePath: aws.String(basePath), RestApiId: api, Stage: aws.String(stage)})
			return err
		}
	}
	arn := "arn:aws:apigateway:us-west-2::/restapis/" + id
	tagResource := func(tags map[string]string) func() error {
		return func() error {
			_, err := c.TagResource(ctx, &apigw.TagResourceInput{ResourceArn: aws.String(arn), Tags: tags})
			return err
		}
	}
	untagResource := func(keys []string) func() error {
		return func() error {
			_, err := c.UntagResource(ctx, &apigw.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: keys})
			return err
		}
	}
	// domainOf is a valid domain name of n characters.
	domainOf := func(n int) string { return awsapitest.DomainOf(n, "example.test", 'd') }
	certARNOf := func(n int) string {
		p := "arn:aws:acm:us-west-2:000000000000:certificate/"
		return p + long(n-len(p))
	}
	template := func(n int) map[string]string { return map[string]string{"application/json": strings.Repeat("t", n)} }
	const bad = "BadRequestException"

	checks := []struct {
		name string
		call func() error
		// msg is the 400 BadRequestException's message; "" means the call must succeed.
		msg string
	}{
		{"CreateRestApi name at 1024", createAPI(apigw.CreateRestApiInput{Name: aws.String(long(1024))}), ""},
		{"CreateRestApi name over 1024", createAPI(apigw.CreateRestApiInput{Name: aws.String(long(1025))}), tooLong("name", 1024, "characters")},
		{"CreateRestApi name of a megabyte", createAPI(apigw.CreateRestApiInput{Name: aws.String(megabyte)}), tooLong("name", 1024, "characters")},
		{"CreateRestApi description at 4096", createAPI(apigw.CreateRestApiInput{Description: aws.String(long(4096))}), ""},
		{"CreateRestApi description over 4096", createAPI(apigw.CreateRestApiInput{Description: aws.String(long(4097))}), tooLong("description", 4096, "characters")},
		{"CreateRestApi version over 1024", createAPI(apigw.CreateRestApiInput{Version: aws.String(long(1025))}), tooLong("version", 1024, "characters")},
		{"CreateRestApi policy at 8192", createAPI(apigw.CreateRestApiInput{Policy: aws.String(policyOf(8192))}), ""},
		{"CreateRestApi policy over 8192", createAPI(apigw.CreateRestApiInput{Policy: aws.String(policyOf(8193))}), tooLong("policy", 8192, "characters")},
		{"CreateRestApi tags at 50, keys at 128, values at 256", createAPI(apigw.CreateRestApiInput{Tags: entries(50, 128, 256)}), ""},
		{"CreateRestApi tags over 50", createAPI(apigw.CreateRestApiInput{Tags: entries(51, 1, 1)}), "A resource can have at most 50 tags"},
		{"CreateRestApi tag key over 128", createAPI(apigw.CreateRestApiInput{Tags: entries(1, 129, 1)}), fmt.Sprintf("Invalid tag key or value: %q", "k0"+strings.Repeat("k", 126)+"...")},
		{"CreateRestApi tag value over 256", createAPI(apigw.CreateRestApiInput{Tags: entries(1, 1, 257)}), fmt.Sprintf("Invalid tag key or value: %q", "k0")},
		{"CreateRestApi vpcEndpointIds at 100", createAPI(apigw.CreateRestApiInput{EndpointConfiguration: &types.EndpointConfiguration{
			Types: []types.EndpointType{types.EndpointTypePrivate}, VpcEndpointIds: vpces(100)}}), ""},
		{"CreateRestApi vpcEndpointIds over 100", createAPI(apigw.CreateRestApiInput{EndpointConfiguration: &types.EndpointConfiguration{
			Types: []types.EndpointType{types.EndpointTypePrivate}, VpcEndpointIds: vpces(101)}}), tooMany("vpcEndpointIds", 100)},
		{"UpdateRestApi 500 patch operations", updateAPI(ops(500, replace("/description", "d"))...), ""},
		{"UpdateRestApi 501 patch operations", updateAPI(ops(501, replace("/description", "d"))...), tooMany("patch operations", 500)},
		{"UpdateRestApi patch path of a megabyte", updateAPI(replace("/"+megabyte, "x")), tooLong("patch path", 8192, "characters")},
		{"UpdateRestApi description over 4096", updateAPI(replace("/description", long(4097))), tooLong("description", 4096, "characters")},
		{"UpdateRestApi policy at 8192", updateAPI(replace("/policy", policyOf(8192))), ""},
		{"UpdateRestApi policy over 8192", updateAPI(replace("/policy", policyOf(8193))), tooLong("policy", 8192, "characters")},
		{"UpdateRestApi name of a megabyte", updateAPI(replace("/name", megabyte)), tooLong("name", 1024, "characters")},
		{"CreateResource pathPart at 1024", func() error { _, err := createResource(root, "p"+long(1023)); return err }, ""},
		{"CreateResource pathPart over 1024", func() error { _, err := createResource(root, long(1025)); return err }, tooLong("path part", 1024, "characters")},
		{"CreateResource path at 8192", func() error {
			parent, err := deep()
			if err != nil {
				return err
			}
			_, err = createResource(parent, long(8192-7*1025-1))
			return err
		}, ""},
		{"CreateResource path over 8192", func() error {
			parent, err := deep()
			if err != nil {
				return err
			}
			_, err = createResource(parent, "b"+long(8192-7*1025-1))
			return err
		}, tooLong("resource path", 8192, "characters")},
		{"PutMethod operationName at 1024", putMethod("POST", apigw.PutMethodInput{OperationName: aws.String(long(1024))}), ""},
		{"PutMethod operationName over 1024", putMethod("DELETE", apigw.PutMethodInput{OperationName: aws.String(long(1025))}), tooLong("operation name", 1024, "characters")},
		{"PutMethod requestParameters at 100", putMethod("PUT", apigw.PutMethodInput{RequestParameters: flags(100, 64)}), ""},
		{"PutMethod requestParameters over 100", putMethod("DELETE", apigw.PutMethodInput{RequestParameters: flags(101, 64)}), tooMany("requestParameters", 100)},
		{"PutMethod requestParameters name over 1024", putMethod("DELETE", apigw.PutMethodInput{RequestParameters: flags(1, 1025)}), tooLong("requestParameters name", 1024, "characters")},
		{"UpdateMethod requestParameters name over 1024", func() error {
			_, err := c.UpdateMethod(ctx, &apigw.UpdateMethodInput{RestApiId: api, ResourceId: root, HttpMethod: aws.String("GET"),
				PatchOperations: []types.PatchOperation{{Op: types.OpAdd, Path: aws.String("/requestParameters/method.request.header." + long(1025))}}})
			return err
		}, tooLong("requestParameters name", 1024, "characters")},
		{"PutIntegration uri at 8192", putIntegration(apigw.PutIntegrationInput{Type: types.IntegrationTypeHttpProxy, IntegrationHttpMethod: aws.String("GET"),
			Uri: aws.String("http://backend.example.test/" + long(8192-len("http://backend.example.test/")))}), ""},
		{"PutIntegration uri over 8192", putIntegration(apigw.PutIntegrationInput{Type: types.IntegrationTypeHttpProxy, IntegrationHttpMethod: aws.String("GET"),
			Uri: aws.String("http://backend.example.test/" + megabyte)}), tooLong("integration uri", 8192, "characters")},
		{"PutIntegration requestTemplates template at 300 KB", putIntegration(apigw.PutIntegrationInput{RequestTemplates: template(300 * 1024)}), ""},
		{"PutIntegration requestTemplates template over 300 KB", putIntegration(apigw.PutIntegrationInput{RequestTemplates: template(300*1024 + 1)}), tooLong("requestTemplates", 307200, "bytes")},
		{"PutIntegration requestTemplates at 100", putIntegration(apigw.PutIntegrationInput{RequestTemplates: entries(100, 255, 10)}), ""},
		{"PutIntegration requestTemplates over 100", putIntegration(apigw.PutIntegrationInput{RequestTemplates: entries(101, 8, 10)}), tooMany("requestTemplates", 100)},
		{"PutIntegration requestTemplates content type over 255", putIntegration(apigw.PutIntegrationInput{RequestTemplates: entries(1, 256, 10)}), tooLong("requestTemplates content type", 255, "characters")},
		// 80, not 100: all of an integration's parameters and templates are
		// one store record of at most 1 MiB (checked after the table).
		{"PutIntegration requestParameters value at 10240, names at 1024", putIntegration(apigw.PutIntegrationInput{RequestParameters: entries(80, 1024, 10240)}), ""},
		{"PutIntegration requestParameters at 100", putIntegration(apigw.PutIntegrationInput{RequestParameters: entries(100, 8, 1)}), ""},
		{"PutIntegration requestParameters value over 10240", putIntegration(apigw.PutIntegrationInput{RequestParameters: entries(1, 8, 10241)}), tooLong("requestParameters value", 10240, "characters")},
		{"PutIntegration requestParameters over 100", putIntegration(apigw.PutIntegrationInput{RequestParameters: entries(101, 8, 1)}), tooMany("requestParameters", 100)},
		{"PutIntegration cacheNamespace over 1024", putIntegration(apigw.PutIntegrationInput{CacheNamespace: aws.String(long(1025))}), tooLong("cache namespace", 1024, "characters")},
		{"PutMethodResponse responseModels at 100", putMethodResponse(apigw.PutMethodResponseInput{ResponseModels: entries(100, 1024, 1024)}), ""},
		{"PutMethodResponse responseModels over 100", putMethodResponse(apigw.PutMethodResponseInput{ResponseModels: entries(101, 8, 1)}), tooMany("responseModels", 100)},
		{"PutMethodResponse responseModels value over 1024", putMethodResponse(apigw.PutMethodResponseInput{ResponseModels: entries(1, 8, 1025)}), tooLong("responseModels value", 1024, "characters")},
		{"PutMethodResponse responseParameters name over 1024", putMethodResponse(apigw.PutMethodResponseInput{ResponseParameters: flags(1, 1025)}), tooLong("responseParameters name", 1024, "characters")},
		{"PutIntegrationResponse selectionPattern at 1024", putIntegrationResponse(apigw.PutIntegrationResponseInput{SelectionPattern: aws.String(long(1024))}), ""},
		{"PutIntegrationResponse selectionPattern over 1024", putIntegrationResponse(apigw.PutIntegrationResponseInput{SelectionPattern: aws.String(megabyte)}), tooLong("selection pattern", 1024, "characters")},
		{"PutIntegrationResponse responseTemplates template at 300 KB", putIntegrationResponse(apigw.PutIntegrationResponseInput{ResponseTemplates: template(300 * 1024)}), ""},
		{"PutIntegrationResponse responseTemplates template over 300 KB", putIntegrationResponse(apigw.PutIntegrationResponseInput{ResponseTemplates: template(300*1024 + 1)}), tooLong("responseTemplates", 307200, "bytes")},
		{"PutIntegrationResponse responseParameters value over 10240", putIntegrationResponse(apigw.PutIntegrationResponseInput{ResponseParameters: entries(1, 8, 10241)}), tooLong("responseParameters value", 10240, "characters")},
		{"CreateDeployment description at 4096", createDeployment(apigw.CreateDeploymentInput{Description: aws.String(long(4096))}), ""},
		{"CreateDeployment description over 4096", createDeployment(apigw.CreateDeploymentInput{Description: aws.String(long(4097))}), tooLong("description", 4096, "characters")},
		{"CreateDeployment stageDescription over 4096", createDeployment(apigw.CreateDeploymentInput{StageName: aws.String("prod"), StageDescription: aws.String(long(4097))}), tooLong("stage description", 4096, "characters")},
		{"CreateDeployment variables at 100, names at 64, values at 512", createDeployment(apigw.CreateDeploymentInput{StageName: aws.String("prod"), Variables: variables(100, 64, 512)}), ""},
		{"CreateDeployment variables over 100", createDeployment(apigw.CreateDeploymentInput{StageName: aws.String("prod"), Variables: variables(101, 2, 1)}), tooMany("stage variables", 100)},
		{"CreateDeployment variable name of a megabyte", createDeployment(apigw.CreateDeploymentInput{StageName: aws.String("prod"), Variables: map[string]string{megabyte: "x"}}),
			badVariableName(model.Clip(megabyte))},
		{"CreateStage description at 4096, variables at 100, tags at 50", createStage("limits", apigw.CreateStageInput{Description: aws.String(long(4096)),
			Variables: variables(100, 64, 512), Tags: entries(50, 128, 256)}), ""},
		{"CreateStage description over 4096", createStage("limits2", apigw.CreateStageInput{Description: aws.String(long(4097))}), tooLong("description", 4096, "characters")},
		{"CreateStage variables over 100", createStage("limits2", apigw.CreateStageInput{Variables: variables(101, 2, 1)}), tooMany("stage variables", 100)},
		{"CreateStage variable value over 512", createStage("limits2", apigw.CreateStageInput{Variables: map[string]string{"v": long(513)}}),
			badVariableValue(long(513))},
		{"CreateStage variable with an empty value", createStage("limits2", apigw.CreateStageInput{Variables: map[string]string{"v": ""}}),
			badVariableValue("")},
		{"CreateStage tags over 50", createStage("limits2", apigw.CreateStageInput{Tags: entries(51, 1, 1)}), "A resource can have at most 50 tags"},
		{"UpdateStage description over 4096", updateStage(replace("/description", megabyte)), tooLong("description", 4096, "characters")},
		// prod holds the 100 variables CreateDeployment merged in: replace one.
		{"UpdateStage variable value over 512", updateStage(replace("/variables/v0"+strings.Repeat("v", 62), long(513))),
			badVariableValue(long(513))},
		{"UpdateStage variables over 100", updateStage(replace("/variables/one_more", "x")), tooMany("stage variables", 100)},
		{"UpdateStage 501 patch operations", updateStage(ops(501, replace("/description", "d"))...), tooMany("patch operations", 500)},
		{"PutGatewayResponse responseTemplates template at 300 KB", putGatewayResponse(apigw.PutGatewayResponseInput{ResponseTemplates: template(300 * 1024)}), ""},
		{"PutGatewayResponse responseTemplates template over 300 KB", putGatewayResponse(apigw.PutGatewayResponseInput{ResponseTemplates: template(300*1024 + 1)}), tooLong("responseTemplates", 307200, "bytes")},
		{"PutGatewayResponse responseParameters over 100", putGatewayResponse(apigw.PutGatewayResponseInput{ResponseParameters: entries(101, 8, 1)}), tooMany("responseParameters", 100)},
		{"CreateDomainName domainName at 253", createDomain(domainOf(253), certARN, nil), ""},
		{"CreateDomainName domainName over 253", createDomain(domainOf(254), certARN, nil), "Invalid domain name: " + model.Clip(domainOf(254))},
		{"CreateDomainName domainName of a megabyte", createDomain(megabyte, certARN, nil), "Invalid domain name: " + model.Clip(megabyte)},
		{"CreateDomainName certificate ARN at 2048 (then not found)", createDomain("cert.example.test", certARNOf(2048), nil),
			"The provided certificate does not exist."},
		{"CreateDomainName certificate ARN over 2048", createDomain("cert.example.test", certARNOf(2049), nil), tooLong("certificate ARN", 2048, "characters")},
		{"CreateDomainName tags over 50", createDomain("tags.example.test", certARN, entries(51, 1, 1)), "A resource can have at most 50 tags"},
		{"CreateBasePathMapping basePath at 300", createMapping(long(300), "prod"), ""},
		{"CreateBasePathMapping basePath over 300", createMapping(long(301), "prod"), "Invalid base path: " + model.Clip(long(301))},
		{"CreateBasePathMapping stage over 128", createMapping("stage", long(129)), "Invalid stage identifier specified"},
		{"UpdateBasePathMapping 501 patch operations", func() error {
			_, err := c.UpdateBasePathMapping(ctx, &apigw.UpdateBasePathMappingInput{DomainName: aws.String("limits.example.test"), BasePath: aws.String(long(300)),
				PatchOperations: ops(501, replace("/stage", "prod"))})
			return err
		}, tooMany("patch operations", 500)},
		{"TagResource tags at 50, keys at 128, values at 256", tagResource(entries(50, 128, 256)), ""},
		{"TagResource tags over 50", tagResource(entries(51, 1, 1)), "A resource can have at most 50 tags"},
		{"TagResource tag key of a megabyte", tagResource(map[string]string{megabyte: "v"}), fmt.Sprintf("Invalid tag key or value: %q", model.Clip(megabyte))},
		{"UntagResource tagKeys at 50", untagResource(strings.Split(strings.Repeat("k,", 49)+"k", ",")), ""},
		{"UntagResource tagKeys over 50", untagResource(strings.Split(strings.Repeat("k,", 50)+"k", ",")), tooMany("tagKeys", 50)},
		{"UntagResource tag key over 128", untagResource([]string{long(129)}), tooLong("tag key", 128, "characters")},
	}
	for _, tc := range checks {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if tc.msg == "" {
				if err != nil {
					t.Fatalf("got %v, want it accepted", err)
				}
				return
			}
			awsapitest.WantRefusal(t, err, 400, bad, tc.msg)
		})
	}
	// Each entry within its limit, but together over the store's record
	// limit: a 413 that says so, not a 500 and not a partial write.
	err := putIntegration(apigw.PutIntegrationInput{RequestParameters: entries(100, 1024, 10240)})()
	if err == nil || !strings.Contains(err.Error(), "StatusCode: 413") || !strings.Contains(err.Error(), "RequestEntityTooLarge") ||
		!strings.Contains(err.Error(), "one resource may take at most 1048576 bytes") {
		t.Fatalf("PutIntegration of 1.1 MB of parameters: got %v, want 413 RequestEntityTooLarge naming the 1 MiB limit", err)
	}
}

// vpces returns n distinct VPC endpoint ids.
func vpces(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("vpce-%017x", i)
	}
	return out
}

// TestRecordedControlPlaneTexts drives, through the SDK as a script would, the
// refusals of the REST API, resource, method, stage and domain name operations
// whose texts, codes and statuses were recorded from AWS (sources named in the
// code that answers them and in docs/PARITY-gateway.md), and checks each.
func TestRecordedControlPlaneTexts(t *testing.T) {
	e := newEnv(t)
	ctx, c := e.ctx, e.v1
	apiID := e.walkthrough(t)
	api := aws.String(apiID)
	res := testutil.Must[*apigw.GetResourcesOutput](t)(c.GetResources(ctx, &apigw.GetResourcesInput{RestApiId: api}))
	root := res.Items[0].Id
	dep := testutil.Must[*apigw.GetDeploymentsOutput](t)(c.GetDeployments(ctx, &apigw.GetDeploymentsInput{RestApiId: api})).Items[0].Id

	createAPI := func(ec *types.EndpointConfiguration) func() error {
		return func() error {
			_, err := c.CreateRestApi(ctx, &apigw.CreateRestApiInput{Name: aws.String("x"), EndpointConfiguration: ec})
			return err
		}
	}
	updateAPI := func(op types.Op, path, value string) func() error {
		return func() error {
			_, err := c.UpdateRestApi(ctx, &apigw.UpdateRestApiInput{RestApiId: api,
				PatchOperations: []types.PatchOperation{{Op: op, Path: aws.String(path), Value: aws.String(value)}}})
			return err
		}
	}
	createDomain := func(name string, typ types.EndpointType) func() error {
		return func() error {
			_, err := c.CreateDomainName(ctx, &apigw.CreateDomainNameInput{DomainName: aws.String(name),
				EndpointConfiguration: &types.EndpointConfiguration{Types: []types.EndpointType{typ}}})
			return err
		}
	}
	const (
		badTypes = "Value '[wrong]' at 'createRestApiInput.endpointConfiguration.types' failed to satisfy constraint: " +
			"Member must satisfy constraint: [Member must satisfy enum value set: [PRIVATE, EDGE, REGIONAL]]"
		badIPType = "Value 'wrong' at 'createRestApiInput.endpointConfiguration.ipAddressType' failed to satisfy constraint: " +
			"Member must satisfy enum value set: [ipv4, dualstack]"
		badStatus = `1 validation error detected: Value 'wrong' at 'statusCode' failed to satisfy constraint: ` +
			`Member must satisfy regular expression pattern: [1-5]\d\d`
	)
	for _, tc := range []struct {
		name      string
		call      func() error
		code, msg string
	}{
		{"CreateRestApi with two endpoint types", createAPI(&types.EndpointConfiguration{Types: []types.EndpointType{"EDGE", "REGIONAL"}}),
			"BadRequestException", "Cannot create an api with multiple Endpoint Types."},
		{"CreateRestApi with an unknown endpoint type", createAPI(&types.EndpointConfiguration{Types: []types.EndpointType{"wrong"}}),
			"ValidationException", "1 validation error detected: " + badTypes},
		{"CreateRestApi with an unknown IP address type", createAPI(&types.EndpointConfiguration{IpAddressType: "wrong"}),
			"ValidationException", "1 validation error detected: " + badIPType},
		{"CreateRestApi with both unknown", createAPI(&types.EndpointConfiguration{Types: []types.EndpointType{"wrong"}, IpAddressType: "wrong"}),
			"ValidationException", "2 validation errors detected: " + badTypes + "; " + badIPType},
		{"CreateRestApi private with ipv4", createAPI(&types.EndpointConfiguration{Types: []types.EndpointType{"PRIVATE"}, IpAddressType: "ipv4"}),
			"BadRequestException", "Only dualstack ipAddressType is supported for Private APIs."},
		{"UpdateRestApi to an unknown endpoint type", updateAPI(types.OpReplace, "/endpointConfiguration/types/0", "wrong"),
			"BadRequestException", "Invalid EndpointTypes specified. Valid options are REGIONAL,EDGE,PRIVATE"},
		{"UpdateRestApi to an unknown IP address type", updateAPI(types.OpReplace, "/endpointConfiguration/ipAddressType", "wrong"),
			"BadRequestException", "ipAddressType must be either ipv4 or dualstack."},
		{"UpdateRestApi removes the IP address type", updateAPI(types.OpRemove, "/endpointConfiguration/ipAddressType", "dualstack"),
			"BadRequestException", "Invalid patch operation specified. Must be one of: [replace]"},
		{"PutIntegration of an unknown type", func() error {
			_, err := c.PutIntegration(ctx, &apigw.PutIntegrationInput{RestApiId: api, ResourceId: root, HttpMethod: aws.String("GET"), Type: "HTTPS_PROXY"})
			return err
		}, "ValidationException", "1 validation error detected: Value 'HTTPS_PROXY' at 'putIntegrationInput.type' failed to satisfy constraint: " +
			"Member must satisfy enum value set: [HTTP, MOCK, AWS_PROXY, HTTP_PROXY, AWS]"},
		{"PutIntegrationResponse with a bad status code", func() error {
			_, err := c.PutIntegrationResponse(ctx, &apigw.PutIntegrationResponseInput{RestApiId: api, ResourceId: root, HttpMethod: aws.String("GET"), StatusCode: aws.String("wrong")})
			return err
		}, "ValidationException", badStatus},
		{"GetIntegrationResponse with a bad status code", func() error {
			_, err := c.GetIntegrationResponse(ctx, &apigw.GetIntegrationResponseInput{RestApiId: api, ResourceId: root, HttpMethod: aws.String("GET"), StatusCode: aws.String("wrong")})
			return err
		}, "ValidationException", badStatus},
		{"UpdateMethodResponse with a bad status code", func() error {
			_, err := c.UpdateMethodResponse(ctx, &apigw.UpdateMethodResponseInput{RestApiId: api, ResourceId: root, HttpMethod: aws.String("GET"), StatusCode: aws.String("wrong")})
			return err
		}, "ValidationException", badStatus},
		{"CreateStage with a bad name", func() error {
			_, err := c.CreateStage(ctx, &apigw.CreateStageInput{RestApiId: api, StageName: aws.String("$default"), DeploymentId: dep})
			return err
		}, "BadRequestException", "Stage name only allows a-zA-Z0-9_"},
		{"CreateStage with a bad variable value", func() error {
			_, err := c.CreateStage(ctx, &apigw.CreateStageInput{RestApiId: api, StageName: aws.String("dev"), DeploymentId: dep,
				Variables: map[string]string{"v": "a|b"}})
			return err
		}, "BadRequestException", badVariableValue("a|b")},
		{"CreateDomainName edge without a certificate", createDomain("edge.example.test", types.EndpointTypeEdge),
			"BadRequestException", "A certificate was not provided for the endpoint type EDGE."},
		{"CreateDomainName regional without a certificate", createDomain("regional.example.test", types.EndpointTypeRegional),
			"BadRequestException", "A certificate was not provided for the endpoint type REGIONAL."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			apiError(t, tc.call(), tc.code, tc.msg)
		})
	}
}
