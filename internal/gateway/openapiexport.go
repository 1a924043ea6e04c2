package gateway

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"gatehouse/internal/model"
)

// ExportInput is GetExport's request.
type ExportInput struct {
	ExportType string // "oas30" or "swagger"
	// Extensions is the parameter extensions: "integrations" adds each
	// method's x-amazon-apigateway-integration, "apigateway" also the API's
	// own x-amazon-apigateway-* extensions.
	Extensions string
	Accept     string // application/json (default) or application/yaml
}

// GetExport writes the API as the stage's deployment froze it, as an
// OpenAPI 3.0 or Swagger 2.0 definition, and returns it with its content
// type. ImportRestApi reads it back into the same tree.
func (s *Service) GetExport(ctx context.Context, apiID, stageName string, in ExportInput) ([]byte, string, error) {
	if in.ExportType != "oas30" && in.ExportType != "swagger" {
		// moto's text (models.py export_api).
		return nil, "", badRequest("No API exporter for type '" + model.Clip(in.ExportType) + "'")
	}
	contentType := "application/json"
	switch a := strings.ToLower(strings.TrimSpace(strings.Split(in.Accept, ";")[0])); a {
	case "", "*/*", "application/json":
	case "application/yaml", "application/x-yaml", "text/yaml":
		contentType = "application/yaml"
	default:
		// Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12).
		return nil, "", badRequest("Invalid Accept header specified: " + model.Clip(in.Accept) + ". Valid values are application/json, application/yaml")
	}
	st, err := s.GetStage(ctx, apiID, stageName)
	if err != nil {
		return nil, "", err
	}
	api, err := DeployedAPI(ctx, s.d.Store, apiID, st.DeploymentID)
	if err != nil {
		return nil, "", fmt.Errorf("load deployment %s: %w", st.DeploymentID, err)
	}
	exts := strings.Split(in.Extensions, ",")
	doc := exportDoc(api, stageName, s.env.Region, in.ExportType == "swagger",
		slices.Contains(exts, "integrations") || slices.Contains(exts, "apigateway"), slices.Contains(exts, "apigateway"))
	var b []byte
	if contentType == "application/yaml" {
		b, err = yaml.Marshal(doc)
	} else {
		b, err = json.MarshalIndent(doc, "", "  ")
	}
	if err != nil {
		return nil, "", fmt.Errorf("encode export of %s: %w", apiID, err)
	}
	return b, contentType, nil
}

// exportDoc is the definition of api as served at stage: paths in
// ascending order (maps are written sorted), each method's request
// parameters, method responses and security, and with integrations and
// apigateway the extensions ImportRestApi reads.
func exportDoc(api *model.RestAPI, stage, region string, swagger, integrations, apigateway bool) *oasDoc {
	doc := &oasDoc{
		Info:  oasInfo{Title: api.Name, Description: api.Description, Version: looseString(cmp.Or(api.Version, api.CreatedDate.UTC().Format("2006-01-02T15:04:05Z")))},
		Paths: map[string]*oasPath{},
	}
	host := api.ID + ".execute-api." + region + ".amazonaws.com"
	if swagger {
		doc.Swagger, doc.Host, doc.BasePath, doc.Schemes = "2.0", host, "/"+stage, []string{"https"}
	} else {
		doc.OpenAPI = "3.0.1"
		doc.Servers = []oasServer{{URL: "https://" + host + "/{basePath}", Variables: map[string]oasServerVariable{"basePath": {Default: stage}}}}
	}
	schemes := map[string]*oasSecurityScheme{}
	for _, r := range api.Resources {
		if r.ParentID == "" && len(r.Methods) == 0 {
			continue // the bare root is implied
		}
		item := &oasPath{}
		for verb, m := range r.Methods {
			op := exportOperation(r, m, swagger, integrations, schemes)
			exportMethodModels(op, m, api, swagger, apigateway) // openapimodels.go
			item.set(verb, op)
		}
		doc.Paths[r.Path] = item
	}
	if len(schemes) > 0 {
		if swagger {
			doc.SecurityDefinitions = schemes
		} else {
			doc.Components = &oasComponents{SecuritySchemes: schemes}
		}
	}
	exportModels(doc, api, swagger, apigateway) // openapimodels.go
	if !apigateway {
		return doc
	}
	doc.BinaryMediaTypes = api.BinaryMediaTypes
	if api.Policy != "" {
		var pol any
		if json.Unmarshal([]byte(api.Policy), &pol) == nil {
			doc.Policy = pol
		}
	}
	if len(api.EndpointConfiguration.VpcEndpointIDs) > 0 || api.DisableExecuteAPIEndpoint {
		doc.Endpoint = &oasEndpointConfiguration{VpcEndpointIDs: api.EndpointConfiguration.VpcEndpointIDs,
			DisableExecuteAPIEndpoint: api.DisableExecuteAPIEndpoint}
	}
	doc.APIKeySource = api.APIKeySource
	for typ, gr := range api.GatewayResponses {
		if doc.GatewayResponses == nil {
			doc.GatewayResponses = map[string]*oasGatewayResponse{}
		}
		doc.GatewayResponses[typ] = &oasGatewayResponse{StatusCode: looseString(gr.StatusCode),
			ResponseParameters: gr.ResponseParameters, ResponseTemplates: gr.ResponseTemplates}
	}
	return doc
}

