package gateway

import (
	"context"
	"crypto/rand"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// API keys are account-level records (KindAPIKey, by id). A key's value is
// unique: an index key per value (KindAPIKeyValue) is put create-only with
// the key, so two nodes cannot both create one value.

// Messages of the API key and usage plan operations: moto's and LocalStack's
// answers, recorded from AWS, unless a comment says otherwise.
const (
	msgNoAPIKey       = "Invalid API Key identifier specified"
	msgNoUsagePlan    = "Invalid Usage Plan ID specified"
	msgAPIKeyExists   = "API Key already exists"
	msgKeyInPlan      = "Usage Plan Key already exists" // the code is AWS's; the text is not recorded (searched: docs, issues, moto, LocalStack; 2026-12)
	msgBadAPIKeyValue = "API Key value should be at least 20 characters"
	// LocalStack's AWS-recorded test_create_api_key_with_invalid_value.
	msgLongAPIKeyValue = "API Key value exceeds maximum size of 128 characters"
	msgBadKeyType      = "Invalid key type specified. Valid values are [API_KEY]" // not recorded (searched: docs, issues, moto, LocalStack; 2026-12)
	// LocalStack's AWS-recorded test_create_api_key_with_invalid_name and
	// test_update_api_key_invalid_description_length.
	msgLongAPIKeyName = "Invalid API Key name, can be at most 1024 characters."
	msgBadAPIKeyDesc  = "Invalid API Key description specified."
)

const (
	minAPIKeyValue = 20
	maxAPIKeyValue = 128
	// generatedKeyLen is the length of a value API Gateway generates: 40.
	generatedKeyLen = 40
	// maxAPIKeyDescription is AWS's bound on a key's description: 125,001
	// characters are refused (LocalStack's AWS-recorded
	// test_update_api_key_invalid_description_length).
	maxAPIKeyDescription = 125000
)

var apiKeyValueRe = regexp.MustCompile(`^[A-Za-z0-9]+$`)

// APIKeyInput is CreateApiKey's request.
type APIKeyInput struct {
	Name, Description, Value, CustomerID string
	Enabled                              bool
	StageKeys                            []string // "restApiId/stageName"
	Tags                                 map[string]string
}

func apiKeyKey(id string) string         { return model.Key(model.KindAPIKey, id) }
func apiKeyValueKey(value string) string { return model.Key(model.KindAPIKeyValue, value) }

// generateKeyValue makes a value as API Gateway does: 40 alphanumerics.
func generateKeyValue() string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, generatedKeyLen)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = chars[int(b[i])%len(chars)]
	}
	return string(b)
}

func validAPIKey(k *model.APIKey) error {
	if len(k.Value) < minAPIKeyValue {
		return badRequest(msgBadAPIKeyValue)
	}
	if len(k.Value) > maxAPIKeyValue {
		return badRequest(msgLongAPIKeyValue)
	}
	if !apiKeyValueRe.MatchString(k.Value) {
		// Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12).
		return badRequest("API Key value must be 20 to 128 alphanumeric characters")
	}
	if checkLen("name", k.Name, maxNameLen) != nil {
		return badRequest(msgLongAPIKeyName)
	}
	if err := checkLen("customerId", k.CustomerID, maxNameLen); err != nil {
		return err
	}
	if checkLen("description", k.Description, maxAPIKeyDescription) != nil {
		return badRequest(msgBadAPIKeyDesc)
	}
	return checkTags(k.Tags)
}

// CreateAPIKey stores a new key; without a value, one is generated.
func (s *Service) CreateAPIKey(ctx context.Context, in APIKeyInput) (*model.APIKey, error) {
	now := time.Now().UTC().Truncate(time.Second)
	k := &model.APIKey{
		ID: model.RandomID(10), Value: in.Value, Name: in.Name, Description: in.Description,
		CustomerID: in.CustomerID, Enabled: in.Enabled, StageKeys: in.StageKeys, Tags: in.Tags,
		CreatedDate: now, LastUpdatedDate: now,
	}
	if k.Value == "" {
		k.Value = generateKeyValue()
	}
	if err := validAPIKey(k); err != nil {
		return nil, err
	}
	if err := checkLen("stageKeys", strings.Join(in.StageKeys, ","), maxURLLen); err != nil {
		return nil, err
	}
	put, err := store.SaveOp(apiKeyKey(k.ID), k)
	if err != nil {
		return nil, err
	}
	idx, err := store.SaveOp(apiKeyValueKey(k.Value), k.ID)
	if err != nil {
		return nil, err
	}
	// Create-only on both keys: the id is new and the value is free.
	ok, err := s.commit(ctx, []store.Cond{store.KeyIs(idx.Key, 0), store.KeyIs(put.Key, 0)}, put, idx)
	if err != nil {
		return nil, fmt.Errorf("save api key: %w", err)
	}
	if !ok {
		return nil, conflict(msgAPIKeyExists)
	}
	return k, nil
}

