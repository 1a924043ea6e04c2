package apigateway_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	apigw "github.com/aws/aws-sdk-go-v2/service/apigateway"

	"gatehouse/internal/testutil"
)

// TestLargeDefinitions: ImportRestApi and PutRestApi take definitions up to
// API Gateway's 6 MB (the listener's 2 MiB bound is raised for them only);
// one byte over gets the import's BadRequestException, and another
// operation's body over 2 MiB still gets 413.
func TestLargeDefinitions(t *testing.T) {
	e := newEnv(t)
	ctx, c := e.ctx, e.v1
	// JSON padded with whitespace: the size without the shape's bounds.
	padded := func(size int) []byte {
		head := `{"openapi": "3.0.1", "info": {"title": "big", "version": "1"}, "paths": {}`
		return []byte(head + strings.Repeat(" ", size-len(head)-1) + "}")
	}
	const mb = 1 << 20
	api := testutil.Must[*apigw.ImportRestApiOutput](t)(c.ImportRestApi(ctx, &apigw.ImportRestApiInput{Body: padded(5 * mb)}))
	if aws.ToString(api.Name) != "big" {
		t.Errorf("ImportRestApi of 5 MB: got name %q, want big", aws.ToString(api.Name))
	}
	testutil.Must[*apigw.PutRestApiOutput](t)(c.PutRestApi(ctx, &apigw.PutRestApiInput{RestApiId: api.Id, Body: padded(6 * mb)}))

	_, err := c.ImportRestApi(ctx, &apigw.ImportRestApiInput{Body: padded(6*mb + 1)})
	apiError(t, err, "BadRequestException", "API definition file exceeds the maximum size of 6291456 bytes")
	_, err = c.PutRestApi(ctx, &apigw.PutRestApiInput{RestApiId: api.Id, Body: padded(7 * mb)})
	apiError(t, err, "BadRequestException", "API definition file exceeds the maximum size of 6291456 bytes")

	_, err = c.CreateModel(ctx, &apigw.CreateModelInput{RestApiId: api.Id, Name: aws.String("Big"), ContentType: aws.String("application/json"),
		Schema: aws.String(strings.Repeat(" ", 3*mb))})
	var re interface{ HTTPStatusCode() int }
	if !errors.As(err, &re) || re.HTTPStatusCode() != 413 || errCode(err) != "RequestEntityTooLarge" {
		t.Errorf("CreateModel with a 3 MB body: got %v, want 413 RequestEntityTooLarge", err)
	}
}
