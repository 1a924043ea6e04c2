package gateway

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// PatchOperation is one change of an Update operation, as API Gateway takes
// them (JSON Patch's shape; paths name the resource's own fields).
type PatchOperation struct {
	Op    string // add, remove, replace, move, copy, test
	Path  string
	Value string
	From  string
}

// badPatchPath is AWS's refusal of a path the resource does not have. The
// text, double space included, is AWS's (LocalStack snapshots for resources,
// models and request validators, whose lists gatehouse's match). The lists of
// the other resources are gatehouse's: AWS's are not recorded (searched: docs,
// issues, moto, LocalStack; 2026-12-05).
func badPatchPath(op PatchOperation, valid string) error {
	return badRequest(fmt.Sprintf("Invalid patch path  '%s' specified for op '%s'. Must be one of: [%s]", model.Clip(op.Path), model.Clip(op.Op), valid))
}

// opIn refuses an operation the path does not take, as AWS does.
func opIn(op PatchOperation, allowed ...string) error {
	if slices.Contains(allowed, op.Op) {
		return nil
	}
	if !slices.Contains([]string{"add", "remove", "replace", "move", "copy", "test"}, op.Op) {
		return badRequest("Invalid patch operation specified. Must be 'add'|'remove'|'replace'")
	}
	return badRequest(fmt.Sprintf("Invalid patch path  '%s' specified for op '%s'. Please choose supported operations", model.Clip(op.Path), op.Op))
}

// patchString sets (add, replace) or clears (remove) an optional text field.
func patchString(op PatchOperation, dst *string) error {
	if err := opIn(op, "add", "replace", "remove"); err != nil {
		return err
	}
	*dst = op.Value
	if op.Op == "remove" {
		*dst = ""
	}
	return nil
}

// patchBool reads a boolean value. Not recorded from AWS (searched: docs,
// issues, moto, LocalStack; 2026-12-05).
func patchBool(op PatchOperation) (bool, error) {
	b, err := strconv.ParseBool(op.Value)
	if err != nil {
		return false, badRequest(fmt.Sprintf("Invalid boolean value '%s' specified for %s", model.Clip(op.Value), model.Clip(op.Path)))
	}
	return b, nil
}

// patchNumber reads a number within [min, max]. Not recorded from AWS
// (searched: docs, issues, moto, LocalStack; 2026-12-05).
func patchNumber(op PatchOperation, min, max float64) (float64, error) {
	f, err := strconv.ParseFloat(op.Value, 64)
	if err != nil || f < min || f > max {
		return 0, badRequest(fmt.Sprintf("Invalid value '%s' specified for %s", model.Clip(op.Value), model.Clip(op.Path)))
	}
	return f, nil
}

// patchEnum reads a value that must be one of valid. Not recorded from AWS
// (searched: docs, issues, moto, LocalStack; 2026-12-05); the one enum whose
// refusal is recorded, a REST API's ipAddressType, has its own text.
func patchEnum(op PatchOperation, valid ...string) (string, error) {
	if !slices.Contains(valid, op.Value) {
		return "", badRequest(fmt.Sprintf("Invalid value '%s' specified for %s. Must be one of: %s", model.Clip(op.Value), model.Clip(op.Path), strings.Join(valid, ", ")))
	}
	return op.Value, nil
}

// unescapePath undoes JSON Pointer escaping in one path segment.
func unescapePath(seg string) string {
	return strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")
}

// checkPatch bounds an Update operation's list: its length and each path
// (a method setting's path holds a resource path, so up to maxURLLen).
// Values are bounded by the fields they set, which the update validates.
func checkPatch(ops []PatchOperation) error {
	if len(ops) > maxPatchOperations {
		return tooMany("patch operations", maxPatchOperations)
	}
	for _, op := range ops {
		if err := checkLen("patch path", op.Path, maxURLLen); err != nil {
			return err
		}
		if err := checkLen("patch from", op.From, maxURLLen); err != nil {
			return err
		}
	}
	return nil
}

// patchAll is the mutation of an Update operation: patch applied to each op in
// order; the first error drops the whole update.
func patchAll[T any](ops []PatchOperation, patch func(*T, PatchOperation) error) func(*T) error {
	return func(v *T) error {
		if err := checkPatch(ops); err != nil {
			return err
		}
		for _, op := range ops {
			if err := patch(v, op); err != nil {
				return err
			}
		}
		return nil
	}
}

