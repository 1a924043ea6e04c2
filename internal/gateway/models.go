package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// Models are the JSON Schemas (draft 4) of an API's payloads, one record per
// model keyed by its name under the API's id. A deployment freezes them with
// the tree (readTree), and the table compiles the ones its methods name once
// per stage (validate.go), so that a request is checked against a compiled
// schema.

// Messages of the model operations.
const (
	// The answer to a schema that does not parse or is not a valid draft 4
	// schema (users' reports of real CreateModel errors; AWS's validator adds
	// details for some schemas, gatehouse names none).
	msgBadSchema = "Invalid model specified: Validation Result: warnings : [], errors : [Invalid model schema specified]"
	msgNoModel   = "Invalid model identifier specified"
	// AWS's texts (LocalStack snapshots: test_model_validation for the
	// first two, a 409 and a 400; test_put_method_model for the third, a 409,
	// naming the method as its path and verb, "//ANY" on the root).
	msgModelExists = "Model name already exists for this REST API"
	msgModelNoName = "Model name must be non-empty"
	msgModelInUse  = "Cannot delete model '%s', is referenced in method request: %s"
	// Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12-05).
	msgModelName   = "Model name must be alphanumeric"
	msgModelsQuota = "Maximum number of Models for this API has been reached.  Please contact AWS if you need additional Models."
)

// Bounds of models: AWS documents no quota on models per API nor on a
// schema's size. Bounds: 200 models (as many as the documentation parts
// quota's tenth) and 256 KiB per schema, under the store's value limit.
const (
	maxModelsPerAPI = 200
	maxSchemaBytes  = 256 << 10
)

var modelNameRe = regexp.MustCompile(`^[a-zA-Z0-9]+$`)

func modelKey(api, name string) string { return model.Key(model.KindModel, api+"/"+name) }

// The models API Gateway creates with every REST API, as AWS reports them
// (exports of real APIs hold these texts byte for byte).
var defaultModels = []model.Model{
	{Name: "Empty", ContentType: "application/json", Description: "This is a default empty schema model",
		Schema: "{\n  \"$schema\": \"http://json-schema.org/draft-04/schema#\",\n  \"title\" : \"Empty Schema\",\n  \"type\" : \"object\"\n}"},
	{Name: "Error", ContentType: "application/json", Description: "This is a default error schema model",
		Schema: "{\n  \"$schema\" : \"http://json-schema.org/draft-04/schema#\",\n  \"title\" : \"Error Schema\",\n  \"type\" : \"object\",\n  \"properties\" : {\n    \"message\" : { \"type\" : \"string\" }\n  }\n}"},
}

// defaultModelOps are the puts of the default models of a new API, for
// CreateRestAPI's Txn.
func defaultModelOps(apiID string) ([]store.Op, error) {
	var ops []store.Op
	for _, m := range defaultModels {
		m.ID = model.RandomID(6)
		op, err := store.SaveOp(modelKey(apiID, m.Name), &m)
		if err != nil {
			return nil, err
		}
		ops = append(ops, op)
	}
	return ops, nil
}

// modelRefBase is the URL under which a model's schema names another model of
// its API ("$ref": "https://apigateway.amazonaws.com/restapis/{api}/models/{name}").
const modelRefBase = "https://apigateway.amazonaws.com/restapis/"

// noLoader refuses every $ref outside the API's own models: a schema is
// untrusted input and must not make the gateway read files or URLs.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("reference %q is not a model of this API", url)
}

// schemaCompiler is a compiler that knows the API's models by their
// reference URLs and loads nothing else.
func schemaCompiler(apiID string, models map[string]*model.Model) *jsonschema.Compiler {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	c.UseLoader(noLoader{})
	for name, m := range models {
		if doc, err := jsonschema.UnmarshalJSON(strings.NewReader(m.Schema)); err == nil {
			_ = c.AddResource(modelRefBase+apiID+"/models/"+name, doc)
		}
	}
	return c
}

// checkSchema refuses a schema that is not a draft 4 JSON Schema; references
// to the API's other models resolve.
func checkSchema(apiID, name, schema string, others map[string]*model.Model) error {
	if schema == "" {
		return nil
	}
	if len(schema) > maxSchemaBytes {
		return tooLong("schema", maxSchemaBytes, "bytes")
	}
	all := map[string]*model.Model{}
	for k, v := range others {
		all[k] = v
	}
	all[name] = &model.Model{Name: name, Schema: schema}
	if _, err := jsonschema.UnmarshalJSON(strings.NewReader(schema)); err != nil {
		return badRequest(msgBadSchema)
	}
	if _, err := schemaCompiler(apiID, all).Compile(modelRefBase + apiID + "/models/" + name); err != nil {
		return badRequest(msgBadSchema)
	}
	return nil
}

