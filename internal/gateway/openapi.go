package gateway

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// OpenAPI 3 and Swagger 2 definitions, as ImportRestApi, PutRestApi and
// GetExport read and write them: one set of structs for both versions (they
// differ only where the fields say), decoded with yaml.v3, which reads JSON
// as well, and encoded as JSON or YAML. Only what API Gateway turns into
// its records is read: paths, parameters, responses, security with API keys
// or SigV4, and the x-amazon-apigateway-* extensions for integrations,
// policy, endpoint configuration, API key source and gateway responses.
// What is not (schemas and models, authorizers, request validators, cookie
// parameters, documentation) is skipped with a warning, as AWS warns for
// what it ignores.

// maxDefinitionBytes is "The maximum size of the API definition file is
// 6MB" (ImportRestApi's and PutRestApi's body in the API Gateway API
// reference).
const maxDefinitionBytes = 6 << 20

// oasDoc is an OpenAPI 3.0 or Swagger 2.0 document.
type oasDoc struct {
	OpenAPI    string                `yaml:"openapi,omitempty" json:"openapi,omitempty"`
	Swagger    string                `yaml:"swagger,omitempty" json:"swagger,omitempty"`
	Info       oasInfo               `yaml:"info" json:"info"`
	Servers    []oasServer           `yaml:"servers,omitempty" json:"servers,omitempty"`
	Host       string                `yaml:"host,omitempty" json:"host,omitempty"`
	BasePath   string                `yaml:"basePath,omitempty" json:"basePath,omitempty"`
	Schemes    []string              `yaml:"schemes,omitempty" json:"schemes,omitempty"`
	Paths      map[string]*oasPath   `yaml:"paths" json:"paths"`
	Security   []map[string][]string `yaml:"security,omitempty" json:"security,omitempty"`
	Components *oasComponents        `yaml:"components,omitempty" json:"components,omitempty"`
	// Swagger 2's name for components.securitySchemes.
	SecurityDefinitions map[string]*oasSecurityScheme `yaml:"securityDefinitions,omitempty" json:"securityDefinitions,omitempty"`

	Policy           any                            `yaml:"x-amazon-apigateway-policy,omitempty" json:"x-amazon-apigateway-policy,omitempty"`
	Endpoint         *oasEndpointConfiguration      `yaml:"x-amazon-apigateway-endpoint-configuration,omitempty" json:"x-amazon-apigateway-endpoint-configuration,omitempty"`
	APIKeySource     string                         `yaml:"x-amazon-apigateway-api-key-source,omitempty" json:"x-amazon-apigateway-api-key-source,omitempty"`
	BinaryMediaTypes []string                       `yaml:"x-amazon-apigateway-binary-media-types,omitempty" json:"x-amazon-apigateway-binary-media-types,omitempty"`
	GatewayResponses map[string]*oasGatewayResponse `yaml:"x-amazon-apigateway-gateway-responses,omitempty" json:"x-amazon-apigateway-gateway-responses,omitempty"`
	Validators       map[string]any                 `yaml:"x-amazon-apigateway-request-validators,omitempty" json:"x-amazon-apigateway-request-validators,omitempty"`
	// Models and request validators (openapimodels.go).
	Definitions map[string]any `yaml:"definitions,omitempty" json:"definitions,omitempty"` // Swagger 2's components.schemas
	Validator   string         `yaml:"x-amazon-apigateway-request-validator,omitempty" json:"x-amazon-apigateway-request-validator,omitempty"`
}

type oasInfo struct {
	Title       string      `yaml:"title" json:"title"`
	Description string      `yaml:"description,omitempty" json:"description,omitempty"`
	Version     looseString `yaml:"version" json:"version"`
}

type oasServer struct {
	URL       string                       `yaml:"url" json:"url"`
	Variables map[string]oasServerVariable `yaml:"variables,omitempty" json:"variables,omitempty"`
}

type oasServerVariable struct {
	Default string `yaml:"default" json:"default"`
}

type oasComponents struct {
	SecuritySchemes map[string]*oasSecurityScheme `yaml:"securitySchemes,omitempty" json:"securitySchemes,omitempty"`
	Schemas         map[string]any                `yaml:"schemas,omitempty" json:"schemas,omitempty"`
}

type oasSecurityScheme struct {
	Type     string `yaml:"type" json:"type"`
	Name     string `yaml:"name,omitempty" json:"name,omitempty"`
	In       string `yaml:"in,omitempty" json:"in,omitempty"`
	AuthType string `yaml:"x-amazon-apigateway-authtype,omitempty" json:"x-amazon-apigateway-authtype,omitempty"`
}