// patchEntry adds, replaces or removes the map entry named by the path after
// prefix ("/variables/{name}"); value reads an added or replaced entry's value.
func patchEntry[V any](op PatchOperation, m *map[string]V, prefix string, value func(PatchOperation) (V, error)) error {
	if err := opIn(op, "add", "replace", "remove"); err != nil {
		return err
	}
	name := unescapePath(strings.TrimPrefix(op.Path, prefix))
	if op.Op == "remove" {
		delete(*m, name)
		return nil
	}
	v, err := value(op)
	if err != nil {
		return err
	}
	if *m == nil {
		*m = map[string]V{}
	}
	(*m)[name] = v
	return nil
}

// ---- REST APIs ----

const restAPIPaths = "/name, /description, /version, /policy, /apiKeySource, /disableExecuteApiEndpoint, " +
	"/endpointConfiguration/types/{type}, /endpointConfiguration/vpcEndpointIds, /endpointConfiguration/ipAddressType, " +
	"/binaryMediaTypes/{type}"

// PatchRestAPI is UpdateRestApi: it applies ops in order, then validates the
// result as CreateRestApi does.
func (s *Service) PatchRestAPI(ctx context.Context, id string, ops []PatchOperation) (*model.RestAPI, error) {
	return s.UpdateRestAPI(ctx, id, patchAll(ops, patchRestAPI))
}

func patchRestAPI(api *model.RestAPI, op PatchOperation) error {
	ec := &api.EndpointConfiguration
	var err error
	switch p := op.Path; {
	case p == "/name":
		if err = opIn(op, "replace"); err == nil && op.Value == "" {
			// Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12-05).
			err = badRequest("Invalid request input: name is required")
		}
		api.Name = op.Value // on error, the update is dropped whole
	case p == "/description":
		err = patchString(op, &api.Description)
	case p == "/version":
		err = patchString(op, &api.Version)
	case p == "/policy":
		err = patchString(op, &api.Policy) // validateAPI parses it
	case p == "/apiKeySource":
		if err = opIn(op, "replace"); err == nil {
			api.APIKeySource, err = patchEnum(op, "HEADER", "AUTHORIZER")
		}
	case p == "/disableExecuteApiEndpoint":
		if err = opIn(op, "replace"); err == nil {
			api.DisableExecuteAPIEndpoint, err = patchBool(op)
		}
	case strings.HasPrefix(p, "/endpointConfiguration/types/"):
		// AWS names the type by its current value (…/types/EDGE); index 0 works too.
		if err = opIn(op, "replace"); err != nil {
			break
		}
		t := strings.TrimPrefix(p, "/endpointConfiguration/types/")
		i := slices.Index(ec.Types, t)
		if n, nerr := strconv.Atoi(t); nerr == nil {
			i = n
		}
		if i < 0 || i >= len(ec.Types) {
			return badPatchPath(op, restAPIPaths)
		}
		// The IP address type goes along (a private API's dualstack stays
		// when it becomes regional), except that a private API is dualstack.
		ec.IPAddressType = ec.IPAddressTypeOrDefault()
		ec.Types[i] = op.Value
		if op.Value != "PRIVATE" {
			ec.VpcEndpointIDs = nil // only a private API lists endpoints
		} else {
			ec.IPAddressType = "dualstack" // as AWS does when an API becomes private
		}
	case p == "/endpointConfiguration/ipAddressType":
		// AWS's texts (LocalStack snapshot, test_update_rest_api_ip_address_type).
		if op.Op != "replace" {
			return badRequest("Invalid patch operation specified. Must be one of: [replace]")
		}
		if !slices.Contains(ipAddressTypes, op.Value) {
			return badRequest(msgBadIPAddressType)
		}
		ec.IPAddressType = op.Value
	case strings.HasPrefix(p, "/binaryMediaTypes/"):
		// The type is the path's last segment, its "/" escaped as "~1"
		// (image~1png); add and remove take no value.
		if err = opIn(op, "add", "remove"); err != nil {
			break
		}
		typ := unescapePath(strings.TrimPrefix(p, "/binaryMediaTypes/"))
		if typ == "" {
			return badPatchPath(op, restAPIPaths)
		}
		switch op.Op {
		case "add":
			if !slices.Contains(api.BinaryMediaTypes, typ) {
				api.BinaryMediaTypes = append(api.BinaryMediaTypes, typ)
			}
		case "remove":
			api.BinaryMediaTypes = slices.DeleteFunc(api.BinaryMediaTypes, func(t string) bool { return t == typ })
		}
	case p == "/endpointConfiguration/vpcEndpointIds":
		if err = opIn(op, "add", "remove", "replace"); err != nil {
			break
		}
		ids := strings.FieldsFunc(op.Value, func(r rune) bool { return r == ',' || r == ' ' })
		switch op.Op {
		case "replace":
			ec.VpcEndpointIDs = ids
		case "add":
			for _, id := range ids {
				if !slices.Contains(ec.VpcEndpointIDs, id) {
					ec.VpcEndpointIDs = append(ec.VpcEndpointIDs, id)
				}
			}
		case "remove":
			ec.VpcEndpointIDs = slices.DeleteFunc(ec.VpcEndpointIDs, func(id string) bool { return slices.Contains(ids, id) })
		}
	default:
		return badPatchPath(op, restAPIPaths)
	}
	return err
}

