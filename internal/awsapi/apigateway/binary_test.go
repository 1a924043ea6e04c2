package apigateway_test

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	apigw "github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"

	"gatehouse/internal/testutil"
)

// binaryMediaTypes and contentHandling go through the SDK and come back as
// set: on create, get and update of the API, its integrations and their
// responses.
func TestBinaryMediaTypesAndContentHandling(t *testing.T) {
	e := newEnv(t)
	ctx, c := e.ctx, e.v1
	api := testutil.Must[*apigw.CreateRestApiOutput](t)(c.CreateRestApi(ctx, &apigw.CreateRestApiInput{
		Name: aws.String("binary"), BinaryMediaTypes: []string{"image/png", "application/octet-stream"}}))
	if want := []string{"image/png", "application/octet-stream"}; !slices.Equal(api.BinaryMediaTypes, want) {
		t.Errorf("create: got binaryMediaTypes %q, want %q", api.BinaryMediaTypes, want)
	}

	updated := testutil.Must[*apigw.UpdateRestApiOutput](t)(c.UpdateRestApi(ctx, &apigw.UpdateRestApiInput{RestApiId: api.Id,
		PatchOperations: []types.PatchOperation{
			{Op: types.OpAdd, Path: aws.String("/binaryMediaTypes/image~1*")},
			{Op: types.OpRemove, Path: aws.String("/binaryMediaTypes/image~1png")},
		}}))
	if want := []string{"application/octet-stream", "image/*"}; !slices.Equal(updated.BinaryMediaTypes, want) {
		t.Errorf("update: got binaryMediaTypes %q, want %q", updated.BinaryMediaTypes, want)
	}
	got := testutil.Must[*apigw.GetRestApiOutput](t)(c.GetRestApi(ctx, &apigw.GetRestApiInput{RestApiId: api.Id}))
	if want := []string{"application/octet-stream", "image/*"}; !slices.Equal(got.BinaryMediaTypes, want) {
		t.Errorf("get: got binaryMediaTypes %q, want %q", got.BinaryMediaTypes, want)
	}
	_, err := c.UpdateRestApi(ctx, &apigw.UpdateRestApiInput{RestApiId: api.Id,
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/binaryMediaTypes/image~1*"), Value: aws.String("x/y")}}})
	apiError(t, err, "BadRequestException", "Invalid patch path  '/binaryMediaTypes/image~1*' specified for op 'replace'. Please choose supported operations")

	root := api.RootResourceId
	testutil.Must[*apigw.PutMethodOutput](t)(c.PutMethod(ctx, &apigw.PutMethodInput{RestApiId: api.Id, ResourceId: root,
		HttpMethod: aws.String("POST"), AuthorizationType: aws.String("NONE")}))
	integ := testutil.Must[*apigw.PutIntegrationOutput](t)(c.PutIntegration(ctx, &apigw.PutIntegrationInput{RestApiId: api.Id,
		ResourceId: root, HttpMethod: aws.String("POST"), Type: types.IntegrationTypeMock,
		ContentHandling: types.ContentHandlingStrategyConvertToText}))
	if integ.ContentHandling != types.ContentHandlingStrategyConvertToText {
		t.Errorf("put integration: got contentHandling %q, want CONVERT_TO_TEXT", integ.ContentHandling)
	}
	upInteg := testutil.Must[*apigw.UpdateIntegrationOutput](t)(c.UpdateIntegration(ctx, &apigw.UpdateIntegrationInput{RestApiId: api.Id,
		ResourceId: root, HttpMethod: aws.String("POST"),
		PatchOperations: []types.PatchOperation{op(types.OpReplace, "/contentHandling", "CONVERT_TO_BINARY")}}))
	if upInteg.ContentHandling != types.ContentHandlingStrategyConvertToBinary {
		t.Errorf("update integration: got contentHandling %q, want CONVERT_TO_BINARY", upInteg.ContentHandling)
	}
	_, err = c.PutIntegration(ctx, &apigw.PutIntegrationInput{RestApiId: api.Id, ResourceId: root, HttpMethod: aws.String("POST"),
		Type: types.IntegrationTypeMock, ContentHandling: "CONVERT_TO_JPEG"})
	apiError(t, err, "BadRequestException", "Invalid content handling specified: CONVERT_TO_JPEG")

	testutil.Must[*apigw.PutMethodResponseOutput](t)(c.PutMethodResponse(ctx, &apigw.PutMethodResponseInput{RestApiId: api.Id,
		ResourceId: root, HttpMethod: aws.String("POST"), StatusCode: aws.String("200")}))
	ir := testutil.Must[*apigw.PutIntegrationResponseOutput](t)(c.PutIntegrationResponse(ctx, &apigw.PutIntegrationResponseInput{
		RestApiId: api.Id, ResourceId: root, HttpMethod: aws.String("POST"), StatusCode: aws.String("200"),
		ContentHandling: types.ContentHandlingStrategyConvertToBinary}))
	if ir.ContentHandling != types.ContentHandlingStrategyConvertToBinary {
		t.Errorf("put integration response: got contentHandling %q, want CONVERT_TO_BINARY", ir.ContentHandling)
	}
	upIR := testutil.Must[*apigw.UpdateIntegrationResponseOutput](t)(c.UpdateIntegrationResponse(ctx, &apigw.UpdateIntegrationResponseInput{
		RestApiId: api.Id, ResourceId: root, HttpMethod: aws.String("POST"), StatusCode: aws.String("200"),
		PatchOperations: []types.PatchOperation{{Op: types.OpRemove, Path: aws.String("/contentHandling")}}}))
	if upIR.ContentHandling != "" {
		t.Errorf("update integration response: got contentHandling %q, want none", upIR.ContentHandling)
	}
	gotInteg := testutil.Must[*apigw.GetIntegrationOutput](t)(c.GetIntegration(ctx, &apigw.GetIntegrationInput{RestApiId: api.Id,
		ResourceId: root, HttpMethod: aws.String("POST")}))
	if gotInteg.ContentHandling != types.ContentHandlingStrategyConvertToBinary {
		t.Errorf("get integration: got contentHandling %q, want CONVERT_TO_BINARY", gotInteg.ContentHandling)
	}
}