type oasEndpointConfiguration struct {
	VpcEndpointIDs            []string `yaml:"vpcEndpointIds,omitempty" json:"vpcEndpointIds,omitempty"`
	DisableExecuteAPIEndpoint bool     `yaml:"disableExecuteApiEndpoint,omitempty" json:"disableExecuteApiEndpoint,omitempty"`
}

type oasGatewayResponse struct {
	StatusCode         looseString       `yaml:"statusCode,omitempty" json:"statusCode,omitempty"`
	ResponseParameters map[string]string `yaml:"responseParameters,omitempty" json:"responseParameters,omitempty"`
	ResponseTemplates  map[string]string `yaml:"responseTemplates,omitempty" json:"responseTemplates,omitempty"`
}

// oasPath is a path item: its operations by verb and the parameters they share.
type oasPath struct {
	Get        *oasOperation  `yaml:"get,omitempty" json:"get,omitempty"`
	Put        *oasOperation  `yaml:"put,omitempty" json:"put,omitempty"`
	Post       *oasOperation  `yaml:"post,omitempty" json:"post,omitempty"`
	Delete     *oasOperation  `yaml:"delete,omitempty" json:"delete,omitempty"`
	Options    *oasOperation  `yaml:"options,omitempty" json:"options,omitempty"`
	Head       *oasOperation  `yaml:"head,omitempty" json:"head,omitempty"`
	Patch      *oasOperation  `yaml:"patch,omitempty" json:"patch,omitempty"`
	Any        *oasOperation  `yaml:"x-amazon-apigateway-any-method,omitempty" json:"x-amazon-apigateway-any-method,omitempty"`
	Parameters []oasParameter `yaml:"parameters,omitempty" json:"parameters,omitempty"`
}

// operations are the path item's operations with the verbs API Gateway names them by.
func (p *oasPath) operations() map[string]*oasOperation {
	all := map[string]*oasOperation{"GET": p.Get, "PUT": p.Put, "POST": p.Post, "DELETE": p.Delete,
		"OPTIONS": p.Options, "HEAD": p.Head, "PATCH": p.Patch, "ANY": p.Any}
	maps.DeleteFunc(all, func(_ string, op *oasOperation) bool { return op == nil })
	return all
}

// set stores op under verb.
func (p *oasPath) set(verb string, op *oasOperation) {
	switch verb {
	case "GET":
		p.Get = op
	case "PUT":
		p.Put = op
	case "POST":
		p.Post = op
	case "DELETE":
		p.Delete = op
	case "OPTIONS":
		p.Options = op
	case "HEAD":
		p.Head = op
	case "PATCH":
		p.Patch = op
	case "ANY":
		p.Any = op
	}
}

type oasOperation struct {
	OperationID string                  `yaml:"operationId,omitempty" json:"operationId,omitempty"`
	Parameters  []oasParameter          `yaml:"parameters,omitempty" json:"parameters,omitempty"`
	Responses   map[string]*oasResponse `yaml:"responses" json:"responses"`
	// Security is nil when the operation names none (the document's
	// applies) and empty when it names an empty list (none applies).
	Security    *[]map[string][]string `yaml:"security,omitempty" json:"security,omitempty"`
	Integration *oasIntegration        `yaml:"x-amazon-apigateway-integration,omitempty" json:"x-amazon-apigateway-integration,omitempty"`
	// The request's models and validator (openapimodels.go).
	RequestBody *oasRequestBody `yaml:"requestBody,omitempty" json:"requestBody,omitempty"`
	Validator   string          `yaml:"x-amazon-apigateway-request-validator,omitempty" json:"x-amazon-apigateway-request-validator,omitempty"`
}

type oasParameter struct {
	Name     string     `yaml:"name" json:"name"`
	In       string     `yaml:"in" json:"in"`
	Required bool       `yaml:"required,omitempty" json:"required,omitempty"`
	Type     string     `yaml:"type,omitempty" json:"type,omitempty"`     // Swagger 2
	Schema   *oasSchema `yaml:"schema,omitempty" json:"schema,omitempty"` // OpenAPI 3
	Ref      string     `yaml:"$ref,omitempty" json:"$ref,omitempty"`
}

// oasSchema is the only schema gatehouse writes: a parameter's or header's type.
type oasSchema struct {
	Type string `yaml:"type,omitempty" json:"type,omitempty"`
	Ref  string `yaml:"$ref,omitempty" json:"$ref,omitempty"` // a body's model (openapimodels.go)
}