// ---- Methods ----

const methodPaths = "/authorizationType, /apiKeyRequired, /operationName, /requestParameters/{name}, " +
	"/requestValidatorId, /requestModels/{contentType}"

// PatchMethod is UpdateMethod.
func (s *Service) PatchMethod(ctx context.Context, apiID, resourceID, httpMethod string, ops []PatchOperation) (*model.Method, error) {
	apply := patchAll(ops, patchMethod)
	return s.updateMethod(ctx, apiID, resourceID, httpMethod, func(m *model.Method) error {
		if err := apply(m); err != nil {
			return err
		}
		if err := validMethod(m); err != nil {
			return err
		}
		return s.checkMethodRefs(ctx, apiID, m) // the validator and models named exist
	})
}

func patchMethod(m *model.Method, op PatchOperation) error {
	var err error
	switch p := op.Path; {
	case p == "/authorizationType":
		if err = opIn(op, "replace"); err == nil {
			m.AuthorizationType, err = patchEnum(op, "NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS")
		}
	case p == "/apiKeyRequired":
		if err = opIn(op, "replace"); err == nil {
			m.APIKeyRequired, err = patchBool(op)
		}
	case p == "/operationName":
		err = patchString(op, &m.OperationName)
	case strings.HasPrefix(p, "/requestParameters/"):
		err = patchEntry(op, &m.RequestParameters, "/requestParameters/", func(op PatchOperation) (bool, error) {
			if op.Value == "" {
				return false, nil // declared, not required
			}
			return patchBool(op)
		})
	case p == "/requestValidatorId":
		err = patchString(op, &m.RequestValidatorID)
	case strings.HasPrefix(p, "/requestModels/"):
		err = patchEntry(op, &m.RequestModels, "/requestModels/", setValue)
	default:
		return badPatchPath(op, methodPaths)
	}
	return err
}

// ---- Stages ----

// stagePaths is AWS's list of UpdateStage paths, spacing and all, as AWS
// answers an invalid one (recorded by LocalStack's snapshot tests).
const stagePaths = "[/deploymentId, /description, /cacheClusterEnabled, /cacheClusterSize, /clientCertificateId, " +
	"/accessLogSettings, /accessLogSettings/destinationArn, /accessLogSettings/format, " +
	"/{resourcePath}/{httpMethod}/metrics/enabled, /{resourcePath}/{httpMethod}/logging/dataTrace, " +
	"/{resourcePath}/{httpMethod}/logging/loglevel, /{resourcePath}/{httpMethod}/throttling/burstLimit" +
	"/{resourcePath}/{httpMethod}/throttling/rateLimit/{resourcePath}/{httpMethod}/caching/ttlInSeconds, " +
	"/{resourcePath}/{httpMethod}/caching/enabled, /{resourcePath}/{httpMethod}/caching/dataEncrypted, " +
	"/{resourcePath}/{httpMethod}/caching/requireAuthorizationForCacheControl, " +
	"/{resourcePath}/{httpMethod}/caching/unauthorizedCacheControlHeaderStrategy, /*/*/metrics/enabled, " +
	"/*/*/logging/dataTrace, /*/*/logging/loglevel, /*/*/throttling/burstLimit /*/*/throttling/rateLimit " +
	"/*/*/caching/ttlInSeconds, /*/*/caching/enabled, /*/*/caching/dataEncrypted, " +
	"/*/*/caching/requireAuthorizationForCacheControl, /*/*/caching/unauthorizedCacheControlHeaderStrategy, " +
	"/variables/{variable_name}, /tracingEnabled]"