// ModelInput is CreateModel's request.
type ModelInput struct {
	Name        string
	Description string
	Schema      string
	ContentType string
}

// listModels returns an API's models by name and the revision of the listing.
func (s *Service) listModels(ctx context.Context, apiID string) (map[string]*model.Model, int64, error) {
	ms, _, rev, err := loadAllAt[model.Model](ctx, s.d.Store, under(model.KindModel, apiID))
	if err != nil {
		return nil, 0, err
	}
	out := make(map[string]*model.Model, len(ms))
	for _, m := range ms {
		out[m.Name] = m
	}
	return out, rev, nil
}

// CreateModel adds a model to an API.
func (s *Service) CreateModel(ctx context.Context, apiID string, in ModelInput) (*model.Model, error) {
	if in.Name == "" {
		return nil, badRequest(msgModelNoName)
	}
	if !modelNameRe.MatchString(in.Name) {
		return nil, badRequest(msgModelName)
	}
	if err := checkLen("name", in.Name, maxShortLen); err != nil {
		return nil, err
	}
	if err := checkLen("description", in.Description, maxDescriptionLen); err != nil {
		return nil, err
	}
	if in.ContentType == "" {
		// The SDKs refuse a missing content type first. Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12-05).
		return nil, badRequest("Invalid content type specified")
	}
	if err := checkLen("contentType", in.ContentType, maxContentTypeLen); err != nil {
		return nil, err
	}
	key := modelKey(apiID, in.Name)
	for {
		_, apiRev, err := s.loadAPI(ctx, apiID)
		if err != nil {
			return nil, err
		}
		all, listRev, err := s.listModels(ctx, apiID)
		if err != nil {
			return nil, err
		}
		if all[in.Name] != nil {
			return nil, conflict(msgModelExists)
		}
		if len(all) >= maxModelsPerAPI {
			return nil, limit(msgModelsQuota)
		}
		if err := checkSchema(apiID, in.Name, in.Schema, all); err != nil {
			return nil, err
		}
		m := &model.Model{ID: model.RandomID(6), Name: in.Name, Description: in.Description, Schema: in.Schema, ContentType: in.ContentType}
		put, err := store.SaveOp(key, m)
		if err != nil {
			return nil, err
		}
		// The API as read (not deleted meanwhile), the models as listed (the
		// quota and the name hold).
		ok, err := s.commit(ctx, []store.Cond{store.KeyIs(apiKey(apiID), apiRev),
			store.NoneAfter(under(model.KindModel, apiID), listRev), store.KeyIs(key, 0)}, put)
		if err != nil {
			return nil, fmt.Errorf("save model %s: %w", in.Name, err)
		}
		if ok {
			return m, nil
		}
	}
}

// GetModel returns one model.
func (s *Service) GetModel(ctx context.Context, apiID, name string) (*model.Model, error) {
	return getUnderAPI[model.Model](ctx, s, apiID, modelKey(apiID, name), notFound(msgNoModel))
}

