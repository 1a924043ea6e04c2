package apigateway

import (
	"net/http"

	"gatehouse/internal/gateway"
	"gatehouse/internal/model"
	"gatehouse/internal/paging"
)

// Models and request validators: their wire shapes and handlers.

type modelShape struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Schema      string `json:"schema,omitempty"`
	ContentType string `json:"contentType"`
}

func toModel(m *model.Model) modelShape {
	return modelShape{ID: m.ID, Name: m.Name, Description: m.Description, Schema: m.Schema, ContentType: m.ContentType}
}

type requestValidator struct {
	ID                        string `json:"id"`
	Name                      string `json:"name,omitempty"`
	ValidateRequestBody       bool   `json:"validateRequestBody"`
	ValidateRequestParameters bool   `json:"validateRequestParameters"`
}

func toRequestValidator(v *model.RequestValidator) requestValidator {
	return requestValidator{ID: v.ID, Name: v.Name, ValidateRequestBody: v.ValidateRequestBody,
		ValidateRequestParameters: v.ValidateRequestParameters}
}

var (
	byModelName   = paging.Keyset[*model.Model]{Key: func(m *model.Model) string { return m.Name }}
	byValidatorID = paging.Keyset[*model.RequestValidator]{Key: func(v *model.RequestValidator) string { return v.ID }}
)

// ---- Models ----

func (h *handler) createModel(r *http.Request) (int, any, error) {
	var in struct {
		Name        string `json:"name" required:"true"`
		Description string `json:"description"`
		Schema      string `json:"schema"`
		ContentType string `json:"contentType" required:"true"`
	}
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	m, err := h.gw.CreateModel(r.Context(), r.PathValue("restapi_id"), gateway.ModelInput{
		Name: in.Name, Description: in.Description, Schema: in.Schema, ContentType: in.ContentType})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toModel(m), nil
}

func (h *handler) getModel(r *http.Request) (int, any, error) {
	m, err := h.gw.GetModel(r.Context(), r.PathValue("restapi_id"), r.PathValue("model_name"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toModel(m), nil
}

func (h *handler) getModels(r *http.Request) (int, any, error) {
	all, err := h.gw.GetModels(r.Context(), r.PathValue("restapi_id"))
	if err != nil {
		return 0, nil, err
	}
	items, next, err := page(all, byModelName, r.URL.Query(), "position", "limit")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, collection[modelShape]{Position: next, Items: convert(items, toModel)}, nil
}

func (h *handler) updateModel(r *http.Request) (int, any, error) {
	var in patchInput
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	m, err := h.gw.PatchModel(r.Context(), r.PathValue("restapi_id"), r.PathValue("model_name"), in.ops())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toModel(m), nil
}

func (h *handler) deleteModel(r *http.Request) (int, any, error) {
	return http.StatusAccepted, nil, h.gw.DeleteModel(r.Context(), r.PathValue("restapi_id"), r.PathValue("model_name"))
}

// ---- Request validators ----

func (h *handler) createRequestValidator(r *http.Request) (int, any, error) {
	var in struct {
		Name                      string `json:"name"`
		ValidateRequestBody       bool   `json:"validateRequestBody"`
		ValidateRequestParameters bool   `json:"validateRequestParameters"`
	}
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	v, err := h.gw.CreateRequestValidator(r.Context(), r.PathValue("restapi_id"), gateway.ValidatorInput{
		Name: in.Name, ValidateRequestBody: in.ValidateRequestBody, ValidateRequestParameters: in.ValidateRequestParameters})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toRequestValidator(v), nil
}

func (h *handler) getRequestValidator(r *http.Request) (int, any, error) {
	v, err := h.gw.GetRequestValidator(r.Context(), r.PathValue("restapi_id"), r.PathValue("requestvalidator_id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toRequestValidator(v), nil
}

func (h *handler) getRequestValidators(r *http.Request) (int, any, error) {
	all, err := h.gw.GetRequestValidators(r.Context(), r.PathValue("restapi_id"))
	if err != nil {
		return 0, nil, err
	}
	items, next, err := page(all, byValidatorID, r.URL.Query(), "position", "limit")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, collection[requestValidator]{Position: next, Items: convert(items, toRequestValidator)}, nil
}

func (h *handler) updateRequestValidator(r *http.Request) (int, any, error) {
	var in patchInput
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	v, err := h.gw.PatchRequestValidator(r.Context(), r.PathValue("restapi_id"), r.PathValue("requestvalidator_id"), in.ops())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toRequestValidator(v), nil
}

func (h *handler) deleteRequestValidator(r *http.Request) (int, any, error) {
	return http.StatusAccepted, nil, h.gw.DeleteRequestValidator(r.Context(), r.PathValue("restapi_id"), r.PathValue("requestvalidator_id"))
}