// defaultMethodSetting is what a method setting holds before a patch sets one
// of its fields: the account's throttling limits and API Gateway's defaults.
var defaultMethodSetting = model.MethodSetting{
	ThrottlingRateLimit:                    10000,
	ThrottlingBurstLimit:                   5000,
	LoggingLevel:                           "OFF",
	CacheTTLInSeconds:                      300,
	RequireAuthorizationForCacheControl:    true,
	UnauthorizedCacheControlHeaderStrategy: "SUCCEED_WITH_RESPONSE_HEADER",
}

// PatchStage is UpdateStage: description, deployment, variables, tracing and
// method settings ("/{resourcePath}/{httpMethod}/{group}/{setting}").
func (s *Service) PatchStage(ctx context.Context, apiID, stageName string, ops []PatchOperation) (*model.Stage, error) {
	return s.UpdateStage(ctx, apiID, stageName, patchAll(ops, patchStage))
}

func patchStage(st *model.Stage, op PatchOperation) error {
	var err error
	switch p := op.Path; {
	case p == "/description":
		err = patchString(op, &st.Description)
	case p == "/deploymentId":
		if err = opIn(op, "replace"); err == nil {
			st.DeploymentID = op.Value // UpdateStage checks that it exists
		}
	case p == "/tracingEnabled":
		if err = opIn(op, "replace"); err == nil {
			st.TracingEnabled, err = patchBool(op)
		}
	case p == "/cacheClusterEnabled":
		if err = opIn(op, "replace"); err == nil {
			st.CacheClusterEnabled, err = patchBool(op)
		}
	case p == "/cacheClusterSize":
		if err = opIn(op, "replace"); err == nil {
			st.CacheClusterSize, err = patchEnum(op, "0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237")
		}
	case strings.HasPrefix(p, "/variables/"):
		// UpdateStage validates names and values.
		err = patchEntry(op, &st.Variables, "/variables/", func(op PatchOperation) (string, error) { return op.Value, nil })
	case p == "/accessLogSettings" || strings.HasPrefix(p, "/accessLogSettings/"):
		err = patchAccessLogSettings(st, op) // accesslog.go
	case p == "/clientCertificateId", p == "/documentationVersion":
		// Valid in AWS; gatehouse has no client certificates or documentation.
		return badRequest(fmt.Sprintf("gatehouse does not support the stage setting %s", model.Clip(p)))
	default:
		return patchMethodSetting(st, op)
	}
	return err
}