// GetModels returns an API's models by name.
func (s *Service) GetModels(ctx context.Context, apiID string) ([]*model.Model, error) {
	if _, _, err := s.loadAPI(ctx, apiID); err != nil {
		return nil, err
	}
	all, _, err := s.listModels(ctx, apiID)
	if err != nil {
		return nil, err
	}
	out := make([]*model.Model, 0, len(all))
	for _, m := range all {
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b *model.Model) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

const modelPaths = "/description, /schema"

// PatchModel is UpdateModel: /description and /schema.
func (s *Service) PatchModel(ctx context.Context, apiID, name string, ops []PatchOperation) (*model.Model, error) {
	patch := patchAll(ops, func(m *model.Model, op PatchOperation) error {
		switch op.Path {
		case "/description":
			return patchString(op, &m.Description)
		case "/schema":
			if err := opIn(op, "replace"); err != nil {
				return err
			}
			m.Schema = op.Value
			return nil
		}
		return badPatchPath(op, modelPaths)
	})
	return updateUnderAPI(ctx, s, apiID, modelKey(apiID, name), notFound(msgNoModel), func(m *model.Model) error {
		if err := patch(m); err != nil {
			return err
		}
		if err := checkLen("description", m.Description, maxDescriptionLen); err != nil {
			return err
		}
		// The other models as they are now: a schema may reference them.
		all, _, err := s.listModels(ctx, apiID)
		if err != nil {
			return err
		}
		return checkSchema(apiID, name, m.Schema, all)
	})
}

// DeleteModel deletes a model that no method request or method response
// names. The Txn is conditioned on the methods and method responses as
// listed, so one that names the model meanwhile makes it decide again.
func (s *Service) DeleteModel(ctx context.Context, apiID, name string) error {
	key := modelKey(apiID, name)
	for {
		if _, _, err := s.loadAPI(ctx, apiID); err != nil {
			return err
		}
		_, rev, err := store.LoadOr[model.Model](ctx, s.d.Store, key, answer(notFound(msgNoModel)))
		if err != nil {
			return err
		}
		methods, mKeys, mRev, err := loadAllAt[model.Method](ctx, s.d.Store, under(model.KindMethod, apiID))
		if err != nil {
			return err
		}
		for i, m := range methods {
			for _, ref := range m.RequestModels {
				if ref == name {
					return conflict(fmt.Sprintf(msgModelInUse, name, s.methodLabel(ctx, apiID, mKeys[i])))
				}
			}
		}
		responses, rKeys, rRev, err := loadAllAt[model.MethodResponse](ctx, s.d.Store, under(model.KindMethodResponse, apiID))
		if err != nil {
			return err
		}
		for i, mr := range responses {
			for _, ref := range mr.ResponseModels {
				if ref == name {
					// After the method request's text and status. Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12-05).
					return conflict(fmt.Sprintf("Cannot delete model '%s', is referenced in method response: %s", name, s.methodLabel(ctx, apiID, rKeys[i])))
				}
			}
		}
		ok, err := s.commit(ctx, []store.Cond{store.KeyIs(key, rev),
			store.NoneAfter(under(model.KindMethod, apiID), mRev),
			store.NoneAfter(under(model.KindMethodResponse, apiID), rRev)}, store.Del(key))
		if err != nil {
			return fmt.Errorf("delete model %s: %w", name, err)
		}
		if ok {
			return nil
		}
	}
}

// methodLabel names the method of a method (or method response) record key as
// AWS does in an error message: the resource path, "/" and the verb ("//ANY"
// on the root, "/pets/GET" below it).
func (s *Service) methodLabel(ctx context.Context, apiID, key string) string {
	_, id := model.SplitKey(key)
	parts := strings.Split(strings.TrimPrefix(id, apiID+"/"), "/")
	if len(parts) < 2 {
		return id
	}
	path := parts[0]
	if r, _, err := store.Load[model.Resource](ctx, s.d.Store, resourceKey(apiID, parts[0])); err == nil {
		path = r.Path
	}
	return path + "/" + parts[1]
}

// attachModels fills in a tree's models and request validators from the
// records readTree listed.
func attachModels(api *model.RestAPI, lists map[model.Kind][]store.KV) error {
	for _, kv := range lists[model.KindModel] {
		m := new(model.Model)
		if err := json.Unmarshal(kv.Value, m); err != nil {
			return fmt.Errorf("decode %s: %w", kv.Key, err)
		}
		if api.Models == nil {
			api.Models = map[string]*model.Model{}
		}
		api.Models[m.Name] = m
	}
	for _, kv := range lists[model.KindRequestValidator] {
		v := new(model.RequestValidator)
		if err := json.Unmarshal(kv.Value, v); err != nil {
			return fmt.Errorf("decode %s: %w", kv.Key, err)
		}
		if api.RequestValidators == nil {
			api.RequestValidators = map[string]*model.RequestValidator{}
		}
		api.RequestValidators[v.ID] = v
	}
	return nil
}

// checkMethodRefs refuses a method that names a request validator or model
// its API does not have (PutMethod, UpdateMethod).
func (s *Service) checkMethodRefs(ctx context.Context, apiID string, m *model.Method) error {
	if m.RequestValidatorID != "" {
		if _, err := s.d.Store.Get(ctx, validatorKey(apiID, m.RequestValidatorID)); errors.Is(err, store.ErrNotFound) {
			// LocalStack's parity tests record this text.
			return badRequest(msgNoValidatorRef)
		} else if err != nil {
			return err
		}
	}
	if err := checkParams("requestModels", m.RequestModels, maxShortLen); err != nil {
		return err
	}
	for _, ct := range slices.Sorted(maps.Keys(m.RequestModels)) {
		name := m.RequestModels[ct]
		if _, err := s.d.Store.Get(ctx, modelKey(apiID, name)); errors.Is(err, store.ErrNotFound) {
			return badRequest("Invalid model identifier specified: " + model.Clip(name))
		} else if err != nil {
			return err
		}
	}
	return nil
}
