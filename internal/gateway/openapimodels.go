package gateway

import (
	"cmp"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"

	"gatehouse/internal/model"
)

// Models and request validators in OpenAPI definitions, as API Gateway
// imports and exports them:
//
//   - components.schemas (OpenAPI 3) or definitions (Swagger 2) are the
//     API's models, content type application/json; a schema's "$ref" to
//     another ("#/components/schemas/X", "#/definitions/X") is stored as
//     API Gateway stores it, the model's URL
//     (https://apigateway.amazonaws.com/restapis/{api}/models/X), and
//     exported back as the document's reference.
//   - x-amazon-apigateway-request-validators names the validators
//     ({validateRequestBody, validateRequestParameters}); the document's
//     x-amazon-apigateway-request-validator is every operation's unless the
//     operation names its own.
//   - An operation's requestBody content (OpenAPI 3) or body parameter
//     (Swagger 2) referring to a schema is the method's requestModels.
//
// Imported models and validators keep the ids of those of the same name
// that the API has (PutRestApi), so methods outside the document still
// name them.

// oasRequestBody is an OpenAPI 3 operation's requestBody: a model per
// content type.
type oasRequestBody struct {
	Required bool                         `yaml:"required,omitempty" json:"required,omitempty"`
	Content  map[string]*oasMediaTypeBody `yaml:"content,omitempty" json:"content,omitempty"`
}

type oasMediaTypeBody struct {
	Schema *oasSchema `yaml:"schema,omitempty" json:"schema,omitempty"`
}

// oasValidator is one entry of x-amazon-apigateway-request-validators.
type oasValidator struct {
	ValidateRequestBody       bool `yaml:"validateRequestBody" json:"validateRequestBody"`
	ValidateRequestParameters bool `yaml:"validateRequestParameters" json:"validateRequestParameters"`
}

// schemaRefPrefixes are the document's ways of naming a model.
var schemaRefPrefixes = []string{"#/components/schemas/", "#/definitions/"}

// applyModels sets the API's models and validators from the document.
// overwrite drops those the document does not name (the default models,
// Empty and Error, stay).
func applyModels(api *model.RestAPI, doc *oasDoc, overwrite bool, p *importProblems) {
	schemas := doc.Definitions
	if doc.Components != nil && len(doc.Components.Schemas) > 0 {
		schemas = doc.Components.Schemas
	}
	if overwrite {
		maps.DeleteFunc(api.Models, func(name string, _ *model.Model) bool {
			return !slices.ContainsFunc(defaultModels, func(m model.Model) bool { return m.Name == name }) && schemas[name] == nil
		})
		api.RequestValidators = nil
	}
	for _, name := range slices.Sorted(maps.Keys(schemas)) {
		if !modelNameRe.MatchString(name) || len(name) > maxShortLen {
			p.fail("Unable to create model %s: %s", model.Clip(name), msgModelName)
			continue
		}
		b, err := json.Marshal(rewriteRefs(schemas[name], func(ref string) string {
			for _, pre := range schemaRefPrefixes {
				if target, ok := strings.CutPrefix(ref, pre); ok {
					return modelRefBase + api.ID + "/models/" + target
				}
			}
			return ref
		}))
		if err != nil {
			p.fail("Unable to create model %s: %v", model.Clip(name), err)
			continue
		}
		if api.Models == nil {
			api.Models = map[string]*model.Model{}
		}
		m := &model.Model{ID: model.RandomID(6), Name: name, ContentType: "application/json", Schema: string(b)}
		if old := api.Models[name]; old != nil {
			m.ID, m.Description = old.ID, old.Description
		}
		api.Models[name] = m
	}
	if len(api.Models) > maxModelsPerAPI {
		p.fail("%s", msgModelsQuota)
	}
	// Once all are in, as a schema may name any other (CreateModel's checks).
	for _, name := range slices.Sorted(maps.Keys(schemas)) {
		if m := api.Models[name]; m != nil {
			if err := checkSchema(api.ID, name, m.Schema, api.Models); err != nil {
				p.fail("Unable to create model %s: %s", model.Clip(name), errorMessage(err))
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(doc.Validators)) {
		var v oasValidator
		b, _ := json.Marshal(doc.Validators[name])
		if err := json.Unmarshal(b, &v); err != nil {
			p.fail("Invalid request validator %s: %v", model.Clip(name), err)
			continue
		}
		id := model.RandomID(6)
		for oldID, old := range api.RequestValidators {
			if old.Name == name {
				id = oldID
			}
		}
		if api.RequestValidators == nil {
			api.RequestValidators = map[string]*model.RequestValidator{}
		}
		api.RequestValidators[id] = &model.RequestValidator{ID: id, Name: name,
			ValidateRequestBody: v.ValidateRequestBody, ValidateRequestParameters: v.ValidateRequestParameters}
	}
}

// applyMethodModels sets each imported method's request validator and
// request models; it runs after applyPaths built the methods.
func applyMethodModels(api *model.RestAPI, doc *oasDoc, p *importProblems) {
	byPath := map[string]*model.Resource{}
	for _, r := range api.Resources {
		byPath[r.Path] = r
	}
	validatorID := func(name string) string {
		for id, v := range api.RequestValidators {
			if v.Name == name {
				return id
			}
		}
		return ""
	}
	for _, path := range slices.Sorted(maps.Keys(doc.Paths)) {
		norm := path
		if len(norm) > 1 {
			norm = strings.TrimSuffix(norm, "/") // as applyPaths does
		}
		item, res := doc.Paths[path], byPath[norm]
		if item == nil || res == nil {
			continue
		}
		ops := item.operations()
		for _, verb := range verbOrder {
			op, m := ops[verb], res.Methods[verb]
			if op == nil || m == nil {
				continue
			}
			if name := cmp.Or(op.Validator, doc.Validator); name != "" {
				if m.RequestValidatorID = validatorID(name); m.RequestValidatorID == "" {
					p.fail("Invalid request validator %s on '%s %s': not defined in x-amazon-apigateway-request-validators", model.Clip(name), verb, path)
				}
			}
			models := map[string]string{}
			if op.RequestBody != nil {
				for _, ct := range slices.Sorted(maps.Keys(op.RequestBody.Content)) {
					mt := op.RequestBody.Content[ct]
					switch {
					case mt == nil || mt.Schema == nil:
					case mt.Schema.Ref != "":
						models[ct] = modelName(mt.Schema.Ref)
					default:
						// API Gateway makes a model of an inline schema;
						// gatehouse takes only references to components.
						p.warn("Request body schema for %s on '%s %s' is not a $ref to a model: not imported by gatehouse", model.Clip(ct), verb, path)
					}
				}
			}
			for _, prm := range slices.Concat(item.Parameters, op.Parameters) {
				if prm.In == "body" && prm.Schema != nil && prm.Schema.Ref != "" {
					models["application/json"] = modelName(prm.Schema.Ref)
				}
			}
			for _, ct := range slices.Sorted(maps.Keys(models)) {
				if name := models[ct]; api.Models[name] == nil {
					p.fail("Invalid model %s on '%s %s': not defined in the document", model.Clip(name), verb, path)
					delete(models, ct)
				}
			}
			if len(models) > 0 {
				m.RequestModels = models
			}
		}
	}
}

// modelName is the model a document reference names.
func modelName(ref string) string {
	for _, pre := range schemaRefPrefixes {
		if name, ok := strings.CutPrefix(ref, pre); ok {
			return name
		}
	}
	return ref[strings.LastIndexByte(ref, '/')+1:]
}

// rewriteRefs copies a decoded JSON/YAML value with every "$ref" string
// mapped by f. YAML's map[any]any does not occur: the decoder gives
// map[string]any for string keys.
func rewriteRefs(v any, f func(string) string) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			if s, ok := e.(string); ok && k == "$ref" {
				out[k] = f(s)
				continue
			}
			out[k] = rewriteRefs(e, f)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = rewriteRefs(e, f)
		}
		return out
	}
	return v
}