// patchMethodSetting applies a method settings path: "/{res}/{verb}" removes
// a setting; "/{res}/{verb}/{group}/{name}" sets one field of it.
func patchMethodSetting(st *model.Stage, op PatchOperation) error {
	parts := strings.Split(strings.TrimPrefix(op.Path, "/"), "/")
	badPath := badRequest(fmt.Sprintf("Invalid method setting path: %s. Must be one of: %s", model.Clip(op.Path), stagePaths))
	if (len(parts) != 2 && len(parts) != 4) || !strings.HasPrefix(op.Path, "/") {
		return badPath
	}
	res, verb := parts[0], parts[1]
	if (res != "*" && !strings.HasPrefix(res, "~1")) || (verb != "*" && !slices.Contains(validMethods, verb)) {
		return badPath
	}
	key := res + "/" + verb
	if len(parts) == 2 {
		if op.Op != "remove" {
			return badPath
		}
		if _, ok := st.MethodSettings[key]; !ok {
			// AWS's text, trailing space included (LocalStack snapshot).
			return badRequest(fmt.Sprintf("Cannot remove method setting %s because there is no method setting for this method ", key))
		}
		delete(st.MethodSettings, key)
		return nil
	}
	if err := opIn(op, "replace"); err != nil {
		return err
	}
	ms, ok := st.MethodSettings[key]
	if !ok {
		ms = defaultMethodSetting
	}
	var err error
	var f float64
	switch parts[2] + "/" + parts[3] {
	case "metrics/enabled":
		ms.MetricsEnabled, err = patchBool(op)
	case "logging/loglevel":
		ms.LoggingLevel, err = patchEnum(op, "OFF", "ERROR", "INFO")
	case "logging/dataTrace":
		ms.DataTraceEnabled, err = patchBool(op)
	case "throttling/burstLimit":
		f, err = patchNumber(op, 0, 1<<31-1)
		ms.ThrottlingBurstLimit = int(f)
	case "throttling/rateLimit":
		ms.ThrottlingRateLimit, err = patchNumber(op, 0, 1e9)
	case "caching/enabled":
		ms.CachingEnabled, err = patchBool(op)
	case "caching/ttlInSeconds":
		f, err = patchNumber(op, 0, 3600)
		ms.CacheTTLInSeconds = int(f)
	case "caching/dataEncrypted":
		ms.CacheDataEncrypted, err = patchBool(op)
	case "caching/requireAuthorizationForCacheControl":
		ms.RequireAuthorizationForCacheControl, err = patchBool(op)
	case "caching/unauthorizedCacheControlHeaderStrategy":
		ms.UnauthorizedCacheControlHeaderStrategy, err = patchEnum(op, "FAIL_WITH_403", "SUCCEED_WITH_RESPONSE_HEADER", "SUCCEED_WITHOUT_RESPONSE_HEADER")
	default:
		return badPath
	}
	if err != nil {
		return err
	}
	if st.MethodSettings == nil {
		st.MethodSettings = map[string]model.MethodSetting{}
	}
	st.MethodSettings[key] = ms
	return nil
}

// ---- Base path mappings ----

const mappingPaths = "/basePath, /restapiId, /stage"

// PatchBasePathMapping is UpdateBasePathMapping: a new base path, API or stage
// for a mapping, checked as CreateBasePathMapping checks a new one.
func (s *Service) PatchBasePathMapping(ctx context.Context, domain, basePath string, ops []PatchOperation) (*model.BasePathMapping, error) {
	for {
		d, domainKey, domainRev, err := s.loadDomain(ctx, domain)
		if err != nil {
			return nil, err
		}
		oldKey := model.Key(model.KindBasePathMapping, model.MappingID(d.Name, normBasePath(basePath)))
		old, oldRev, err := store.LoadOr[model.BasePathMapping](ctx, s.d.Store, oldKey, answer(notFound(msgNoMapping)))
		if err != nil {
			return nil, err
		}
		if err := checkPatch(ops); err != nil {
			return nil, err
		}
		next := *old
		for _, op := range ops {
			if err := opIn(op, "replace"); err != nil {
				return nil, err
			}
			switch op.Path {
			case "/basePath":
				next.BasePath = op.Value
			case "/restapiId":
				next.RestAPIID = op.Value
			case "/stage":
				next.Stage = op.Value
			default:
				return nil, badPatchPath(op, mappingPaths)
			}
		}
		conds, err := s.checkMapping(ctx, d, &next, old)
		if err != nil {
			return nil, err
		}
		conds = append(conds, store.KeyIs(domainKey, domainRev), store.KeyIs(oldKey, oldRev))
		key := model.Key(model.KindBasePathMapping, model.MappingID(d.Name, next.BasePath))
		put, err := store.SaveOp(key, &next)
		if err != nil {
			return nil, err
		}
		writes := []store.Op{put}
		if key != oldKey {
			// A new base path is a new key: written and the old one dropped
			// in one step, so the mapping is never under both or neither.
			conds = append(conds, store.KeyIs(key, 0))
			writes = append(writes, store.Del(oldKey))
		}
		ok, err := s.commit(ctx, conds, writes...)
		if err != nil {
			return nil, fmt.Errorf("save base path mapping: %w", err)
		}
		if ok {
			return &next, nil
		}
	}
}
