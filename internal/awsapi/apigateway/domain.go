package apigateway

import (
	"net/http"

	"gatehouse/internal/awsapi"
	"gatehouse/internal/gateway"
)

// ---- Custom domain names ----

func (h *handler) createDomainName(r *http.Request) (int, any, error) {
	var in struct {
		DomainName             string                 `json:"domainName" required:"true"`
		CertificateARN         string                 `json:"certificateArn"`
		RegionalCertificateARN string                 `json:"regionalCertificateArn"`
		EndpointConfiguration  *endpointConfiguration `json:"endpointConfiguration"`
		SecurityPolicy         string                 `json:"securityPolicy"`
		Tags                   map[string]string      `json:"tags"`
	}
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	d, err := h.gw.CreateDomainName(r.Context(), gateway.CreateDomainNameInput{
		DomainName: in.DomainName, CertificateARN: in.CertificateARN, RegionalCertificateARN: in.RegionalCertificateARN,
		SecurityPolicy: in.SecurityPolicy, EndpointConfiguration: in.EndpointConfiguration.model(), Tags: in.Tags,
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toDomainName(d), nil
}

func (h *handler) getDomainNames(r *http.Request) (int, any, error) {
	all, err := h.gw.GetDomainNames(r.Context())
	if err != nil {
		return 0, nil, err
	}
	items, next, err := page(all, byDomainName, r.URL.Query(), "position", "limit")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, collection[domainName]{Position: next, Items: convert(items, toDomainName)}, nil
}

func (h *handler) getDomainName(r *http.Request) (int, any, error) {
	d, err := h.gw.GetDomainName(r.Context(), r.PathValue("domain_name"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toDomainName(d), nil
}

func (h *handler) deleteDomainName(r *http.Request) (int, any, error) {
	return http.StatusAccepted, nil, h.gw.DeleteDomainName(r.Context(), r.PathValue("domain_name"))
}

// ---- Base path mappings ----

func (h *handler) createBasePathMapping(r *http.Request) (int, any, error) {
	var in struct {
		BasePath  string `json:"basePath"`
		RestAPIID string `json:"restApiId" required:"true"`
		Stage     string `json:"stage"`
	}
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	m, err := h.gw.CreateBasePathMapping(r.Context(), r.PathValue("domain_name"), in.BasePath, in.RestAPIID, in.Stage)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toBasePathMapping(m), nil
}

func (h *handler) getBasePathMappings(r *http.Request) (int, any, error) {
	all, err := h.gw.GetBasePathMappings(r.Context(), r.PathValue("domain_name"))
	if err != nil {
		return 0, nil, err
	}
	items, next, err := page(all, byMappingID, r.URL.Query(), "position", "limit")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, collection[basePathMapping]{Position: next, Items: convert(items, toBasePathMapping)}, nil
}

func (h *handler) getBasePathMapping(r *http.Request) (int, any, error) {
	m, err := h.gw.GetBasePathMapping(r.Context(), r.PathValue("domain_name"), r.PathValue("base_path"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toBasePathMapping(m), nil
}

func (h *handler) updateBasePathMapping(r *http.Request) (int, any, error) {
	var in patchInput
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	m, err := h.gw.PatchBasePathMapping(r.Context(), r.PathValue("domain_name"), r.PathValue("base_path"), in.ops())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toBasePathMapping(m), nil
}

func (h *handler) deleteBasePathMapping(r *http.Request) (int, any, error) {
	return http.StatusAccepted, nil, h.gw.DeleteBasePathMapping(r.Context(), r.PathValue("domain_name"), r.PathValue("base_path"))
}

// ---- apigatewayv2 API mappings ----

func (h *handler) createAPIMapping(r *http.Request) (int, any, error) {
	var in struct {
		APIID         string `json:"apiId" required:"true"`
		APIMappingKey string `json:"apiMappingKey"`
		Stage         string `json:"stage" required:"true"`
	}
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	m, err := h.gw.CreateBasePathMapping(r.Context(), r.PathValue("domain_name"), in.APIMappingKey, in.APIID, in.Stage)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toAPIMapping(m), nil
}

func (h *handler) getAPIMappings(r *http.Request) (int, any, error) {
	all, err := h.gw.GetBasePathMappings(r.Context(), r.PathValue("domain_name"))
	if err != nil {
		return 0, nil, err
	}
	items, next, err := page(all, byMappingID, r.URL.Query(), "nextToken", "maxResults")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, struct {
		Items     []apiMapping `json:"items"`
		NextToken string       `json:"nextToken,omitempty"`
	}{convert(items, toAPIMapping), next}, nil
}

func (h *handler) getAPIMapping(r *http.Request) (int, any, error) {
	m, err := h.gw.GetAPIMapping(r.Context(), r.PathValue("domain_name"), r.PathValue("mapping_id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toAPIMapping(m), nil
}

func (h *handler) deleteAPIMapping(r *http.Request) (int, any, error) {
	m, err := h.gw.GetAPIMapping(r.Context(), r.PathValue("domain_name"), r.PathValue("mapping_id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, h.gw.DeleteBasePathMapping(r.Context(), m.DomainName, m.BasePath)
}

// ---- Tags ----

func (h *handler) tagResource(r *http.Request) (int, any, error) {
	var in struct {
		Tags map[string]string `json:"tags" required:"true"`
	}
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, h.gw.TagResource(r.Context(), r.PathValue("resource_arn"), in.Tags)
}

func (h *handler) untagResource(r *http.Request) (int, any, error) {
	keys := r.URL.Query()["tagKeys"]
	if len(keys) == 0 {
		return 0, nil, &awsapi.InputError{Missing: []string{"tagKeys"}}
	}
	return http.StatusNoContent, nil, h.gw.UntagResource(r.Context(), r.PathValue("resource_arn"), keys)
}

func (h *handler) getTags(r *http.Request) (int, any, error) {
	tags, err := h.gw.GetTags(r.Context(), r.PathValue("resource_arn"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, struct {
		Tags map[string]string `json:"tags"`
	}{tags}, nil
}
