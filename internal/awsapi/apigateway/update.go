package apigateway

import (
	"net/http"

	"gatehouse/internal/gateway"
)

// The Update operations of the tree, custom domains and API mappings: each
// decodes its patch operations and hands them to the gateway, which owns the
// paths, their checks and AWS's refusals.

// patchOps decodes an Update operation's body.
func patchOps(r *http.Request) ([]gateway.PatchOperation, error) {
	var in patchInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return in.ops(), nil
}

func (h *handler) updateResource(r *http.Request) (int, any, error) {
	ops, err := patchOps(r)
	if err != nil {
		return 0, nil, err
	}
	res, err := h.gw.UpdateResource(r.Context(), r.PathValue("restapi_id"), r.PathValue("resource_id"), ops)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toResource(res, false), nil
}

func (h *handler) updateIntegration(r *http.Request) (int, any, error) {
	ops, err := patchOps(r)
	if err != nil {
		return 0, nil, err
	}
	api, res, verb := methodPath(r)
	integ, err := h.gw.PatchIntegration(r.Context(), api, res, verb, ops)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toIntegration(integ), nil
}

func (h *handler) updateIntegrationResponse(r *http.Request) (int, any, error) {
	ops, err := patchOps(r)
	if err != nil {
		return 0, nil, err
	}
	api, res, verb := methodPath(r)
	ir, err := h.gw.PatchIntegrationResponse(r.Context(), api, res, verb, r.PathValue("status_code"), ops)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toIntegrationResponse(ir), nil
}

// updateMethodResponse answers 201, as the service model says AWS does.
func (h *handler) updateMethodResponse(r *http.Request) (int, any, error) {
	ops, err := patchOps(r)
	if err != nil {
		return 0, nil, err
	}
	api, res, verb := methodPath(r)
	mr, err := h.gw.PatchMethodResponse(r.Context(), api, res, verb, r.PathValue("status_code"), ops)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toMethodResponse(mr), nil
}

func (h *handler) updateDomainName(r *http.Request) (int, any, error) {
	ops, err := patchOps(r)
	if err != nil {
		return 0, nil, err
	}
	d, err := h.gw.PatchDomainName(r.Context(), r.PathValue("domain_name"), ops)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toDomainName(d), nil
}

// updateAPIMapping is apigatewayv2's UpdateApiMapping (apiId required,
// the other members optional).
func (h *handler) updateAPIMapping(r *http.Request) (int, any, error) {
	var in struct {
		APIID         *string `json:"apiId" required:"true"`
		APIMappingKey *string `json:"apiMappingKey"`
		Stage         *string `json:"stage"`
	}
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	m, err := h.gw.UpdateAPIMapping(r.Context(), r.PathValue("domain_name"), r.PathValue("mapping_id"), in.APIID, in.APIMappingKey, in.Stage)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toAPIMapping(m), nil
}