// requestParamPlaces maps a request parameter's place in API Gateway's
// names to OpenAPI's.
var requestParamPlaces = map[string]string{"path": "path", "querystring": "query", "header": "header"}

func exportOperation(r *model.Resource, m *model.Method, swagger, integrations bool, schemes map[string]*oasSecurityScheme) *oasOperation {
	op := &oasOperation{OperationID: m.OperationName, Responses: map[string]*oasResponse{}}
	for _, name := range slices.Sorted(maps.Keys(m.RequestParameters)) {
		rest, ok := strings.CutPrefix(name, "method.request.")
		place, pname, _ := strings.Cut(rest, ".")
		in := requestParamPlaces[place]
		if !ok || in == "" || pname == "" {
			continue // multivalue and body parameters have no OpenAPI form
		}
		prm := oasParameter{Name: pname, In: in, Required: m.RequestParameters[name] || in == "path"}
		if swagger {
			prm.Type = "string"
		} else {
			prm.Schema = &oasSchema{Type: "string"}
		}
		op.Parameters = append(op.Parameters, prm)
	}
	for code, mr := range m.MethodResponses {
		resp := &oasResponse{Description: code + " response"}
		for name := range mr.ResponseParameters {
			h, ok := strings.CutPrefix(name, "method.response.header.")
			if !ok {
				continue
			}
			if resp.Headers == nil {
				resp.Headers = map[string]*oasHeader{}
			}
			if swagger {
				resp.Headers[h] = &oasHeader{Type: "string"}
			} else {
				resp.Headers[h] = &oasHeader{Schema: &oasSchema{Type: "string"}}
			}
		}
		op.Responses[code] = resp
	}
	var security []map[string][]string
	if m.APIKeyRequired {
		schemes["api_key"] = &oasSecurityScheme{Type: "apiKey", Name: "x-api-key", In: "header"}
		security = append(security, map[string][]string{"api_key": {}})
	}
	if m.AuthorizationType == "AWS_IAM" {
		schemes["sigv4"] = &oasSecurityScheme{Type: "apiKey", Name: "Authorization", In: "header", AuthType: "awsSigv4"}
		security = append(security, map[string][]string{"sigv4": {}})
	}
	if security != nil {
		op.Security = &security
	}
	if integrations && m.Integration != nil {
		op.Integration = exportIntegration(r, m.Integration)
	}
	return op
}

func exportIntegration(r *model.Resource, i *model.Integration) *oasIntegration {
	out := &oasIntegration{
		Type: strings.ToLower(i.Type), HTTPMethod: i.HTTPMethod, URI: i.URI,
		RequestTemplates: i.RequestTemplates, RequestParameters: i.RequestParameters,
		PassthroughBehavior: strings.ToLower(i.PassthroughBehavior), TimeoutInMillis: i.TimeoutInMillis,
		ContentHandling: i.ContentHandling,
	}
	// The default namespace is the resource's id, which an import gives
	// anew: only a namespace the user chose is written.
	if i.CacheNamespace != r.ID {
		out.CacheNamespace = i.CacheNamespace
	}
	for code, ir := range i.IntegrationResponses {
		if out.Responses == nil {
			out.Responses = map[string]*oasIntegrationResponse{}
		}
		out.Responses[cmp.Or(ir.SelectionPattern, "default")] = &oasIntegrationResponse{StatusCode: looseString(code),
			ResponseTemplates: ir.ResponseTemplates, ResponseParameters: ir.ResponseParameters, ContentHandling: ir.ContentHandling}
	}
	return out
}
