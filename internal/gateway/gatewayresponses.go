package gateway

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"gatehouse/internal/model"
)

// responseTypes are the gateway response types with their default status
// codes, as the API Gateway developer guide lists them ("Gateway response
// types"); the DEFAULT_ types have none. Sorted, as GetGatewayResponses lists them.
var responseTypes = []struct{ name, status string }{
	{"ACCESS_DENIED", "403"},
	{"API_CONFIGURATION_ERROR", "500"},
	{"AUTHORIZER_CONFIGURATION_ERROR", "500"},
	{"AUTHORIZER_FAILURE", "500"},
	{"BAD_REQUEST_BODY", "400"},
	{"BAD_REQUEST_PARAMETERS", "400"},
	{"DEFAULT_4XX", ""},
	{"DEFAULT_5XX", ""},
	{"EXPIRED_TOKEN", "403"},
	{"INTEGRATION_FAILURE", "504"},
	{"INTEGRATION_TIMEOUT", "504"},
	{"INVALID_API_KEY", "403"},
	{"INVALID_SIGNATURE", "403"},
	{"MISSING_AUTHENTICATION_TOKEN", "403"},
	{"QUOTA_EXCEEDED", "429"},
	{"REQUEST_TOO_LARGE", "413"},
	{"RESOURCE_NOT_FOUND", "404"},
	{"THROTTLED", "429"},
	{"UNAUTHORIZED", "401"},
	{"UNSUPPORTED_MEDIA_TYPE", "415"},
	{"WAF_FILTERED", "403"},
}

// defaultResponseTemplate is the body template of every default response.
const defaultResponseTemplate = `{"message":$context.error.messageString}`

// GatewayResponse is a gateway response as the API reports it: the API's own
// (Default false) or API Gateway's default for its type.
type GatewayResponse struct {
	model.GatewayResponse
	Default bool
}

// checkResponseType refuses a type outside the enum. AWS's front end answers
// it with the model's enum check (recorded by LocalStack's parity tests).
func checkResponseType(t string) error {
	if slices.ContainsFunc(responseTypes, func(r struct{ name, status string }) bool { return r.name == t }) {
		return nil
	}
	names := make([]string, len(responseTypes))
	for i, r := range responseTypes {
		names[i] = r.name
	}
	return model.Violation("ValidationException", "responseType", t, "Member must satisfy enum value set: ["+strings.Join(names, ", ")+"]")
}

// PutGatewayResponse customises one gateway response of an API; deployments
// made afterwards serve it.
func (s *Service) PutGatewayResponse(ctx context.Context, apiID string, in model.GatewayResponse) (*GatewayResponse, error) {
	if err := checkResponseType(in.ResponseType); err != nil {
		return nil, err
	}
	if in.StatusCode != "" {
		if err := validStatusCode(in.StatusCode); err != nil {
			return nil, err
		}
	}
	if err := checkParams("responseParameters", in.ResponseParameters, maxParamValueLen); err != nil {
		return nil, err
	}
	if err := checkTemplates("responseTemplates", in.ResponseTemplates); err != nil {
		return nil, err
	}
	for k := range in.ResponseParameters {
		if !strings.HasPrefix(k, "gatewayresponse.header.") {
			// UNVERIFIED text.
			return nil, badRequest(fmt.Sprintf("Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping expression specified: %s]", model.Clip(k)))
		}
	}
	gr := in
	_, err := s.updateAPI(ctx, apiID, func(api *model.RestAPI) error {
		if api.GatewayResponses == nil {
			api.GatewayResponses = map[string]*model.GatewayResponse{}
		}
		api.GatewayResponses[gr.ResponseType] = &gr
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &GatewayResponse{GatewayResponse: gr}, nil
}

// GetGatewayResponse returns the API's response of a type, else the default.
func (s *Service) GetGatewayResponse(ctx context.Context, apiID, responseType string) (*GatewayResponse, error) {
	all, err := s.GetGatewayResponses(ctx, apiID)
	if err != nil {
		return nil, err
	}
	if err := checkResponseType(responseType); err != nil {
		return nil, err
	}
	i := slices.IndexFunc(all, func(r *GatewayResponse) bool { return r.ResponseType == responseType })
	return all[i], nil
}

// GetGatewayResponses lists a response for every type, the API's own or the
// default, as AWS does.
func (s *Service) GetGatewayResponses(ctx context.Context, apiID string) ([]*GatewayResponse, error) {
	api, err := s.GetRestAPI(ctx, apiID)
	if err != nil {
		return nil, err
	}
	out := make([]*GatewayResponse, 0, len(responseTypes))
	for _, t := range responseTypes {
		if gr := api.GatewayResponses[t.name]; gr != nil {
			out = append(out, &GatewayResponse{GatewayResponse: *gr})
			continue
		}
		out = append(out, &GatewayResponse{Default: true, GatewayResponse: model.GatewayResponse{
			ResponseType:       t.name,
			StatusCode:         t.status,
			ResponseParameters: map[string]string{},
			ResponseTemplates:  map[string]string{"application/json": defaultResponseTemplate},
		}})
	}
	return out, nil
}

// DeleteGatewayResponse drops an API's customisation: the default applies again.
func (s *Service) DeleteGatewayResponse(ctx context.Context, apiID, responseType string) error {
	if err := checkResponseType(responseType); err != nil {
		return err
	}
	_, err := s.updateAPI(ctx, apiID, func(api *model.RestAPI) error {
		if api.GatewayResponses[responseType] == nil {
			// AWS's text (LocalStack parity tests).
			return notFound("Gateway response type not defined on api")
		}
		delete(api.GatewayResponses, responseType)
		return nil
	})
	return err
}
