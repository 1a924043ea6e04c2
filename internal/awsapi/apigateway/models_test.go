package apigateway_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	apigw "github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"

	"gatehouse/internal/testutil"
)

const petSchema = `{"$schema":"http://json-schema.org/draft-04/schema#","type":"object","required":["name"],"properties":{"name":{"type":"string"}}}`

// TestModels drives the model operations as the SDK does: the defaults every
// API has, create, get, list with paging, update, and the refusals.
func TestModels(t *testing.T) {
	e := newEnv(t)
	ctx, c := e.ctx, e.v1
	api := testutil.Must[*apigw.CreateRestApiOutput](t)(c.CreateRestApi(ctx, &apigw.CreateRestApiInput{Name: aws.String("models")}))

	list := testutil.Must[*apigw.GetModelsOutput](t)(c.GetModels(ctx, &apigw.GetModelsInput{RestApiId: api.Id}))
	var names []string
	for _, m := range list.Items {
		names = append(names, aws.ToString(m.Name))
	}
	if len(names) != 2 || names[0] != "Empty" || names[1] != "Error" {
		t.Fatalf("default models: got %v, want [Empty Error]", names)
	}

	m := testutil.Must[*apigw.CreateModelOutput](t)(c.CreateModel(ctx, &apigw.CreateModelInput{RestApiId: api.Id,
		Name: aws.String("Pet"), ContentType: aws.String("application/json"), Schema: aws.String(petSchema), Description: aws.String("a pet")}))
	if aws.ToString(m.Id) == "" || aws.ToString(m.Schema) != petSchema || aws.ToString(m.ContentType) != "application/json" {
		t.Errorf("CreateModel: got %+v", m)
	}
	got := testutil.Must[*apigw.GetModelOutput](t)(c.GetModel(ctx, &apigw.GetModelInput{RestApiId: api.Id, ModelName: aws.String("Pet")}))
	if aws.ToString(got.Id) != aws.ToString(m.Id) || aws.ToString(got.Description) != "a pet" {
		t.Errorf("GetModel: got %+v, want the created model", got)
	}
	page := testutil.Must[*apigw.GetModelsOutput](t)(c.GetModels(ctx, &apigw.GetModelsInput{RestApiId: api.Id, Limit: aws.Int32(2)}))
	if len(page.Items) != 2 || page.Position == nil {
		t.Fatalf("GetModels limit 2: got %d items, position %v", len(page.Items), page.Position)
	}
	rest := testutil.Must[*apigw.GetModelsOutput](t)(c.GetModels(ctx, &apigw.GetModelsInput{RestApiId: api.Id, Position: page.Position}))
	if len(rest.Items) != 1 || aws.ToString(rest.Items[0].Name) != "Pet" {
		t.Errorf("GetModels second page: got %+v", rest.Items)
	}
	upd := testutil.Must[*apigw.UpdateModelOutput](t)(c.UpdateModel(ctx, &apigw.UpdateModelInput{RestApiId: api.Id, ModelName: aws.String("Pet"),
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/description"), Value: aws.String("a dog")}}}))
	if aws.ToString(upd.Description) != "a dog" {
		t.Errorf("UpdateModel: got description %q, want %q", aws.ToString(upd.Description), "a dog")
	}

	for _, tc := range []struct {
		name      string
		call      func() error
		code, msg string
	}{
		{"invalid schema", func() error {
			_, err := c.CreateModel(ctx, &apigw.CreateModelInput{RestApiId: api.Id, Name: aws.String("Bad"),
				ContentType: aws.String("application/json"), Schema: aws.String(`{"type": 12}`)})
			return err
		}, "BadRequestException", "Invalid model specified: Validation Result: warnings : [], errors : [Invalid model schema specified]"},
		{"schema not JSON", func() error {
			_, err := c.CreateModel(ctx, &apigw.CreateModelInput{RestApiId: api.Id, Name: aws.String("Bad"),
				ContentType: aws.String("application/json"), Schema: aws.String(`{`)})
			return err
		}, "BadRequestException", "Invalid model specified: Validation Result: warnings : [], errors : [Invalid model schema specified]"},
		{"schema referencing a file", func() error {
			_, err := c.CreateModel(ctx, &apigw.CreateModelInput{RestApiId: api.Id, Name: aws.String("Bad"),
				ContentType: aws.String("application/json"), Schema: aws.String(`{"$ref": "file:///etc/passwd"}`)})
			return err
		}, "BadRequestException", "Invalid model specified: Validation Result: warnings : [], errors : [Invalid model schema specified]"},
		{"name not alphanumeric", func() error {
			_, err := c.CreateModel(ctx, &apigw.CreateModelInput{RestApiId: api.Id, Name: aws.String("a-b"), ContentType: aws.String("application/json")})
			return err
		}, "BadRequestException", "Model name must be alphanumeric"},
		{"duplicate", func() error {
			_, err := c.CreateModel(ctx, &apigw.CreateModelInput{RestApiId: api.Id, Name: aws.String("Pet"), ContentType: aws.String("application/json")})
			return err
		}, "ConflictException", "Model name already exists for this REST API"},
		{"get unknown", func() error {
			_, err := c.GetModel(ctx, &apigw.GetModelInput{RestApiId: api.Id, ModelName: aws.String("Nope")})
			return err
		}, "NotFoundException", "Invalid model identifier specified"},
		{"update bad path", func() error {
			_, err := c.UpdateModel(ctx, &apigw.UpdateModelInput{RestApiId: api.Id, ModelName: aws.String("Pet"),
				PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/name"), Value: aws.String("X")}}})
			return err
		}, "BadRequestException", "Invalid patch path  '/name' specified for op 'replace'. Must be one of: [/description, /schema]"},
		{"update to an invalid schema", func() error {
			_, err := c.UpdateModel(ctx, &apigw.UpdateModelInput{RestApiId: api.Id, ModelName: aws.String("Pet"),
				PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/schema"), Value: aws.String(`{"required": "x"}`)}}})
			return err
		}, "BadRequestException", "Invalid model specified: Validation Result: warnings : [], errors : [Invalid model schema specified]"},
		{"delete unknown", func() error {
			_, err := c.DeleteModel(ctx, &apigw.DeleteModelInput{RestApiId: api.Id, ModelName: aws.String("Nope")})
			return err
		}, "NotFoundException", "Invalid model identifier specified"},
	} {
		t.Run(tc.name, func(t *testing.T) { apiError(t, tc.call(), tc.code, tc.msg) })
	}

	// A model a method request names is not deleted; once the method goes, it is.
	root := testutil.Must[*apigw.GetResourcesOutput](t)(c.GetResources(ctx, &apigw.GetResourcesInput{RestApiId: api.Id})).Items[0].Id
	_, err := c.PutMethod(ctx, &apigw.PutMethodInput{RestApiId: api.Id, ResourceId: root, HttpMethod: aws.String("POST"),
		AuthorizationType: aws.String("NONE"), RequestModels: map[string]string{"application/json": "Pet"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteModel(ctx, &apigw.DeleteModelInput{RestApiId: api.Id, ModelName: aws.String("Pet")})
	apiError(t, err, "ConflictException", "Cannot delete model 'Pet', is referenced in method request: //POST")
	_, err = c.PutMethod(ctx, &apigw.PutMethodInput{RestApiId: api.Id, ResourceId: root, HttpMethod: aws.String("GET"),
		AuthorizationType: aws.String("NONE"), RequestModels: map[string]string{"application/json": "Nope"}})
	apiError(t, err, "BadRequestException", "Invalid model identifier specified: Nope")
	if _, err := c.DeleteMethod(ctx, &apigw.DeleteMethodInput{RestApiId: api.Id, ResourceId: root, HttpMethod: aws.String("POST")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteModel(ctx, &apigw.DeleteModelInput{RestApiId: api.Id, ModelName: aws.String("Pet")}); err != nil {
		t.Errorf("DeleteModel after its method went: %v", err)
	}
}

// TestRequestValidators drives the request validator operations and a
// method that names one.
func TestRequestValidators(t *testing.T) {
	e := newEnv(t)
	ctx, c := e.ctx, e.v1
	api := testutil.Must[*apigw.CreateRestApiOutput](t)(c.CreateRestApi(ctx, &apigw.CreateRestApiInput{Name: aws.String("validators")}))
	v := testutil.Must[*apigw.CreateRequestValidatorOutput](t)(c.CreateRequestValidator(ctx, &apigw.CreateRequestValidatorInput{
		RestApiId: api.Id, Name: aws.String("params"), ValidateRequestParameters: true}))
	if aws.ToString(v.Id) == "" || !v.ValidateRequestParameters || v.ValidateRequestBody {
		t.Errorf("CreateRequestValidator: got %+v", v)
	}
	got := testutil.Must[*apigw.GetRequestValidatorOutput](t)(c.GetRequestValidator(ctx, &apigw.GetRequestValidatorInput{RestApiId: api.Id, RequestValidatorId: v.Id}))
	if aws.ToString(got.Name) != "params" {
		t.Errorf("GetRequestValidator: got name %q, want params", aws.ToString(got.Name))
	}
	upd := testutil.Must[*apigw.UpdateRequestValidatorOutput](t)(c.UpdateRequestValidator(ctx, &apigw.UpdateRequestValidatorInput{
		RestApiId: api.Id, RequestValidatorId: v.Id, PatchOperations: []types.PatchOperation{
			{Op: types.OpReplace, Path: aws.String("/validateRequestBody"), Value: aws.String("true")},
			{Op: types.OpReplace, Path: aws.String("/name"), Value: aws.String("all")}}}))
	if !upd.ValidateRequestBody || aws.ToString(upd.Name) != "all" {
		t.Errorf("UpdateRequestValidator: got %+v", upd)
	}
	list := testutil.Must[*apigw.GetRequestValidatorsOutput](t)(c.GetRequestValidators(ctx, &apigw.GetRequestValidatorsInput{RestApiId: api.Id}))
	if len(list.Items) != 1 || aws.ToString(list.Items[0].Id) != aws.ToString(v.Id) {
		t.Errorf("GetRequestValidators: got %+v", list.Items)
	}

	root := testutil.Must[*apigw.GetResourcesOutput](t)(c.GetResources(ctx, &apigw.GetResourcesInput{RestApiId: api.Id})).Items[0].Id
	m := testutil.Must[*apigw.PutMethodOutput](t)(c.PutMethod(ctx, &apigw.PutMethodInput{RestApiId: api.Id, ResourceId: root,
		HttpMethod: aws.String("GET"), AuthorizationType: aws.String("NONE"), RequestValidatorId: v.Id,
		RequestParameters: map[string]bool{"method.request.querystring.q": true}}))
	if aws.ToString(m.RequestValidatorId) != aws.ToString(v.Id) {
		t.Errorf("PutMethod: got requestValidatorId %q, want %q", aws.ToString(m.RequestValidatorId), aws.ToString(v.Id))
	}

	for _, tc := range []struct {
		name      string
		call      func() error
		code, msg string
	}{
		{"get unknown", func() error {
			_, err := c.GetRequestValidator(ctx, &apigw.GetRequestValidatorInput{RestApiId: api.Id, RequestValidatorId: aws.String("nope00")})
			return err
		}, "NotFoundException", "Invalid Request Validator identifier specified"},
		{"update bad path", func() error {
			_, err := c.UpdateRequestValidator(ctx, &apigw.UpdateRequestValidatorInput{RestApiId: api.Id, RequestValidatorId: v.Id,
				PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/id"), Value: aws.String("x")}}})
			return err
		}, "BadRequestException", "Invalid patch path  '/id' specified for op 'replace'. Must be one of: [/name, /validateRequestParameters, /validateRequestBody]"},
		{"method names an unknown validator", func() error {
			_, err := c.PutMethod(ctx, &apigw.PutMethodInput{RestApiId: api.Id, ResourceId: root, HttpMethod: aws.String("POST"),
				AuthorizationType: aws.String("NONE"), RequestValidatorId: aws.String("nope00")})
			return err
		}, "BadRequestException", "Invalid Request Validator identifier specified"},
		{"delete while a method names it", func() error {
			_, err := c.DeleteRequestValidator(ctx, &apigw.DeleteRequestValidatorInput{RestApiId: api.Id, RequestValidatorId: v.Id})
			return err
		}, "BadRequestException", "Cannot delete request validator '" + aws.ToString(v.Id) + "', is referenced in method: //GET"},
		{"unknown API", func() error {
			_, err := c.GetRequestValidators(ctx, &apigw.GetRequestValidatorsInput{RestApiId: aws.String("nope000000")})
			return err
		}, "NotFoundException", "Invalid API identifier specified 000000000000:nope000000"},
	} {
		t.Run(tc.name, func(t *testing.T) { apiError(t, tc.call(), tc.code, tc.msg) })
	}
	if _, err := c.DeleteMethod(ctx, &apigw.DeleteMethodInput{RestApiId: api.Id, ResourceId: root, HttpMethod: aws.String("GET")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteRequestValidator(ctx, &apigw.DeleteRequestValidatorInput{RestApiId: api.Id, RequestValidatorId: v.Id}); err != nil {
		t.Errorf("DeleteRequestValidator after its method went: %v", err)
	}
}

// TestStageAccessLogSettings sets, reads and clears a stage's access log
// settings through UpdateStage, and sees the refusals.
func TestStageAccessLogSettings(t *testing.T) {
	e := newEnv(t)
	ctx, c := e.ctx, e.v1
	apiID := e.walkthrough(t)
	const arn = "arn:aws:logs:us-west-2:000000000000:log-group:/aws/apigateway/demo"
	const format = `$context.requestId $context.httpMethod $context.resourcePath $context.status`
	st := testutil.Must[*apigw.UpdateStageOutput](t)(c.UpdateStage(ctx, &apigw.UpdateStageInput{RestApiId: aws.String(apiID), StageName: aws.String("prod"),
		PatchOperations: []types.PatchOperation{
			{Op: types.OpReplace, Path: aws.String("/accessLogSettings/destinationArn"), Value: aws.String(arn)},
			{Op: types.OpReplace, Path: aws.String("/accessLogSettings/format"), Value: aws.String(format)}}}))
	if st.AccessLogSettings == nil || aws.ToString(st.AccessLogSettings.DestinationArn) != arn || aws.ToString(st.AccessLogSettings.Format) != format {
		t.Fatalf("UpdateStage: got %+v", st.AccessLogSettings)
	}
	got := testutil.Must[*apigw.GetStageOutput](t)(c.GetStage(ctx, &apigw.GetStageInput{RestApiId: aws.String(apiID), StageName: aws.String("prod")}))
	if got.AccessLogSettings == nil || aws.ToString(got.AccessLogSettings.Format) != format {
		t.Errorf("GetStage: got %+v", got.AccessLogSettings)
	}
	for _, tc := range []struct {
		name, path, value, msg string
	}{
		{"format without a request id", "/accessLogSettings/format", "$context.status",
			"Access Log format must contain at least $context.requestId or $context.extendedRequestId"},
		{"not a log group ARN", "/accessLogSettings/destinationArn", "arn:aws:s3:::bucket",
			"Invalid ARN specified in the request: arn:aws:s3:::bucket. Must be a CloudWatch Logs log group ARN or a Kinesis Data Firehose delivery stream ARN whose name begins with amazon-apigateway-"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.UpdateStage(ctx, &apigw.UpdateStageInput{RestApiId: aws.String(apiID), StageName: aws.String("prod"),
				PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String(tc.path), Value: aws.String(tc.value)}}})
			apiError(t, err, "BadRequestException", tc.msg)
		})
	}
	cleared := testutil.Must[*apigw.UpdateStageOutput](t)(c.UpdateStage(ctx, &apigw.UpdateStageInput{RestApiId: aws.String(apiID), StageName: aws.String("prod"),
		PatchOperations: []types.PatchOperation{{Op: types.OpRemove, Path: aws.String("/accessLogSettings")}}}))
	if cleared.AccessLogSettings != nil {
		t.Errorf("after remove /accessLogSettings: got %+v, want none", cleared.AccessLogSettings)
	}
}
