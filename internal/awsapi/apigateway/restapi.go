package apigateway

import (
	"net/http"
	"slices"

	"gatehouse/internal/gateway"
	"gatehouse/internal/model"
)

// patchInput is the body of every Update operation.
type patchInput struct {
	PatchOperations []patchOperation `json:"patchOperations"`
}

type patchOperation struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value string `json:"value"`
	From  string `json:"from"`
}

func (p patchInput) ops() []gateway.PatchOperation {
	return convert(p.PatchOperations, func(o patchOperation) gateway.PatchOperation { return gateway.PatchOperation(o) })
}

// ---- REST APIs ----

func (h *handler) createRestAPI(r *http.Request) (int, any, error) {
	if r.URL.Query().Get("mode") == "import" {
		return h.importRestAPI(r) // ImportRestApi shares the route (openapi.go)
	}
	var in struct {
		Name                      string                 `json:"name" required:"true"`
		Description               string                 `json:"description"`
		Version                   string                 `json:"version"`
		EndpointConfiguration     *endpointConfiguration `json:"endpointConfiguration"`
		Policy                    string                 `json:"policy"`
		Tags                      map[string]string      `json:"tags"`
		APIKeySource              string                 `json:"apiKeySource"`
		DisableExecuteAPIEndpoint bool                   `json:"disableExecuteApiEndpoint"`
		BinaryMediaTypes          []string               `json:"binaryMediaTypes"`
	}
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	api, err := h.gw.CreateRestAPI(r.Context(), gateway.CreateRestAPIInput{
		Name: in.Name, Description: in.Description, Version: in.Version,
		EndpointConfiguration: in.EndpointConfiguration.model(), Policy: in.Policy, Tags: in.Tags,
		APIKeySource: in.APIKeySource, DisableExecuteAPIEndpoint: in.DisableExecuteAPIEndpoint,
		BinaryMediaTypes: in.BinaryMediaTypes,
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toRestAPI(api), nil
}

func (h *handler) getRestAPIs(r *http.Request) (int, any, error) {
	apis, err := h.gw.ListRestAPIs(r.Context())
	if err != nil {
		return 0, nil, err
	}
	items, next, err := page(apis, byRestAPIID, r.URL.Query(), "position", "limit")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, collection[restAPI]{Position: next, Items: convert(items, toRestAPI)}, nil
}

func (h *handler) getRestAPI(r *http.Request) (int, any, error) {
	api, err := h.gw.GetRestAPI(r.Context(), r.PathValue("restapi_id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toRestAPI(api), nil
}

func (h *handler) updateRestAPI(r *http.Request) (int, any, error) {
	var in patchInput
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	api, err := h.gw.PatchRestAPI(r.Context(), r.PathValue("restapi_id"), in.ops())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toRestAPI(api), nil
}

func (h *handler) deleteRestAPI(r *http.Request) (int, any, error) {
	return http.StatusAccepted, nil, h.gw.DeleteRestAPI(r.Context(), r.PathValue("restapi_id"))
}

// ---- Resources ----

// embedsMethods reports whether the query asks for embed=methods.
func embedsMethods(r *http.Request) bool {
	return slices.Contains(r.URL.Query()["embed"], "methods")
}

func (h *handler) getResources(r *http.Request) (int, any, error) {
	all, err := h.gw.GetResources(r.Context(), r.PathValue("restapi_id"))
	if err != nil {
		return 0, nil, err
	}
	items, next, err := page(all, byResourcePath, r.URL.Query(), "position", "limit")
	if err != nil {
		return 0, nil, err
	}
	embed := embedsMethods(r)
	return http.StatusOK, collection[resource]{Position: next,
		Items: convert(items, func(res *model.Resource) resource { return toResource(res, embed) })}, nil
}

func (h *handler) createResource(r *http.Request) (int, any, error) {
	var in struct {
		PathPart string `json:"pathPart" required:"true"`
	}
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	res, err := h.gw.CreateResource(r.Context(), r.PathValue("restapi_id"), r.PathValue("parent_id"), in.PathPart)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toResource(res, false), nil
}

func (h *handler) getResource(r *http.Request) (int, any, error) {
	res, err := h.gw.GetResource(r.Context(), r.PathValue("restapi_id"), r.PathValue("resource_id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toResource(res, embedsMethods(r)), nil
}

func (h *handler) deleteResource(r *http.Request) (int, any, error) {
	return http.StatusAccepted, nil, h.gw.DeleteResource(r.Context(), r.PathValue("restapi_id"), r.PathValue("resource_id"))
}

// ---- Methods ----

// methodPath is the API, resource and HTTP method a method's paths name.
func methodPath(r *http.Request) (api, res, verb string) {
	return r.PathValue("restapi_id"), r.PathValue("resource_id"), r.PathValue("http_method")
}

func (h *handler) putMethod(r *http.Request) (int, any, error) {
	var in struct {
		AuthorizationType  string            `json:"authorizationType" required:"true"`
		APIKeyRequired     bool              `json:"apiKeyRequired"`
		OperationName      string            `json:"operationName"`
		RequestParameters  map[string]bool   `json:"requestParameters"`
		RequestValidatorID string            `json:"requestValidatorId"`
		RequestModels      map[string]string `json:"requestModels"`
	}
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	api, res, verb := methodPath(r)
	m, err := h.gw.PutMethod(r.Context(), api, res, verb, gateway.PutMethodInput{AuthorizationType: in.AuthorizationType,
		APIKeyRequired: in.APIKeyRequired, OperationName: in.OperationName, RequestParameters: in.RequestParameters,
		RequestValidatorID: in.RequestValidatorID, RequestModels: in.RequestModels})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toMethod(m), nil
}

func (h *handler) getMethod(r *http.Request) (int, any, error) {
	api, res, verb := methodPath(r)
	m, err := h.gw.GetMethod(r.Context(), api, res, verb)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toMethod(m), nil
}

func (h *handler) updateMethod(r *http.Request) (int, any, error) {
	var in patchInput
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	api, res, verb := methodPath(r)
	m, err := h.gw.PatchMethod(r.Context(), api, res, verb, in.ops())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toMethod(m), nil
}

func (h *handler) deleteMethod(r *http.Request) (int, any, error) {
	api, res, verb := methodPath(r)
	return http.StatusNoContent, nil, h.gw.DeleteMethod(r.Context(), api, res, verb)
}

// ---- Integrations ----

func (h *handler) putIntegration(r *http.Request) (int, any, error) {
	var in struct {
		Type                string            `json:"type" required:"true"`
		HTTPMethod          string            `json:"httpMethod"` // the integration's (integrationHttpMethod)
		URI                 string            `json:"uri"`
		RequestParameters   map[string]string `json:"requestParameters"`
		RequestTemplates    map[string]string `json:"requestTemplates"`
		PassthroughBehavior string            `json:"passthroughBehavior"`
		CacheNamespace      string            `json:"cacheNamespace"`
		TimeoutInMillis     int               `json:"timeoutInMillis"`
		ContentHandling     string            `json:"contentHandling"`
	}
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	api, res, verb := methodPath(r)
	integ, err := h.gw.PutIntegration(r.Context(), api, res, verb, model.Integration{
		Type: in.Type, HTTPMethod: in.HTTPMethod, URI: in.URI, RequestParameters: in.RequestParameters,
		RequestTemplates: in.RequestTemplates, PassthroughBehavior: in.PassthroughBehavior,
		CacheNamespace: in.CacheNamespace, TimeoutInMillis: in.TimeoutInMillis, ContentHandling: in.ContentHandling,
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toIntegration(integ), nil
}

func (h *handler) getIntegration(r *http.Request) (int, any, error) {
	api, res, verb := methodPath(r)
	integ, err := h.gw.GetIntegration(r.Context(), api, res, verb)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toIntegration(integ), nil
}

func (h *handler) deleteIntegration(r *http.Request) (int, any, error) {
	api, res, verb := methodPath(r)
	return http.StatusNoContent, nil, h.gw.DeleteIntegration(r.Context(), api, res, verb)
}

// ---- Method and integration responses ----

func (h *handler) putMethodResponse(r *http.Request) (int, any, error) {
	var in struct {
		ResponseParameters map[string]bool   `json:"responseParameters"`
		ResponseModels     map[string]string `json:"responseModels"`
	}
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	api, res, verb := methodPath(r)
	mr, err := h.gw.PutMethodResponse(r.Context(), api, res, verb, r.PathValue("status_code"),
		model.MethodResponse{ResponseParameters: in.ResponseParameters, ResponseModels: in.ResponseModels})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toMethodResponse(mr), nil
}

func (h *handler) getMethodResponse(r *http.Request) (int, any, error) {
	api, res, verb := methodPath(r)
	mr, err := h.gw.GetMethodResponse(r.Context(), api, res, verb, r.PathValue("status_code"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toMethodResponse(mr), nil
}

func (h *handler) deleteMethodResponse(r *http.Request) (int, any, error) {
	api, res, verb := methodPath(r)
	return http.StatusNoContent, nil, h.gw.DeleteMethodResponse(r.Context(), api, res, verb, r.PathValue("status_code"))
}

func (h *handler) putIntegrationResponse(r *http.Request) (int, any, error) {
	var in struct {
		SelectionPattern   string            `json:"selectionPattern"`
		ResponseParameters map[string]string `json:"responseParameters"`
		ResponseTemplates  map[string]string `json:"responseTemplates"`
		ContentHandling    string            `json:"contentHandling"`
	}
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	api, res, verb := methodPath(r)
	ir, err := h.gw.PutIntegrationResponse(r.Context(), api, res, verb, r.PathValue("status_code"), model.IntegrationResponse{
		SelectionPattern: in.SelectionPattern, ResponseParameters: in.ResponseParameters, ResponseTemplates: in.ResponseTemplates,
		ContentHandling: in.ContentHandling})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toIntegrationResponse(ir), nil
}

func (h *handler) getIntegrationResponse(r *http.Request) (int, any, error) {
	api, res, verb := methodPath(r)
	ir, err := h.gw.GetIntegrationResponse(r.Context(), api, res, verb, r.PathValue("status_code"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toIntegrationResponse(ir), nil
}

func (h *handler) deleteIntegrationResponse(r *http.Request) (int, any, error) {
	api, res, verb := methodPath(r)
	return http.StatusNoContent, nil, h.gw.DeleteIntegrationResponse(r.Context(), api, res, verb, r.PathValue("status_code"))
}

// ---- Deployments ----

func (h *handler) createDeployment(r *http.Request) (int, any, error) {
	var in struct {
		StageName        string            `json:"stageName"`
		StageDescription string            `json:"stageDescription"`
		Description      string            `json:"description"`
		Variables        map[string]string `json:"variables"`
	}
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	d, err := h.gw.CreateDeployment(r.Context(), r.PathValue("restapi_id"), gateway.CreateDeploymentInput{
		Description: in.Description, StageName: in.StageName, StageDescription: in.StageDescription, Variables: in.Variables})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toDeployment(d), nil
}

func (h *handler) getDeployments(r *http.Request) (int, any, error) {
	all, err := h.gw.GetDeployments(r.Context(), r.PathValue("restapi_id"))
	if err != nil {
		return 0, nil, err
	}
	items, next, err := page(all, oldestFirst, r.URL.Query(), "position", "limit")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, collection[deployment]{Position: next, Items: convert(items, toDeployment)}, nil
}

func (h *handler) getDeployment(r *http.Request) (int, any, error) {
	d, err := h.gw.GetDeployment(r.Context(), r.PathValue("restapi_id"), r.PathValue("deployment_id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toDeployment(d), nil
}

func (h *handler) deleteDeployment(r *http.Request) (int, any, error) {
	return http.StatusAccepted, nil, h.gw.DeleteDeployment(r.Context(), r.PathValue("restapi_id"), r.PathValue("deployment_id"))
}

// ---- Stages ----

func (h *handler) createStage(r *http.Request) (int, any, error) {
	var in struct {
		StageName      string            `json:"stageName" required:"true"`
		DeploymentID   string            `json:"deploymentId" required:"true"`
		Description    string            `json:"description"`
		Variables      map[string]string `json:"variables"`
		TracingEnabled bool              `json:"tracingEnabled"`
		Tags           map[string]string `json:"tags"`
	}
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	st, err := h.gw.CreateStage(r.Context(), r.PathValue("restapi_id"), in.StageName, in.DeploymentID, gateway.StageInput{
		Description: in.Description, Variables: in.Variables, TracingEnabled: in.TracingEnabled, Tags: in.Tags})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toStage(st), nil
}

// getStages lists an API's stages, those of one deployment when asked; the
// Stages shape has no paging.
func (h *handler) getStages(r *http.Request) (int, any, error) {
	all, err := h.gw.GetStages(r.Context(), r.PathValue("restapi_id"))
	if err != nil {
		return 0, nil, err
	}
	if dep := r.URL.Query().Get("deploymentId"); dep != "" {
		all = slices.DeleteFunc(all, func(s *model.Stage) bool { return s.DeploymentID != dep })
	}
	return http.StatusOK, struct {
		Item []stage `json:"item"`
	}{convert(all, toStage)}, nil
}

func (h *handler) getStage(r *http.Request) (int, any, error) {
	st, err := h.gw.GetStage(r.Context(), r.PathValue("restapi_id"), r.PathValue("stage_name"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toStage(st), nil
}

func (h *handler) updateStage(r *http.Request) (int, any, error) {
	var in patchInput
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	st, err := h.gw.PatchStage(r.Context(), r.PathValue("restapi_id"), r.PathValue("stage_name"), in.ops())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toStage(st), nil
}

func (h *handler) deleteStage(r *http.Request) (int, any, error) {
	return http.StatusAccepted, nil, h.gw.DeleteStage(r.Context(), r.PathValue("restapi_id"), r.PathValue("stage_name"))
}

// ---- Gateway responses ----

func (h *handler) putGatewayResponse(r *http.Request) (int, any, error) {
	var in struct {
		StatusCode         string            `json:"statusCode"`
		ResponseParameters map[string]string `json:"responseParameters"`
		ResponseTemplates  map[string]string `json:"responseTemplates"`
	}
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	gr, err := h.gw.PutGatewayResponse(r.Context(), r.PathValue("restapi_id"), model.GatewayResponse{
		ResponseType: r.PathValue("response_type"), StatusCode: in.StatusCode,
		ResponseParameters: in.ResponseParameters, ResponseTemplates: in.ResponseTemplates})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toGatewayResponse(gr), nil
}

func (h *handler) getGatewayResponses(r *http.Request) (int, any, error) {
	all, err := h.gw.GetGatewayResponses(r.Context(), r.PathValue("restapi_id"))
	if err != nil {
		return 0, nil, err
	}
	items, next, err := page(all, byResponseType, r.URL.Query(), "position", "limit")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, collection[gatewayResponse]{Position: next, Items: convert(items, toGatewayResponse)}, nil
}

func (h *handler) getGatewayResponse(r *http.Request) (int, any, error) {
	gr, err := h.gw.GetGatewayResponse(r.Context(), r.PathValue("restapi_id"), r.PathValue("response_type"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toGatewayResponse(gr), nil
}

func (h *handler) deleteGatewayResponse(r *http.Request) (int, any, error) {
	return http.StatusAccepted, nil, h.gw.DeleteGatewayResponse(r.Context(), r.PathValue("restapi_id"), r.PathValue("response_type"))
}
