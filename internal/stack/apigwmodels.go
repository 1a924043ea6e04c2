package stack

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"gatehouse/internal/gateway"
	"gatehouse/internal/model"
)

// An API's models and request validators, named in the file:
//
//	models:
//	  Pet:
//	    schema: {type: object, required: [name]}   # YAML, or a JSON string
//	requestValidators:
//	  body: {validateRequestBody: true}
//	resources:
//	  /pets:
//	    POST:
//	      requestValidator: body
//	      requestModels: {application/json: Pet}
//
// They are made to hold exactly what the file says, like resources and
// methods: created and changed before the methods that name them, and
// those the file no longer names deleted after the methods stopped naming
// them. The API's default models (Empty, Error) stay.

// ModelSpec is a model: a JSON Schema draft 4 for a content type.
type ModelSpec struct {
	ContentType string `yaml:"contentType"` // default application/json
	Description string `yaml:"description"`
	Schema      any    `yaml:"schema"` // a YAML mapping or its JSON text
}

// ValidatorSpec is a request validator.
type ValidatorSpec struct {
	ValidateRequestBody       bool `yaml:"validateRequestBody"`
	ValidateRequestParameters bool `yaml:"validateRequestParameters"`
}

// defaultModelNames are the models every API has, which the file need not name.
var defaultModelNames = []string{"Empty", "Error"}

// schemaText is a model's schema as stored: JSON text.
func (m ModelSpec) schemaText() (string, error) {
	switch s := m.Schema.(type) {
	case nil:
		return "", nil
	case string:
		return s, nil
	default:
		b, err := json.Marshal(s)
		return string(b), err
	}
}

func (m ModelSpec) contentType() string {
	if m.ContentType == "" {
		return "application/json"
	}
	return m.ContentType
}