type oasResponse struct {
	Description string                `yaml:"description" json:"description"`
	Headers     map[string]*oasHeader `yaml:"headers,omitempty" json:"headers,omitempty"`
}

type oasHeader struct {
	Type   string     `yaml:"type,omitempty" json:"type,omitempty"`
	Schema *oasSchema `yaml:"schema,omitempty" json:"schema,omitempty"`
}

type oasIntegration struct {
	Type                string                             `yaml:"type" json:"type"`
	HTTPMethod          string                             `yaml:"httpMethod,omitempty" json:"httpMethod,omitempty"`
	URI                 string                             `yaml:"uri,omitempty" json:"uri,omitempty"`
	RequestTemplates    map[string]string                  `yaml:"requestTemplates,omitempty" json:"requestTemplates,omitempty"`
	RequestParameters   map[string]string                  `yaml:"requestParameters,omitempty" json:"requestParameters,omitempty"`
	Responses           map[string]*oasIntegrationResponse `yaml:"responses,omitempty" json:"responses,omitempty"`
	PassthroughBehavior string                             `yaml:"passthroughBehavior,omitempty" json:"passthroughBehavior,omitempty"`
	TimeoutInMillis     int                                `yaml:"timeoutInMillis,omitempty" json:"timeoutInMillis,omitempty"`
	CacheNamespace      string                             `yaml:"cacheNamespace,omitempty" json:"cacheNamespace,omitempty"`
	ContentHandling     string                             `yaml:"contentHandling,omitempty" json:"contentHandling,omitempty"`
}

// oasIntegrationResponse is keyed by its selection pattern ("default" for none).
type oasIntegrationResponse struct {
	StatusCode         looseString       `yaml:"statusCode" json:"statusCode"`
	ResponseTemplates  map[string]string `yaml:"responseTemplates,omitempty" json:"responseTemplates,omitempty"`
	ResponseParameters map[string]string `yaml:"responseParameters,omitempty" json:"responseParameters,omitempty"`
	ContentHandling    string            `yaml:"contentHandling,omitempty" json:"contentHandling,omitempty"`
}

// Import answers recorded from AWS (LocalStack's AWS-recorded tests).
const (
	msgInvalidOpenAPI         = "Invalid OpenAPI input."
	msgConcurrentModification = "Unable to complete operation due to concurrent modification. Please try again later."
)

// parseDefinition decodes an OpenAPI 3 or Swagger 2 definition, JSON or
// YAML, of at most maxDefinitionBytes.
func parseDefinition(body []byte) (*oasDoc, error) {
	if len(body) > maxDefinitionBytes {
		// Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12).
		return nil, badRequest(fmt.Sprintf("API definition file exceeds the maximum size of %d bytes", maxDefinitionBytes))
	}
	if len(bytes.TrimSpace(body)) == 0 {
		// AWS's answer to a definition it cannot parse (below); an empty one
		// is given the same.
		return nil, badRequest(msgInvalidOpenAPI)
	}
	doc := new(oasDoc)
	if err := decodeDefinition(body, doc); err != nil {
		var shape shapeError
		if errors.As(err, &shape) {
			// gatehouse's own bound, so the answer says which.
			// Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12).
			return nil, badRequest("Invalid OpenAPI input: " + shape.Error())
		}
		// AWS names no cause (LocalStack's AWS-recorded
		// test_import_api_bad_file, import and put, JSON and YAML).
		return nil, badRequest(msgInvalidOpenAPI)
	}
	if len(doc.Paths) > maxDefinitionMapKeys {
		// As a YAML mapping of that many keys is refused (decodeDefinition).
		// Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12).
		return nil, badRequest(fmt.Sprintf("Invalid OpenAPI input: more than %d paths", maxDefinitionMapKeys))
	}
	switch {
	case strings.HasPrefix(doc.OpenAPI, "3."), doc.Swagger == "2.0":
	default:
		// Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12).
		return nil, badRequest("Invalid OpenAPI input: only OpenAPI 3.0 (openapi: 3.0.x) and Swagger 2.0 (swagger: \"2.0\") definitions are supported")
	}
	return doc, nil
}

