// Package apigateway maps API Gateway's restJson1 wire protocol onto the
// gateway service's operations: the REST API control plane of apigateway
// (2015-07-09) and the API mappings of apigatewayv2 (2018-11-29), which AWS
// signs with the same name ("apigateway") and serves under /v2/.
//
// Each handler decodes the path, query and body, calls one gateway operation
// and shapes its result as the service model names it (shapes.go). Validation,
// error codes and messages belong to the gateway package, so the stack file
// obeys the same rules; this package only refuses what cannot be decoded.
package apigateway

import (
	"net/http"
	"net/url"
	"strconv"

	"gatehouse/internal/awsapi"
	"gatehouse/internal/gateway"
	"gatehouse/internal/model"
	"gatehouse/internal/paging"
)

// New returns API Gateway's wire mapping (v1 and the v2 API mappings) onto gw.
func New(gw *gateway.Service) *awsapi.Service {
	h := &handler{gw: gw}
	m := awsapi.NewMux()
	const (
		api      = "/restapis/{restapi_id}"
		resource = api + "/resources/{resource_id}"
		method   = resource + "/methods/{http_method}"
		domain   = "/domainnames/{domain_name}"
	)
	for pattern, op := range map[string]awsapi.RESTOp{
		"POST /restapis":                                            h.createRestAPI,
		"GET /restapis":                                             h.getRestAPIs,
		"GET " + api:                                                h.getRestAPI,
		"PATCH " + api:                                              h.updateRestAPI,
		"DELETE " + api:                                             h.deleteRestAPI,
		"GET " + api + "/resources":                                 h.getResources,
		"POST " + api + "/resources/{parent_id}":                    h.createResource,
		"GET " + resource:                                           h.getResource,
		"DELETE " + resource:                                        h.deleteResource,
		"PUT " + method:                                             h.putMethod,
		"GET " + method:                                             h.getMethod,
		"PATCH " + method:                                           h.updateMethod,
		"DELETE " + method:                                          h.deleteMethod,
		"PUT " + method + "/integration":                            h.putIntegration,
		"GET " + method + "/integration":                            h.getIntegration,
		"DELETE " + method + "/integration":                         h.deleteIntegration,
		"PUT " + method + "/responses/{status_code}":                h.putMethodResponse,
		"GET " + method + "/responses/{status_code}":                h.getMethodResponse,
		"DELETE " + method + "/responses/{status_code}":             h.deleteMethodResponse,
		"PUT " + method + "/integration/responses/{status_code}":    h.putIntegrationResponse,
		"GET " + method + "/integration/responses/{status_code}":    h.getIntegrationResponse,
		"DELETE " + method + "/integration/responses/{status_code}": h.deleteIntegrationResponse,
		"POST " + api + "/deployments":                              h.createDeployment,
		"GET " + api + "/deployments":                               h.getDeployments,
		"GET " + api + "/deployments/{deployment_id}":               h.getDeployment,
		"DELETE " + api + "/deployments/{deployment_id}":            h.deleteDeployment,
		"POST " + api + "/stages":                                   h.createStage,
		"GET " + api + "/stages":                                    h.getStages,
		"GET " + api + "/stages/{stage_name}":                       h.getStage,
		"PATCH " + api + "/stages/{stage_name}":                     h.updateStage,
		"DELETE " + api + "/stages/{stage_name}":                    h.deleteStage,
		"PUT " + api + "/gatewayresponses/{response_type}":          h.putGatewayResponse,
		"GET " + api + "/gatewayresponses":                          h.getGatewayResponses,
		"GET " + api + "/gatewayresponses/{response_type}":          h.getGatewayResponse,
		"DELETE " + api + "/gatewayresponses/{response_type}":       h.deleteGatewayResponse,
		"POST /domainnames":                                         h.createDomainName,
		"GET /domainnames":                                          h.getDomainNames,
		"GET " + domain:                                             h.getDomainName,
		"DELETE " + domain:                                          h.deleteDomainName,
		"POST " + domain + "/basepathmappings":                      h.createBasePathMapping,
		"GET " + domain + "/basepathmappings":                       h.getBasePathMappings,
		"GET " + domain + "/basepathmappings/{base_path}":           h.getBasePathMapping,
		"PATCH " + domain + "/basepathmappings/{base_path}":         h.updateBasePathMapping,
		"DELETE " + domain + "/basepathmappings/{base_path}":        h.deleteBasePathMapping,
		"PUT /tags/{resource_arn}":                                  h.tagResource,
		"DELETE /tags/{resource_arn}":                               h.untagResource,
		"GET /tags/{resource_arn}":                                  h.getTags,
		// apigatewayv2: API mappings are base path mappings by another name.
		"POST /v2/domainnames/{domain_name}/apimappings":                h.createAPIMapping,
		"GET /v2/domainnames/{domain_name}/apimappings":                 h.getAPIMappings,
		"GET /v2/domainnames/{domain_name}/apimappings/{mapping_id}":    h.getAPIMapping,
		"DELETE /v2/domainnames/{domain_name}/apimappings/{mapping_id}": h.deleteAPIMapping,
		// Updates of the tree, custom domains and API mappings (update.go).
		"PATCH " + resource:                                            h.updateResource,
		"PATCH " + method + "/integration":                             h.updateIntegration,
		"PATCH " + method + "/responses/{status_code}":                 h.updateMethodResponse,
		"PATCH " + method + "/integration/responses/{status_code}":     h.updateIntegrationResponse,
		"PATCH " + domain:                                              h.updateDomainName,
		"PATCH /v2/domainnames/{domain_name}/apimappings/{mapping_id}": h.updateAPIMapping,
		// OpenAPI import and export (openapi.go); ImportRestApi is POST /restapis?mode=import.
		"PUT " + api: h.putRestAPI,
		"GET " + api + "/stages/{stage_name}/exports/{export_type}": h.getExport,

		// Models and request validators (models.go).
		"POST " + api + "/models":                                    h.createModel,
		"GET " + api + "/models":                                     h.getModels,
		"GET " + api + "/models/{model_name}":                        h.getModel,
		"PATCH " + api + "/models/{model_name}":                      h.updateModel,
		"DELETE " + api + "/models/{model_name}":                     h.deleteModel,
		"POST " + api + "/requestvalidators":                         h.createRequestValidator,
		"GET " + api + "/requestvalidators":                          h.getRequestValidators,
		"GET " + api + "/requestvalidators/{requestvalidator_id}":    h.getRequestValidator,
		"PATCH " + api + "/requestvalidators/{requestvalidator_id}":  h.updateRequestValidator,
		"DELETE " + api + "/requestvalidators/{requestvalidator_id}": h.deleteRequestValidator,

		// API keys, usage plans and usage (apikeys.go). POST /apikeys?mode=import
		// is ImportApiKeys, which createAPIKey hands on.
		"POST /apikeys":                                 h.createAPIKey,
		"GET /apikeys":                                  h.getAPIKeys,
		"GET /apikeys/{api_Key}":                        h.getAPIKey,
		"PATCH /apikeys/{api_Key}":                      h.updateAPIKey,
		"DELETE /apikeys/{api_Key}":                     h.deleteAPIKey,
		"POST /usageplans":                              h.createUsagePlan,
		"GET /usageplans":                               h.getUsagePlans,
		"GET /usageplans/{usageplanId}":                 h.getUsagePlan,
		"PATCH /usageplans/{usageplanId}":               h.updateUsagePlan,
		"DELETE /usageplans/{usageplanId}":              h.deleteUsagePlan,
		"POST /usageplans/{usageplanId}/keys":           h.createUsagePlanKey,
		"GET /usageplans/{usageplanId}/keys":            h.getUsagePlanKeys,
		"GET /usageplans/{usageplanId}/keys/{keyId}":    h.getUsagePlanKey,
		"DELETE /usageplans/{usageplanId}/keys/{keyId}": h.deleteUsagePlanKey,
		"GET /usageplans/{usageplanId}/usage":           h.getUsage,

		// UpdateUsage (usage.go).
		"PATCH /usageplans/{usageplanId}/keys/{keyId}/usage": h.updateUsage,
	} {
		m.Handle(pattern, op)
	}
	return &awsapi.Service{
		Name:         "apigateway",
		Protocol:     awsapi.RestJSON,
		BadInput:     "BadRequestException",
		PathPrefixes: []string{"/restapis", "/domainnames", "/tags", "/v2/", "/apikeys", "/usageplans"},
		Handler:      m,
		BodyLimit:    definitionBodyLimit, // largebody.go
	}
}

