package gateway

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// Request validators say what API Gateway checks in a method's request
// before the integration runs (validate.go): its required parameters, its
// body against the model for its content type. One record per validator,
// keyed by its id under the API's id.

const (
	// LocalStack's parity tests record these texts.
	msgNoValidator    = "Invalid Request Validator identifier specified"
	msgNoValidatorRef = "Invalid Request Validator identifier specified"
	// Not recorded from AWS (searched: docs, issues, moto, LocalStack;
	// 2026-12-05); the second after the model's recorded "Cannot delete model
	// …, is referenced in method request: …".
	msgValidatorsQuota = "Maximum number of Request Validators for this API has been reached.  Please contact AWS if you need additional Request Validators."
	msgValidatorInUse  = "Cannot delete request validator '%s', is referenced in method: %s"
)

// maxValidatorsPerAPI: AWS documents no quota; bound: as many as models.
const maxValidatorsPerAPI = maxModelsPerAPI

func validatorKey(api, id string) string { return model.Key(model.KindRequestValidator, api+"/"+id) }

// ValidatorInput is CreateRequestValidator's request.
type ValidatorInput struct {
	Name                      string
	ValidateRequestBody       bool
	ValidateRequestParameters bool
}

// CreateRequestValidator adds a request validator to an API.
func (s *Service) CreateRequestValidator(ctx context.Context, apiID string, in ValidatorInput) (*model.RequestValidator, error) {
	if err := checkLen("name", in.Name, maxNameLen); err != nil {
		return nil, err
	}
	prefix := under(model.KindRequestValidator, apiID)
	for {
		_, apiRev, err := s.loadAPI(ctx, apiID)
		if err != nil {
			return nil, err
		}
		all, _, listRev, err := loadAllAt[model.RequestValidator](ctx, s.d.Store, prefix)
		if err != nil {
			return nil, err
		}
		if len(all) >= maxValidatorsPerAPI {
			return nil, limit(msgValidatorsQuota)
		}
		// AWS allows validators of the same name: each has its own id.
		v := &model.RequestValidator{ID: model.RandomID(6), Name: in.Name,
			ValidateRequestBody: in.ValidateRequestBody, ValidateRequestParameters: in.ValidateRequestParameters}
		key := validatorKey(apiID, v.ID)
		put, err := store.SaveOp(key, v)
		if err != nil {
			return nil, err
		}
		ok, err := s.commit(ctx, []store.Cond{store.KeyIs(apiKey(apiID), apiRev),
			store.NoneAfter(prefix, listRev), store.KeyIs(key, 0)}, put)
		if err != nil {
			return nil, fmt.Errorf("save request validator: %w", err)
		}
		if ok {
			return v, nil
		}
	}
}

// GetRequestValidator returns one request validator.
func (s *Service) GetRequestValidator(ctx context.Context, apiID, id string) (*model.RequestValidator, error) {
	return getUnderAPI[model.RequestValidator](ctx, s, apiID, validatorKey(apiID, id), notFound(msgNoValidator))
}

// GetRequestValidators returns an API's request validators by id.
func (s *Service) GetRequestValidators(ctx context.Context, apiID string) ([]*model.RequestValidator, error) {
	if _, _, err := s.loadAPI(ctx, apiID); err != nil {
		return nil, err
	}
	all, err := store.LoadAll[model.RequestValidator](ctx, s.d.Store, under(model.KindRequestValidator, apiID))
	if err != nil {
		return nil, err
	}
	slices.SortFunc(all, func(a, b *model.RequestValidator) int { return strings.Compare(a.ID, b.ID) })
	return all, nil
}

// validatorPaths are UpdateRequestValidator's patch paths, as AWS lists them
// (LocalStack snapshot, test_invalid_update_request_validator_operations).
const validatorPaths = "/name, /validateRequestParameters, /validateRequestBody"

// PatchRequestValidator is UpdateRequestValidator.
func (s *Service) PatchRequestValidator(ctx context.Context, apiID, id string, ops []PatchOperation) (*model.RequestValidator, error) {
	patch := patchAll(ops, func(v *model.RequestValidator, op PatchOperation) error {
		var err error
		switch op.Path {
		case "/name":
			err = patchString(op, &v.Name)
		case "/validateRequestBody":
			if err = opIn(op, "replace"); err == nil {
				v.ValidateRequestBody, err = patchBool(op)
			}
		case "/validateRequestParameters":
			if err = opIn(op, "replace"); err == nil {
				v.ValidateRequestParameters, err = patchBool(op)
			}
		default:
			err = badPatchPath(op, validatorPaths)
		}
		return err
	})
	return updateUnderAPI(ctx, s, apiID, validatorKey(apiID, id), notFound(msgNoValidator), func(v *model.RequestValidator) error {
		if err := patch(v); err != nil {
			return err
		}
		v.ID = id
		return checkLen("name", v.Name, maxNameLen)
	})
}

// DeleteRequestValidator deletes a validator no method names, conditioned on
// the methods as listed.
func (s *Service) DeleteRequestValidator(ctx context.Context, apiID, id string) error {
	key := validatorKey(apiID, id)
	for {
		if _, _, err := s.loadAPI(ctx, apiID); err != nil {
			return err
		}
		_, rev, err := store.LoadOr[model.RequestValidator](ctx, s.d.Store, key, answer(notFound(msgNoValidator)))
		if err != nil {
			return err
		}
		methods, mKeys, mRev, err := loadAllAt[model.Method](ctx, s.d.Store, under(model.KindMethod, apiID))
		if err != nil {
			return err
		}
		for i, m := range methods {
			if m.RequestValidatorID == id {
				return badRequest(fmt.Sprintf(msgValidatorInUse, id, s.methodLabel(ctx, apiID, mKeys[i])))
			}
		}
		ok, err := s.commit(ctx, []store.Cond{store.KeyIs(key, rev), store.NoneAfter(under(model.KindMethod, apiID), mRev)}, store.Del(key))
		if err != nil {
			return fmt.Errorf("delete request validator %s: %w", id, err)
		}
		if ok {
			return nil
		}
	}
}