// Bounds of a YAML definition's shape. yaml.v3 checks a mapping's keys for
// duplicates pairwise, in time quadratic in their number, and builds a node
// per scalar: a 6 MB mapping of a million keys would take hours, so no
// mapping may hold more keys than any API Gateway record can use (an API
// has at most maxResourcesPerAPI paths, a map at most maxMapEntries
// entries; the rest is headroom for extensions gatehouse skips), and the
// whole document no more nodes than a definition of the largest API needs.
const (
	maxDefinitionMapKeys = 1000
	maxDefinitionNodes   = 1 << 20
)

// shapeError is a definition past gatehouse's shape bounds: it parses, but
// gatehouse will not build it.
type shapeError string

func (e shapeError) Error() string { return string(e) }

// decodeDefinition decodes a JSON definition with encoding/json (linear in
// its size) and a YAML one with yaml.v3 after checking its shape's bounds.
func decodeDefinition(body []byte, doc *oasDoc) error {
	if t := bytes.TrimLeft(body, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		return json.Unmarshal(body, doc)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(body, &root); err != nil {
		return err
	}
	nodes := 0
	var walk func(n *yaml.Node) error
	walk = func(n *yaml.Node) error {
		nodes++
		if nodes > maxDefinitionNodes {
			return shapeError(fmt.Sprintf("the definition has more than %d nodes", maxDefinitionNodes))
		}
		if n.Kind == yaml.MappingNode && len(n.Content) > 2*maxDefinitionMapKeys {
			return shapeError(fmt.Sprintf("line %d: a mapping has more than %d keys", n.Line, maxDefinitionMapKeys))
		}
		for _, c := range n.Content {
			if err := walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(&root); err != nil {
		return err
	}
	return root.Decode(doc)
}

// looseString is a text member that a definition may write as a number
// (statusCode: 200, version: 1.0), as YAML and API Gateway's importer take it.
type looseString string

func (s *looseString) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch v := v.(type) {
	case string:
		*s = looseString(v)
	case float64, bool:
		*s = looseString(bytes.TrimSpace(b))
	case nil:
		*s = ""
	default:
		return fmt.Errorf("want a string, got %s", model.Clip(string(b)))
	}
	return nil
}

// importProblems collects what an import refuses (errors) and what it skips
// (warnings), in AWS's "Errors found during import" form.
type importProblems struct {
	errors, warnings []string
}

func (p *importProblems) fail(format string, args ...any) {
	p.errors = append(p.errors, fmt.Sprintf(format, args...))
}

func (p *importProblems) warn(format string, args ...any) {
	p.warnings = append(p.warnings, fmt.Sprintf(format, args...))
}

// err is the refusal of an import with errors (or, failOnWarnings, with
// warnings), nil otherwise. The form is AWS's ("Errors found during
// import:\n\t…", from users' reports of real import errors).
func (p *importProblems) err(failOnWarnings bool) error {
	if len(p.errors) > 0 {
		return badRequest("Errors found during import:\n\t" + listed(p.errors))
	}
	if failOnWarnings && len(p.warnings) > 0 {
		return badRequest("Warnings found during import:\n\t" + listed(p.warnings))
	}
	return nil
}

// maxListedProblems bounds the problems one refusal lists, so that a
// definition of thousands of bad paths gets a message of a few KB.
const maxListedProblems = 20

func listed(problems []string) string {
	if len(problems) <= maxListedProblems {
		return strings.Join(problems, "\n\t")
	}
	return strings.Join(problems[:maxListedProblems], "\n\t") + fmt.Sprintf("\n\t(and %d more)", len(problems)-maxListedProblems)
}

// applyAPIFields sets the API's own fields that the document names: its
// title, description and version, and the extensions for policy, endpoint,
// API key source and gateway responses. overwrite clears what the document
// does not name.
func applyAPIFields(api *model.RestAPI, doc *oasDoc, overwrite bool, p *importProblems) {
	if doc.Info.Title != "" {
		api.Name = doc.Info.Title
	}
	if overwrite || doc.Info.Description != "" {
		api.Description = doc.Info.Description
	}
	if overwrite || doc.Info.Version != "" {
		api.Version = string(doc.Info.Version)
	}
	if doc.Policy != nil {
		switch pol := doc.Policy.(type) {
		case string:
			api.Policy = pol
		default:
			b, err := json.Marshal(pol)
			if err != nil {
				p.fail("Invalid x-amazon-apigateway-policy: %v", err)
			}
			api.Policy = string(b)
		}
	} else if overwrite {
		api.Policy = ""
	}
	if doc.APIKeySource != "" {
		api.APIKeySource = strings.ToUpper(doc.APIKeySource)
	}
	if e := doc.Endpoint; e != nil {
		if len(e.VpcEndpointIDs) > 0 {
			api.EndpointConfiguration.VpcEndpointIDs = e.VpcEndpointIDs
		}
		api.DisableExecuteAPIEndpoint = e.DisableExecuteAPIEndpoint
	}
	if overwrite {
		api.BinaryMediaTypes = nil
	}
	for _, t := range doc.BinaryMediaTypes { // merge adds to the API's own
		if !slices.Contains(api.BinaryMediaTypes, t) {
			api.BinaryMediaTypes = append(api.BinaryMediaTypes, t)
		}
	}
	if overwrite {
		api.GatewayResponses = nil
	}
	for typ, gr := range doc.GatewayResponses {
		if gr == nil {
			continue
		}
		if err := checkResponseType(typ); err != nil {
			p.fail("Unable to put gateway response %s: invalid response type", model.Clip(typ))
			continue
		}
		if api.GatewayResponses == nil {
			api.GatewayResponses = map[string]*model.GatewayResponse{}
		}
		api.GatewayResponses[typ] = &model.GatewayResponse{ResponseType: typ, StatusCode: string(gr.StatusCode),
			ResponseParameters: gr.ResponseParameters, ResponseTemplates: gr.ResponseTemplates}
	}
	applyModels(api, doc, overwrite, p) // openapimodels.go
}

// treeBuilder grows an API's resource tree by path, creating the resources
// a path needs with fresh ids and reusing those that exist.
type treeBuilder struct {
	api    *model.RestAPI
	byPath map[string]*model.Resource
}

func newTreeBuilder(api *model.RestAPI) *treeBuilder {
	b := &treeBuilder{api: api, byPath: map[string]*model.Resource{}}
	for _, r := range api.Resources {
		b.byPath[r.Path] = r
	}
	return b
}

// resource returns the resource at path, creating it and its missing
// ancestors, checked as CreateResource checks one.
func (b *treeBuilder) resource(path string) (*model.Resource, error) {
	if r := b.byPath[path]; r != nil {
		return r, nil
	}
	if !strings.HasPrefix(path, "/") || len(path) > maxURLLen {
		// Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12).
		return nil, badRequest("Invalid resource path: " + model.Clip(path))
	}
	i := strings.LastIndexByte(path, '/')
	parentPath, part := path[:i], path[i+1:]
	if parentPath == "" {
		parentPath = "/"
	}
	parent, err := b.resource(parentPath)
	if err != nil {
		return nil, err
	}
	if !literalPart.MatchString(part) && !paramPart.MatchString(part) {
		return nil, badRequest(msgBadPathPart)
	}
	if isGreedy(parent.PathPart) {
		return nil, badRequest("Cannot create a child of a resource with a greedy path variable: " + parent.PathPart)
	}
	for _, r := range b.api.Resources {
		if r.ParentID == parent.ID && isVariable(r.PathPart) && isVariable(part) {
			return nil, badRequest(fmt.Sprintf("A sibling (%s) of this resource already has a variable path part -- only one is allowed", r.PathPart))
		}
	}
	if len(b.api.Resources) >= maxResourcesPerAPI {
		return nil, limit(msgTooManyResources)
	}
	r := &model.Resource{ID: model.RandomID(6), ParentID: parent.ID, PathPart: part, Path: path}
	b.api.Resources[r.ID] = r
	b.byPath[path] = r
	return r, nil
}

// verbOrder is the order methods are built in, so that errors come in a
// stable order.
var verbOrder = []string{"ANY", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"}

var statusCodeRe = regexp.MustCompile(`^[1-5]\d\d$`)

// applyPaths builds the document's paths into b's tree: each operation
// becomes a method with its request parameters, method responses and
// integration, replacing a method of the same verb.
func applyPaths(b *treeBuilder, doc *oasDoc, p *importProblems) {
	schemes := doc.SecurityDefinitions
	if doc.Components != nil && doc.Components.SecuritySchemes != nil {
		schemes = doc.Components.SecuritySchemes
	}
	for _, path := range slices.Sorted(maps.Keys(doc.Paths)) {
		item := doc.Paths[path]
		if item == nil {
			item = &oasPath{}
		}
		norm := path
		if len(norm) > 1 {
			norm = strings.TrimSuffix(norm, "/")
		}
		res, err := b.resource(norm)
		if err != nil {
			p.fail("Unable to create resource at path '%s': %s", model.Clip(path), errorMessage(err))
			if len(b.api.Resources) >= maxResourcesPerAPI {
				return // at the quota: every later path fails alike
			}
			continue
		}
		ops := item.operations()
		for _, verb := range verbOrder {
			op := ops[verb]
			if op == nil {
				continue
			}
			m, err := buildMethod(verb, res, item, op, doc.Security, schemes, p)
			if err != nil {
				p.fail("Unable to put method '%s' on resource at path '%s': %s", verb, model.Clip(path), errorMessage(err))
				continue
			}
			if res.Methods == nil {
				res.Methods = map[string]*model.Method{}
			}
			res.Methods[verb] = m
		}
	}
	applyMethodModels(b.api, doc, p) // openapimodels.go
}

// errorMessage is an API error's message without its code.
func errorMessage(err error) string {
	if e := (*model.Error)(nil); errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

func buildMethod(verb string, res *model.Resource, item *oasPath, op *oasOperation, docSecurity []map[string][]string, schemes map[string]*oasSecurityScheme, p *importProblems) (*model.Method, error) {
	m := &model.Method{HTTPMethod: verb, AuthorizationType: "NONE", OperationName: op.OperationID}
	// Operation parameters override the path item's of the same name and place.
	params := map[string]bool{}
	for _, prm := range slices.Concat(item.Parameters, op.Parameters) {
		if prm.Ref != "" {
			p.warn("Parameter reference %s on '%s %s' is not resolved by gatehouse", model.Clip(prm.Ref), verb, res.Path)
			continue
		}
		where := map[string]string{"path": "path", "query": "querystring", "header": "header"}[prm.In]
		if where == "" {
			if prm.In != "body" && prm.In != "formData" {
				p.warn("Parameter %s in %s on '%s %s' is not supported", model.Clip(prm.Name), model.Clip(prm.In), verb, res.Path)
			}
			continue
		}
		params["method.request."+where+"."+prm.Name] = prm.Required || prm.In == "path"
	}
	if len(params) > 0 {
		m.RequestParameters = params
	}
	security := docSecurity
	if op.Security != nil {
		security = *op.Security
	}
	for _, req := range security {
		for name := range req {
			sc := schemes[name]
			switch {
			case sc == nil:
				p.warn("Security scheme %s on '%s %s' is not defined", model.Clip(name), verb, res.Path)
			case sc.Type == "apiKey" && strings.EqualFold(sc.Name, "x-api-key") && sc.In == "header":
				m.APIKeyRequired = true
			case sc.AuthType == "awsSigv4":
				m.AuthorizationType = "AWS_IAM"
			default:
				p.warn("Security scheme %s on '%s %s' is not supported by gatehouse", model.Clip(name), verb, res.Path)
			}
		}
	}
	if err := validMethod(m); err != nil {
		return nil, err
	}
	for code, r := range op.Responses {
		if !statusCodeRe.MatchString(code) {
			if code != "default" {
				p.warn("Response %s on '%s %s' is not a status code", model.Clip(code), verb, res.Path)
			}
			continue
		}
		mr := &model.MethodResponse{StatusCode: code}
		if r != nil {
			for h := range r.Headers {
				if mr.ResponseParameters == nil {
					mr.ResponseParameters = map[string]bool{}
				}
				mr.ResponseParameters["method.response.header."+h] = false
			}
		}
		if m.MethodResponses == nil {
			m.MethodResponses = map[string]*model.MethodResponse{}
		}
		m.MethodResponses[code] = mr
	}
	if len(m.MethodResponses) > maxMapEntries {
		return nil, tooMany("methodResponses", maxMapEntries)
	}
	if op.Integration == nil {
		p.warn("No integration defined for method '%s %s'", verb, res.Path)
		return m, nil
	}
	in := op.Integration
	integ := &model.Integration{
		Type: in.Type, HTTPMethod: in.HTTPMethod, URI: in.URI,
		RequestTemplates: in.RequestTemplates, RequestParameters: in.RequestParameters,
		PassthroughBehavior: strings.ToUpper(in.PassthroughBehavior), TimeoutInMillis: in.TimeoutInMillis,
		CacheNamespace: in.CacheNamespace, ContentHandling: in.ContentHandling,
	}
	for pattern, ir := range in.Responses {
		if ir == nil {
			continue
		}
		code := string(ir.StatusCode)
		if pattern == "default" {
			pattern = ""
		}
		if integ.IntegrationResponses == nil {
			integ.IntegrationResponses = map[string]*model.IntegrationResponse{}
		}
		if integ.IntegrationResponses[code] != nil {
			// Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12).
			return nil, badRequest("Two integration responses map to status code " + model.Clip(code))
		}
		integ.IntegrationResponses[code] = &model.IntegrationResponse{StatusCode: code,
			SelectionPattern: pattern, ResponseTemplates: ir.ResponseTemplates, ResponseParameters: ir.ResponseParameters,
			ContentHandling: ir.ContentHandling}
		// An integration response needs its method response (PutIntegrationResponse).
		if m.MethodResponses[code] == nil && statusCodeRe.MatchString(code) {
			if m.MethodResponses == nil {
				m.MethodResponses = map[string]*model.MethodResponse{}
			}
			m.MethodResponses[code] = &model.MethodResponse{StatusCode: code}
		}
	}
	if err := checkIntegration(integ, res.ID); err != nil {
		return nil, err
	}
	m.Integration = integ
	return m, nil
}

// ImportInput is ImportRestApi's request.
type ImportInput struct {
	Body           []byte
	FailOnWarnings bool
	// EndpointType is the parameter endpointConfigurationTypes: EDGE
	// (default), REGIONAL or PRIVATE.
	EndpointType string
}

// ImportRestAPI creates an API from an OpenAPI 3 or Swagger 2 definition
// and returns it with the import's warnings.
//
// The tree's records are written first, in as many Txns as they need, and
// the API's own record last: until it is written no operation finds the
// API (every one loads that record first) and no snapshot serves it, so the
// API appears whole at once. Should a step fail, the records already
// written are removed by prefix; a crash in between leaves them behind,
// unreachable under an id no API has.
func (s *Service) ImportRestAPI(ctx context.Context, in ImportInput) (*model.RestAPI, []string, error) {
	doc, err := parseDefinition(in.Body)
	if err != nil {
		return nil, nil, err
	}
	typ := cmp.Or(strings.ToUpper(in.EndpointType), "EDGE")
	api := newImportedAPI(typ)
	var p importProblems
	if doc.Info.Title == "" {
		// Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12).
		p.fail("Invalid OpenAPI input: info.title is required")
	}
	applyAPIFields(api, doc, true, &p)
	applyPaths(newTreeBuilder(api), doc, &p)
	if err := p.err(in.FailOnWarnings); err != nil {
		return nil, nil, err
	}
	if err := validateAPI(api); err != nil {
		return nil, nil, err
	}
	all, err := s.ListRestAPIs(ctx)
	if err != nil {
		return nil, nil, err
	}
	n := 0
	for _, a := range all {
		if slices.Contains(a.EndpointConfiguration.Types, typ) {
			n++
		}
	}
	if n >= s.restAPIQuota(typ) {
		return nil, nil, tooManyRestAPIs()
	}
	ops, err := treeOps(api)
	if err != nil {
		return nil, nil, err
	}
	defaults, err := defaultModelOps(api.ID)
	if err != nil {
		return nil, nil, err
	}
	// The document's models (in ops already) replace the defaults of their name.
	defaults = slices.DeleteFunc(defaults, func(op store.Op) bool {
		return slices.ContainsFunc(ops, func(o store.Op) bool { return o.Key == op.Key })
	})
	ops = append(ops, defaults...)
	own := *api
	own.Resources, own.GatewayResponses, own.Models, own.RequestValidators = nil, nil, nil, nil
	put, err := store.SaveOp(apiKey(api.ID), &own)
	if err != nil {
		return nil, nil, err
	}
	cond := []store.Cond{store.KeyIs(apiKey(api.ID), 0)}
	for _, batch := range batches(ops, 0) {
		if _, err := s.d.Store.Txn(ctx, cond, batch); err != nil {
			s.dropImport(api.ID)
			return nil, nil, fmt.Errorf("import rest api %s: %w", api.ID, err)
		}
	}
	if _, err := s.d.Store.Txn(ctx, cond, []store.Op{put}); err != nil {
		s.dropImport(api.ID)
		return nil, nil, fmt.Errorf("import rest api %s: %w", api.ID, err)
	}
	return &own, p.warnings, nil
}

// newImportedAPI is a new API of endpoint type typ with its root resource,
// before the definition fills it in.
func newImportedAPI(typ string) *model.RestAPI {
	rootID := model.RandomID(10)
	return &model.RestAPI{
		ID:                    model.RandomID(10),
		CreatedDate:           time.Now().UTC().Truncate(time.Second),
		EndpointConfiguration: model.EndpointConfiguration{Types: []string{typ}},
		APIKeySource:          "HEADER",
		RootResourceID:        rootID,
		Resources:             map[string]*model.Resource{rootID: {ID: rootID, Path: "/"}},
	}
}

// dropImport removes what a failed import wrote under apiID, with a context
// of its own: the request's may be what ended.
func (s *Service) dropImport(apiID string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var ops []store.Op
	for _, k := range apiChildren {
		ops = append(ops, store.DelPrefix(under(k, apiID)))
	}
	// Only while the API's record is absent: a record means it is served.
	if _, err := s.d.Store.Txn(ctx, []store.Cond{store.KeyIs(apiKey(apiID), 0)}, ops); err != nil {
		s.log.Warn("remove a failed import's records", "api", apiID, "err", err)
	}
}

// PutRestAPI is PutRestApi: the definition replaces the API's tree
// (mode overwrite) or is merged into it (merge, the default: the paths and
// methods it names are added or replace theirs, the others stay). The API's
// id, root resource, stages and deployments stay.
//
// The changed records are written in as few Txns as they fit in, each
// conditioned on the tree being as read (the first) or as the step before
// left it (the others), and the API's own record last. An API larger than
// one Txn takes (some 125 records changed) is not replaced atomically: a
// reader may see part of the new tree until the last step; a concurrent
// edit makes the next step fail with a ConflictException and leaves the
// API part-way.
func (s *Service) PutRestAPI(ctx context.Context, id string, body []byte, mode string, failOnWarnings bool) (*model.RestAPI, []string, error) {
	mode = cmp.Or(mode, "merge")
	if mode != "merge" && mode != "overwrite" {
		// moto's text (exceptions.py InvalidOpenApiModeException).
		return nil, nil, badRequest(`Enumeration value of OpenAPI import mode must be "overwrite" or "merge"`)
	}
	doc, err := parseDefinition(body)
	if err != nil {
		return nil, nil, err
	}
	for {
		t, err := s.readTree(ctx, id)
		if err != nil {
			return nil, nil, err
		}
		api := t.api
		oldOps, err := treeOps(api)
		if err != nil {
			return nil, nil, err
		}
		if mode == "overwrite" {
			root := *api.Resources[api.RootResourceID]
			root.Methods = nil
			api.Resources = map[string]*model.Resource{root.ID: &root}
		}
		var p importProblems
		applyAPIFields(api, doc, mode == "overwrite", &p)
		applyPaths(newTreeBuilder(api), doc, &p)
		if err := p.err(failOnWarnings); err != nil {
			return nil, nil, err
		}
		if err := validateAPI(api); err != nil {
			return nil, nil, err
		}
		newOps, err := treeOps(api)
		if err != nil {
			return nil, nil, err
		}
		// Only what changed: puts of new or changed records, deletes of
		// records the new tree does not have.
		old := map[string][]byte{}
		for _, op := range oldOps {
			old[op.Key] = op.Value
		}
		var ops []store.Op
		for _, op := range newOps {
			if v, ok := old[op.Key]; !ok || !bytes.Equal(v, op.Value) {
				ops = append(ops, op)
			}
			delete(old, op.Key)
		}
		for _, k := range slices.Sorted(maps.Keys(old)) {
			ops = append(ops, store.Del(k))
		}
		own := *api
		own.Resources, own.GatewayResponses, own.Models, own.RequestValidators = nil, nil, nil, nil
		put, err := store.SaveOp(apiKey(id), &own)
		if err != nil {
			return nil, nil, err
		}
		conds := t.conds()
		first := true
		for _, batch := range append(batches(ops, 0), []store.Op{put}) {
			rev, err := s.d.Store.Txn(ctx, conds, batch)
			if errors.Is(err, store.ErrConflict) && first {
				break // changed since read: read again
			}
			if errors.Is(err, store.ErrConflict) {
				// AWS's concurrent-modification answer (LocalStack's AWS-recorded
				// test_authorizer_crud_no_api). The API may be partly replaced.
				return nil, nil, conflict(msgConcurrentModification)
			}
			if err != nil {
				return nil, nil, fmt.Errorf("put rest api %s: %w", id, err)
			}
			first = false
			// The next step: the API's record as read, nothing of the tree
			// changed since this step.
			conds = []store.Cond{store.KeyIs(apiKey(id), t.apiRev)}
			for _, k := range treeKinds {
				conds = append(conds, store.NoneAfter(under(k, id), rev))
			}
		}
		if first {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
			continue
		}
		return &own, p.warnings, nil
	}
}
