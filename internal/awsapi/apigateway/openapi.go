package apigateway

import (
	"net/http"
	"strconv"

	"gatehouse/internal/awsapi"
	"gatehouse/internal/gateway"
	"gatehouse/internal/model"
)

// ImportRestApi, PutRestApi and GetExport: the definition travels as the
// request's or the response's whole body (a blob payload), not in a JSON
// shape.

// importedAPI is the RestApi shape with the import's warnings.
type importedAPI struct {
	restAPI
	Warnings []string `json:"warnings,omitempty"`
}

// failOnWarnings reads the failonwarnings query parameter (default false).
func failOnWarnings(r *http.Request) (bool, error) {
	v := r.URL.Query().Get("failonwarnings")
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		// Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12).
		return false, model.BadRequest("BadRequestException", "Invalid value for failonwarnings: %s", model.Clip(v))
	}
	return b, nil
}

// importRestAPI is ImportRestApi, POST /restapis?mode=import: the
// parameters map travels as query parameters (endpointConfigurationTypes).
func (h *handler) importRestAPI(r *http.Request) (int, any, error) {
	fail, err := failOnWarnings(r)
	if err != nil {
		return 0, nil, err
	}
	api, warnings, err := h.gw.ImportRestAPI(r.Context(), gateway.ImportInput{
		Body: awsapi.Body(r), FailOnWarnings: fail, EndpointType: r.URL.Query().Get("endpointConfigurationTypes")})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, importedAPI{toRestAPI(api), warnings}, nil
}

func (h *handler) putRestAPI(r *http.Request) (int, any, error) {
	fail, err := failOnWarnings(r)
	if err != nil {
		return 0, nil, err
	}
	api, warnings, err := h.gw.PutRestAPI(r.Context(), r.PathValue("restapi_id"), awsapi.Body(r), r.URL.Query().Get("mode"), fail)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, importedAPI{toRestAPI(api), warnings}, nil
}

func (h *handler) getExport(r *http.Request) (int, any, error) {
	body, contentType, err := h.gw.GetExport(r.Context(), r.PathValue("restapi_id"), r.PathValue("stage_name"), gateway.ExportInput{
		ExportType: r.PathValue("export_type"), Extensions: r.URL.Query().Get("extensions"), Accept: r.Header.Get("Accept")})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, awsapi.Raw{ContentType: contentType, Body: body}, nil
}