// GetAPIKey returns one key.
func (s *Service) GetAPIKey(ctx context.Context, id string) (*model.APIKey, error) {
	k, _, err := store.LoadOr[model.APIKey](ctx, s.d.Store, apiKeyKey(id), answer(notFound(msgNoAPIKey)))
	return k, err
}

// ListAPIKeys returns the keys whose name starts with nameQuery (all when
// empty) and, if customerID is set, that belong to that customer, by id.
func (s *Service) ListAPIKeys(ctx context.Context, nameQuery, customerID string) ([]*model.APIKey, error) {
	all, err := store.LoadAll[model.APIKey](ctx, s.d.Store, model.Prefix(model.KindAPIKey))
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, k := range all {
		if strings.HasPrefix(k.Name, nameQuery) && (customerID == "" || k.CustomerID == customerID) {
			out = append(out, k)
		}
	}
	slices.SortFunc(out, func(a, b *model.APIKey) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

const apiKeyPaths = "/name, /description, /customerId, /enabled, /stages"

// PatchAPIKey is UpdateApiKey: name, description, customerId, enabled and the
// legacy stage keys (add/remove "/stages" with value "restApiId/stageName").
func (s *Service) PatchAPIKey(ctx context.Context, id string, ops []PatchOperation) (*model.APIKey, error) {
	return store.UpdateOr(ctx, s.d.Store, apiKeyKey(id), answer(notFound(msgNoAPIKey)), func(k *model.APIKey) error {
		if err := patchAll(ops, patchAPIKey)(k); err != nil {
			return err
		}
		k.LastUpdatedDate = time.Now().UTC().Truncate(time.Second)
		return validAPIKey(k)
	})
}

func patchAPIKey(k *model.APIKey, op PatchOperation) error {
	switch op.Path {
	case "/name":
		return patchString(op, &k.Name)
	case "/description":
		return patchString(op, &k.Description)
	case "/customerId":
		return patchString(op, &k.CustomerID)
	case "/enabled":
		if err := opIn(op, "replace"); err != nil {
			return err
		}
		b, err := patchBool(op)
		k.Enabled = b
		return err
	case "/stages":
		if err := opIn(op, "add", "remove"); err != nil {
			return err
		}
		k.StageKeys = slices.DeleteFunc(k.StageKeys, func(v string) bool { return v == op.Value })
		if op.Op == "add" {
			k.StageKeys = append(k.StageKeys, op.Value)
		}
		return nil
	}
	return badPatchPath(op, apiKeyPaths)
}

// DeleteAPIKey removes a key, its value's index and its place in every
// usage plan (its usage records stay, as the plan's history).
func (s *Service) DeleteAPIKey(ctx context.Context, id string) error {
	for {
		k, rev, err := store.LoadOr[model.APIKey](ctx, s.d.Store, apiKeyKey(id), answer(notFound(msgNoAPIKey)))
		if err != nil {
			return err
		}
		memberships, listRev, err := s.plansOfKey(ctx, id)
		if err != nil {
			return err
		}
		ops := []store.Op{store.Del(apiKeyKey(id)), store.Del(apiKeyValueKey(k.Value))}
		for _, planID := range memberships {
			ops = append(ops, store.Del(usagePlanKeyKey(planID, id)))
		}
		// No plan took the key since the listing: its membership goes with it.
		ok, err := s.commit(ctx, []store.Cond{store.KeyIs(apiKeyKey(id), rev),
			store.NoneAfter(model.Prefix(model.KindUsagePlanKey), listRev)}, ops...)
		if err != nil || ok {
			return err
		}
	}
}

// plansOfKey lists the plans that hold the key, and the revision of the listing.
func (s *Service) plansOfKey(ctx context.Context, keyID string) ([]string, int64, error) {
	kvs, rev, err := s.d.Store.List(ctx, model.Prefix(model.KindUsagePlanKey))
	if err != nil {
		return nil, 0, fmt.Errorf("list usage plan keys: %w", err)
	}
	var out []string
	for _, kv := range kvs {
		_, id := model.SplitKey(kv.Key)
		plan, key, _ := strings.Cut(id, "/")
		if key == keyID {
			out = append(out, plan)
		}
	}
	return out, rev, nil
}