// modelsAndValidators creates and changes the API's models and validators
// as the file has them, and notes the validators' ids for the methods.
func (a *applier) modelsAndValidators(ctx context.Context, res string, api *model.RestAPI, spec API) error {
	if a.validatorIDs == nil {
		a.validatorIDs = map[string]string{}
	}
	haveModels, haveValidators, err := a.modelsOf(ctx, api)
	if err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(spec.Models)) {
		m := spec.Models[name]
		field := fmt.Sprintf("models[%s]", name)
		schema, err := m.schemaText()
		if err != nil {
			return fieldErr(field+".schema", err)
		}
		have := haveModels[name]
		if have == nil {
			err := a.write(func() error {
				_, err := a.Gateway.CreateModel(ctx, api.ID, gateway.ModelInput{Name: name, Description: m.Description,
					Schema: schema, ContentType: m.contentType()})
				return err
			}, Change{res, field, absent, "(present)"})
			if err != nil {
				return fieldErr(field, err)
			}
			continue
		}
		var ops []gateway.PatchOperation
		var cs []Change
		if !sameJSON(have.Schema, schema) {
			ops = append(ops, gateway.PatchOperation{Op: "replace", Path: "/schema", Value: schema})
			cs = append(cs, Change{res, field + ".schema", have.Schema, schema})
		}
		if have.Description != m.Description {
			ops = append(ops, gateway.PatchOperation{Op: "replace", Path: "/description", Value: m.Description})
			cs = append(cs, Change{res, field + ".description", quoted(have.Description), quoted(m.Description)})
		}
		if len(ops) > 0 {
			if err := a.write(func() error { _, err := a.Gateway.PatchModel(ctx, api.ID, name, ops); return err }, cs...); err != nil {
				return fieldErr(field, err)
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(spec.RequestValidators)) {
		v := spec.RequestValidators[name]
		field := fmt.Sprintf("requestValidators[%s]", name)
		have := haveValidators[name]
		if have == nil {
			id := planned
			err := a.write(func() error {
				out, err := a.Gateway.CreateRequestValidator(ctx, api.ID, gateway.ValidatorInput{Name: name,
					ValidateRequestBody: v.ValidateRequestBody, ValidateRequestParameters: v.ValidateRequestParameters})
				if err == nil {
					id = out.ID
				}
				return err
			}, Change{res, field, absent, validatorText(v)})
			if err != nil {
				return fieldErr(field, err)
			}
			a.validatorIDs[api.ID+"/"+name] = id
			continue
		}
		a.validatorIDs[api.ID+"/"+name] = have.ID
		if have.ValidateRequestBody == v.ValidateRequestBody && have.ValidateRequestParameters == v.ValidateRequestParameters {
			continue
		}
		ops := []gateway.PatchOperation{
			{Op: "replace", Path: "/validateRequestBody", Value: strconv.FormatBool(v.ValidateRequestBody)},
			{Op: "replace", Path: "/validateRequestParameters", Value: strconv.FormatBool(v.ValidateRequestParameters)},
		}
		old := ValidatorSpec{ValidateRequestBody: have.ValidateRequestBody, ValidateRequestParameters: have.ValidateRequestParameters}
		err := a.write(func() error { _, err := a.Gateway.PatchRequestValidator(ctx, api.ID, have.ID, ops); return err },
			Change{res, field, validatorText(old), validatorText(v)})
		if err != nil {
			return fieldErr(field, err)
		}
	}
	return nil
}

// dropStaleModels deletes the models and validators the file no longer
// names; it runs after the methods stopped naming them.
func (a *applier) dropStaleModels(ctx context.Context, res string, api *model.RestAPI, spec API) error {
	haveModels, haveValidators, err := a.modelsOf(ctx, api)
	if err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(haveValidators)) {
		if _, ok := spec.RequestValidators[name]; ok {
			continue
		}
		id := haveValidators[name].ID
		err := a.write(func() error { return a.Gateway.DeleteRequestValidator(ctx, api.ID, id) },
			Change{res, fmt.Sprintf("requestValidators[%s]", name), "(present)", absent})
		if err != nil {
			return fieldErr("requestValidators", err)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(haveModels)) {
		if _, ok := spec.Models[name]; ok || slices.Contains(defaultModelNames, name) {
			continue
		}
		err := a.write(func() error { return a.Gateway.DeleteModel(ctx, api.ID, name) },
			Change{res, fmt.Sprintf("models[%s]", name), "(present)", absent})
		if err != nil {
			return fieldErr("models", err)
		}
	}
	return nil
}

// modelsOf reads the API's models by name and validators by name; a
// planned API has none.
func (a *applier) modelsOf(ctx context.Context, api *model.RestAPI) (map[string]*model.Model, map[string]*model.RequestValidator, error) {
	models, validators := map[string]*model.Model{}, map[string]*model.RequestValidator{}
	if api.ID == planned {
		return models, validators, nil
	}
	// Read from the store, as loadAPI does: a plan without a daemon (gatehouse
	// diff on a stopped daemon's store) has no gateway service.
	tree, err := gateway.RestAPITree(ctx, a.Store, api.ID)
	if err != nil {
		return nil, nil, err
	}
	maps.Copy(models, tree.Models)
	for _, v := range tree.RequestValidators {
		validators[v.Name] = v
	}
	return models, validators, nil
}

func validatorText(v ValidatorSpec) string {
	return fmt.Sprintf("body=%t parameters=%t", v.ValidateRequestBody, v.ValidateRequestParameters)
}

// badMethodModels reports a method's validator or model that its API does
// not define.
func badMethodModels(where string, api API, m Method, bad func(where, format string, args ...any)) {
	if v := m.RequestValidator; v != "" {
		if _, ok := api.RequestValidators[v]; !ok {
			bad(where+".requestValidator", "api %q has no request validator %q", api.Name, v)
		}
	}
	for ct, name := range m.RequestModels {
		if _, ok := api.Models[name]; !ok && !slices.Contains(defaultModelNames, name) {
			bad(fmt.Sprintf("%s.requestModels[%q]", where, ct), "api %q has no model %q", api.Name, name)
		}
	}
}

// methodRequestText is what a method's text adds for its request's
// validation: "" when it has none, so other methods read as before.
func methodRequestText(m *model.Method) string {
	if m.RequestValidatorID == "" && len(m.RequestModels) == 0 && len(m.RequestParameters) == 0 {
		return ""
	}
	b, _ := json.Marshal(struct {
		Validator  string            `json:"requestValidator,omitempty"`
		Models     map[string]string `json:"requestModels,omitempty"`
		Parameters map[string]bool   `json:"requestParameters,omitempty"`
	}{m.RequestValidatorID, m.RequestModels, m.RequestParameters})
	return " request " + string(b)
}