type handler struct{ gw *gateway.Service }

// decode reads the request's JSON body into v.
func decode(r *http.Request, v any) error { return awsapi.DecodeJSON(awsapi.Body(r), v) }

// Pagination: API Gateway pages collections with position/limit (default 25,
// at most 500); apigatewayv2 with nextToken/maxResults. Tokens are keyset
// tokens (package paging), opaque to clients as AWS's are: a page starts after
// the last item of the one before, even when earlier items were deleted.
const (
	defaultLimit = 25
	maxLimit     = 500
)

// page returns the items of the page that q's token and limit name, in
// order's order, and the token of the next page ("" on the last).
func page[T any](items []T, order paging.Keyset[T], q url.Values, tokenParam, limitParam string) ([]T, string, error) {
	limit := defaultLimit
	var limitErr error
	if l := q.Get(limitParam); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxLimit {
			// Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12-05).
			limitErr = model.BadRequest("BadRequestException", "Invalid %s specified: %s. It must be between 1 and %d", limitParam, l, maxLimit)
		}
		limit = n
	}
	tok := q.Get(tokenParam)
	items, next, ok := order.Page(items, tok, limit)
	if !ok {
		// A bad token is named before a bad limit. Not recorded from AWS
		// (searched: docs, issues, moto, LocalStack; 2026-12-05).
		return nil, "", model.BadRequest("BadRequestException", "Invalid %s specified: %s", tokenParam, tok)
	}
	if limitErr != nil {
		return nil, "", limitErr
	}
	return items, next, nil
}

// The orders of API Gateway's collections, as the gateway lists them.
var (
	byRestAPIID    = paging.Keyset[*model.RestAPI]{Key: func(a *model.RestAPI) string { return a.ID }}
	byResourcePath = paging.Keyset[*model.Resource]{Key: func(r *model.Resource) string { return r.Path }}
	byResponseType = paging.Keyset[*gateway.GatewayResponse]{Key: func(g *gateway.GatewayResponse) string { return g.ResponseType }}
	byDomainName   = paging.Keyset[*model.DomainName]{Key: func(d *model.DomainName) string { return d.Name }}
	byMappingID    = paging.Keyset[*model.BasePathMapping]{Key: func(m *model.BasePathMapping) string { return model.MappingID(m.DomainName, m.BasePath) }}
	oldestFirst    = paging.Keyset[*model.Deployment]{Key: deploymentKey}
)

// deploymentKey orders deployments oldest first, by id within a second (the
// gateway's order): the creation time in a fixed width, then the id.
func deploymentKey(d *model.Deployment) string {
	return d.CreatedDate.UTC().Format("20060102T150405.000000000") + " " + d.ID
}

// convert maps items to their wire shapes, never nil (an empty list is []).
func convert[T, W any](items []T, f func(T) W) []W {
	out := make([]W, 0, len(items))
	for _, it := range items {
		out = append(out, f(it))
	}
	return out
}