// exportModels writes the API's models into the document, and with
// apigateway its validators; exportMethodModels does an operation's part.
func exportModels(doc *oasDoc, api *model.RestAPI, swagger, apigateway bool) {
	prefix := schemaRefPrefixes[0]
	if swagger {
		prefix = schemaRefPrefixes[1]
	}
	base := modelRefBase + api.ID + "/models/"
	schemas := map[string]any{}
	for name, m := range api.Models {
		var v any = map[string]any{}
		if strings.TrimSpace(m.Schema) != "" {
			if err := json.Unmarshal([]byte(m.Schema), &v); err != nil {
				continue // stored schemas are valid JSON (CreateModel checks)
			}
		}
		schemas[name] = rewriteRefs(v, func(ref string) string {
			if name, ok := strings.CutPrefix(ref, base); ok {
				return prefix + name
			}
			return ref
		})
	}
	if len(schemas) > 0 {
		if swagger {
			doc.Definitions = schemas
		} else {
			if doc.Components == nil {
				doc.Components = &oasComponents{}
			}
			doc.Components.Schemas = schemas
		}
	}
	if apigateway && len(api.RequestValidators) > 0 {
		doc.Validators = map[string]any{}
		for _, v := range api.RequestValidators {
			doc.Validators[v.Name] = oasValidator{ValidateRequestBody: v.ValidateRequestBody, ValidateRequestParameters: v.ValidateRequestParameters}
		}
	}
}

// exportMethodModels adds a method's request models and, with apigateway,
// its validator to its operation.
func exportMethodModels(op *oasOperation, m *model.Method, api *model.RestAPI, swagger, apigateway bool) {
	if apigateway && m.RequestValidatorID != "" {
		if v := api.RequestValidators[m.RequestValidatorID]; v != nil {
			op.Validator = v.Name
		}
	}
	for _, ct := range slices.Sorted(maps.Keys(m.RequestModels)) {
		name := m.RequestModels[ct]
		if swagger {
			op.Parameters = append(op.Parameters, oasParameter{Name: name, In: "body", Required: true,
				Schema: &oasSchema{Ref: schemaRefPrefixes[1] + name}})
			return // Swagger 2 has one body parameter
		}
		if op.RequestBody == nil {
			op.RequestBody = &oasRequestBody{Required: true, Content: map[string]*oasMediaTypeBody{}}
		}
		op.RequestBody.Content[ct] = &oasMediaTypeBody{Schema: &oasSchema{Ref: schemaRefPrefixes[0] + name}}
	}
}

// MaxDefinitionBytes is the largest OpenAPI definition ImportRestApi and
// PutRestApi take (6 MB, maxDefinitionBytes): the AWS API listener lets
// their bodies, and only theirs, grow to it.
const MaxDefinitionBytes = maxDefinitionBytes

// ErrDefinitionTooLarge is the answer to a definition over
// MaxDefinitionBytes, parseDefinition's.
func ErrDefinitionTooLarge() error {
	// Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12).
	return badRequest("API definition file exceeds the maximum size of " + strconv.Itoa(maxDefinitionBytes) + " bytes")
}
