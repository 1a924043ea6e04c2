package gateway

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

var validMethods = []string{"ANY", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"}

// msgBadHTTPMethod is AWS's answer to a method outside validMethods, which it
// lists in its own order (LocalStack snapshot, test_put_method_validation).
const msgBadHTTPMethod = "Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY"

// integrationTypes are the model's IntegrationType values, in the order AWS's
// front end lists them (LocalStack snapshot, test_put_integration_wrong_type).
var integrationTypes = []string{"HTTP", "MOCK", "AWS_PROXY", "HTTP_PROXY", "AWS"}

// PutMethodInput is PutMethod's request.
type PutMethodInput struct {
	AuthorizationType string // default NONE
	APIKeyRequired    bool
	RequestParameters map[string]bool
	OperationName     string
	// RequestValidatorID and RequestModels (model name by content type) must
	// name a validator and models of the API.
	RequestValidatorID string
	RequestModels      map[string]string
}

func normMethod(m string) (string, error) {
	m = strings.ToUpper(m)
	if !slices.Contains(validMethods, m) {
		return "", badRequest(msgBadHTTPMethod)
	}
	return m, nil
}

// validMethod bounds what PutMethod and UpdateMethod store beyond the enums.
func validMethod(m *model.Method) error {
	if err := checkLen("operation name", m.OperationName, maxShortLen); err != nil {
		return err
	}
	return checkParams("requestParameters", m.RequestParameters, -1)
}

// loadMethod reads a method's own record with its ModRev, answering as AWS
// does when the API, the resource or the method is missing.
func (s *Service) loadMethod(ctx context.Context, apiID, resourceID, verb string) (*model.Method, int64, error) {
	if _, _, err := s.loadAPI(ctx, apiID); err != nil {
		return nil, 0, err
	}
	if _, _, err := store.LoadOr[model.Resource](ctx, s.d.Store, resourceKey(apiID, resourceID), answer(notFound(msgNoResource))); err != nil {
		return nil, 0, err
	}
	return store.LoadOr[model.Method](ctx, s.d.Store, methodKey(apiID, resourceID, verb), answer(notFound(msgNoMethod)))
}

// updateMethod runs fn on an existing method's own record (not on its
// integration or responses, records of their own), writes it back and
// returns the method whole.
func (s *Service) updateMethod(ctx context.Context, apiID, resourceID, httpMethod string, fn func(*model.Method) error) (*model.Method, error) {
	verb := strings.ToUpper(httpMethod)
	key := methodKey(apiID, resourceID, verb)
	for {
		m, rev, err := s.loadMethod(ctx, apiID, resourceID, verb)
		if err != nil {
			return nil, err
		}
		if err := fn(m); err != nil {
			return nil, err
		}
		m.Integration, m.MethodResponses = nil, nil
		put, err := store.SaveOp(key, m)
		if err != nil {
			return nil, err
		}
		ok, err := s.commit(ctx, []store.Cond{store.KeyIs(key, rev)}, put)
		if err != nil {
			return nil, fmt.Errorf("update %s: %w", key, err)
		}
		if ok {
			return s.GetMethod(ctx, apiID, resourceID, verb)
		}
	}
}

// PutMethod adds a method to a resource.
func (s *Service) PutMethod(ctx context.Context, apiID, resourceID, httpMethod string, in PutMethodInput) (*model.Method, error) {
	verb, err := normMethod(httpMethod)
	if err != nil {
		return nil, err
	}
	auth := cmp.Or(in.AuthorizationType, "NONE")
	switch auth {
	case "NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS":
	default:
		// Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12-05).
		return nil, badRequest("Invalid authorization type specified: " + model.Clip(auth))
	}
	m := &model.Method{
		HTTPMethod:         verb,
		AuthorizationType:  auth,
		APIKeyRequired:     in.APIKeyRequired,
		OperationName:      in.OperationName,
		RequestParameters:  in.RequestParameters,
		RequestValidatorID: in.RequestValidatorID,
		RequestModels:      in.RequestModels,
	}
	if err := validMethod(m); err != nil {
		return nil, err
	}
	if _, _, err := s.loadAPI(ctx, apiID); err != nil {
		return nil, err
	}
	if err := s.checkMethodRefs(ctx, apiID, m); err != nil {
		return nil, err
	}
	resKey, key := resourceKey(apiID, resourceID), methodKey(apiID, resourceID, verb)
	put, err := store.SaveOp(key, m)
	if err != nil {
		return nil, err
	}
	for {
		_, resRev, err := store.LoadOr[model.Resource](ctx, s.d.Store, resKey, answer(notFound(msgNoResource)))
		if err != nil {
			return nil, err
		}
		if _, err := s.d.Store.Get(ctx, key); err == nil {
			return nil, conflict(msgMethodExists)
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("load %s: %w", key, err)
		}
		// The resource as read (DeleteResource cannot remove it in between)
		// and no method of that verb yet.
		ok, err := s.commit(ctx, []store.Cond{store.KeyIs(resKey, resRev), store.KeyIs(key, 0)}, put)
		if err != nil {
			return nil, fmt.Errorf("save method %s: %w", key, err)
		}
		if ok {
			return m, nil
		}
	}
}

// GetMethod returns one method with its integration and responses.
func (s *Service) GetMethod(ctx context.Context, apiID, resourceID, httpMethod string) (*model.Method, error) {
	r, err := s.GetResource(ctx, apiID, resourceID)
	if err != nil {
		return nil, err
	}
	m := r.Methods[strings.ToUpper(httpMethod)]
	if m == nil {
		return nil, notFound(msgNoMethod)
	}
	return m, nil
}

// DeleteMethod removes a method with its integration and responses.
func (s *Service) DeleteMethod(ctx context.Context, apiID, resourceID, httpMethod string) error {
	verb := strings.ToUpper(httpMethod)
	key := methodKey(apiID, resourceID, verb)
	for {
		_, rev, err := s.loadMethod(ctx, apiID, resourceID, verb)
		if err != nil {
			return err
		}
		ok, err := s.commit(ctx, []store.Cond{store.KeyIs(key, rev)},
			store.Del(key),
			store.Del(integKey(apiID, resourceID, verb)),
			store.DelPrefix(under(model.KindMethodResponse, apiID, resourceID, verb)),
			store.DelPrefix(under(model.KindIntegrationResponse, apiID, resourceID, verb)))
		if err != nil {
			return fmt.Errorf("delete method %s: %w", methodID(apiID, resourceID, verb), err)
		}
		if ok {
			return nil
		}
	}
}

// PutIntegration sets (replaces) the method's integration, with AWS's defaults.
func (s *Service) PutIntegration(ctx context.Context, apiID, resourceID, httpMethod string, in model.Integration) (*model.Integration, error) {
	if !slices.Contains(integrationTypes, strings.ToUpper(in.Type)) {
		// The front end's enum check, before any other (AWS's text, LocalStack
		// snapshot, test_put_integration_wrong_type). The type is matched
		// without regard to case, as gatehouse always has.
		return nil, model.Enum("ValidationException", "putIntegrationInput.type", in.Type, integrationTypes)
	}
	integ := in
	if err := checkIntegration(&integ, resourceID); err != nil {
		return nil, err
	}
	verb := strings.ToUpper(httpMethod)
	own := integ
	own.IntegrationResponses = nil
	put, err := store.SaveOp(integKey(apiID, resourceID, verb), &own)
	if err != nil {
		return nil, err
	}
	irPrefix := under(model.KindIntegrationResponse, apiID, resourceID, verb)
	for {
		_, rev, err := s.loadMethod(ctx, apiID, resourceID, verb)
		if err != nil {
			return nil, err
		}
		// The new integration replaces the old one with its responses:
		// those the request names are written, the others deleted.
		ops := []store.Op{put}
		if len(integ.IntegrationResponses) == 0 {
			ops = append(ops, store.DelPrefix(irPrefix))
		} else {
			kvs, _, err := s.d.Store.List(ctx, irPrefix)
			if err != nil {
				return nil, fmt.Errorf("list %s: %w", irPrefix, err)
			}
			for _, kv := range kvs {
				if integ.IntegrationResponses[strings.TrimPrefix(kv.Key, irPrefix)] == nil {
					ops = append(ops, store.Del(kv.Key))
				}
			}
			for _, code := range slices.Sorted(maps.Keys(integ.IntegrationResponses)) {
				ir := *integ.IntegrationResponses[code]
				ir.StatusCode = code
				op, err := store.SaveOp(integResponseKey(apiID, resourceID, verb, code), &ir)
				if err != nil {
					return nil, err
				}
				ops = append(ops, op)
			}
			if len(ops) > store.MaxTxnOps {
				// More responses than one step can replace; AWS's
				// front end never sends that many. gatehouse's own bound:
				// not an AWS answer (searched: docs, issues, moto,
				// LocalStack; 2026-12-05).
				return nil, tooMany("integrationResponses", store.MaxTxnOps-1-len(kvs))
			}
		}
		// The method as read: DeleteMethod or DeleteResource cannot remove
		// it in between.
		ok, err := s.commit(ctx, []store.Cond{store.KeyIs(methodKey(apiID, resourceID, verb), rev)}, ops...)
		if err != nil {
			return nil, fmt.Errorf("save integration %s: %w", methodID(apiID, resourceID, verb), err)
		}
		if ok {
			return &integ, nil
		}
	}
}

// checkIntegration validates an integration as PutIntegration and
// UpdateIntegration store it, filling in AWS's defaults.
func checkIntegration(integ *model.Integration, resourceID string) error {
	if err := checkLen("integration uri", integ.URI, maxURLLen); err != nil {
		return err
	}
	integ.Type = strings.ToUpper(integ.Type)
	switch integ.Type {
	case model.IntegrationMock:
	case model.IntegrationHTTP, model.IntegrationHTTPProxy:
		if integ.HTTPMethod == "" {
			return badRequest(msgNoHTTPMethod)
		}
		u, err := url.Parse(integ.URI)
		if integ.URI == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return badRequest(msgBadHTTPEndpoint)
		}
	case "AWS", "AWS_PROXY":
		// Not served by gatehouse: no AWS services behind it. gatehouse's own
		// refusal, not an AWS answer.
		return badRequest("Integration type " + integ.Type + " is not supported")
	default:
		// UpdateIntegration's answer (PutIntegration answers the front end's
		// enum check first). Not recorded from AWS (searched: docs, issues,
		// moto, LocalStack; 2026-12-05).
		return badRequest("Invalid integration type specified: " + model.Clip(integ.Type))
	}
	if integ.HTTPMethod != "" {
		m, err := normMethod(integ.HTTPMethod)
		if err != nil {
			return err
		}
		integ.HTTPMethod = m
	}
	integ.PassthroughBehavior = cmp.Or(integ.PassthroughBehavior, "WHEN_NO_MATCH")
	switch integ.PassthroughBehavior {
	case "WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER":
	default:
		// Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12-05).
		return badRequest("Invalid passthrough behavior specified: " + model.Clip(integ.PassthroughBehavior))
	}
	if err := checkContentHandling(integ.ContentHandling); err != nil {
		return err
	}
	if err := checkParams("requestParameters", integ.RequestParameters, maxParamValueLen); err != nil {
		return err
	}
	if err := checkTemplates("requestTemplates", integ.RequestTemplates); err != nil {
		return err
	}
	if err := checkLen("cache namespace", integ.CacheNamespace, maxShortLen); err != nil {
		return err
	}
	if len(integ.IntegrationResponses) > maxMapEntries {
		return tooMany("integrationResponses", maxMapEntries)
	}
	if integ.TimeoutInMillis == 0 {
		integ.TimeoutInMillis = defaultTimeoutMilli
	}
	// AWS names the cache namespace after the resource unless told otherwise.
	integ.CacheNamespace = cmp.Or(integ.CacheNamespace, resourceID)
	if integ.TimeoutInMillis < 50 || integ.TimeoutInMillis > defaultTimeoutMilli {
		return badRequest(msgTimeout)
	}
	for code, ir := range integ.IntegrationResponses {
		if err := validIntegrationResponse(code, ir); err != nil {
			return err
		}
	}
	return nil
}

// GetIntegration returns the method's integration.
func (s *Service) GetIntegration(ctx context.Context, apiID, resourceID, httpMethod string) (*model.Integration, error) {
	m, err := s.GetMethod(ctx, apiID, resourceID, httpMethod)
	if err != nil {
		return nil, err
	}
	if m.Integration == nil {
		return nil, notFound(msgNoIntegrationFound)
	}
	return m.Integration, nil
}

// loadIntegration reads an integration's own record with its ModRev;
// missing is the answer when the method has none.
func (s *Service) loadIntegration(ctx context.Context, apiID, resourceID, verb string, missing error) (*model.Integration, int64, error) {
	if _, _, err := s.loadMethod(ctx, apiID, resourceID, verb); err != nil {
		return nil, 0, err
	}
	return store.LoadOr[model.Integration](ctx, s.d.Store, integKey(apiID, resourceID, verb), answer(missing))
}

// DeleteIntegration removes the method's integration with its responses.
func (s *Service) DeleteIntegration(ctx context.Context, apiID, resourceID, httpMethod string) error {
	verb := strings.ToUpper(httpMethod)
	key := integKey(apiID, resourceID, verb)
	for {
		_, rev, err := s.loadIntegration(ctx, apiID, resourceID, verb, notFound(msgNoIntegrationFound))
		if err != nil {
			return err
		}
		ok, err := s.commit(ctx, []store.Cond{store.KeyIs(key, rev)},
			store.Del(key), store.DelPrefix(under(model.KindIntegrationResponse, apiID, resourceID, verb)))
		if err != nil {
			return fmt.Errorf("delete integration %s: %w", methodID(apiID, resourceID, verb), err)
		}
		if ok {
			return nil
		}
	}
}

// validStatusCode is the front end's check of a status code against the
// model's pattern, before any other check (AWS's text, LocalStack snapshots
// test_integration_response_invalid_statuscode and
// test_update_method_response_negative_tests).
func validStatusCode(code string) error {
	if _, ok := parseStatus(code); !ok {
		return model.Violation("ValidationException", "statusCode", code, `Member must satisfy regular expression pattern: [1-5]\d\d`)
	}
	return nil
}

func validIntegrationResponse(code string, ir *model.IntegrationResponse) error {
	if err := validStatusCode(code); err != nil {
		return err
	}
	if ir == nil {
		// AWS's text for a PutIntegrationResponse it cannot read
		// (aws-sdk-ruby#1080; moto's InvalidRequestInput).
		return badRequest("Invalid request input")
	}
	if err := checkLen("selection pattern", ir.SelectionPattern, maxShortLen); err != nil {
		return err
	}
	if ir.SelectionPattern != "" {
		if _, err := regexp.Compile(ir.SelectionPattern); err != nil {
			// Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12-05).
			return badRequest("Invalid selection pattern specified: " + model.Clip(ir.SelectionPattern))
		}
	}
	if err := checkParams("responseParameters", ir.ResponseParameters, maxParamValueLen); err != nil {
		return err
	}
	if err := checkContentHandling(ir.ContentHandling); err != nil {
		return err
	}
	return checkTemplates("responseTemplates", ir.ResponseTemplates)
}

// checkContentHandling accepts the two conversions AWS names; empty is
// passthrough (the payload goes on as it came).
func checkContentHandling(v string) error {
	switch v {
	case "", convertToBinary, convertToText:
		return nil
	}
	// Not recorded from AWS (searched: docs, issues, moto, LocalStack;
	// 2026-12-05). The model declares contentHandling an enum, so AWS's front
	// end may answer a ValidationException first; its order of the values is
	// not recorded either.
	return badRequest("Invalid content handling specified: " + model.Clip(v))
}

// PutMethodResponse declares a status code the method may answer with.
func (s *Service) PutMethodResponse(ctx context.Context, apiID, resourceID, httpMethod, statusCode string, in model.MethodResponse) (*model.MethodResponse, error) {
	if err := validStatusCode(statusCode); err != nil {
		return nil, err
	}
	if err := checkParams("responseParameters", in.ResponseParameters, -1); err != nil {
		return nil, err
	}
	if err := checkParams("responseModels", in.ResponseModels, maxShortLen); err != nil {
		return nil, err
	}
	mr := in
	mr.StatusCode = statusCode
	verb := strings.ToUpper(httpMethod)
	put, err := store.SaveOp(methodResponseKey(apiID, resourceID, verb, statusCode), &mr)
	if err != nil {
		return nil, err
	}
	for {
		_, rev, err := s.loadMethod(ctx, apiID, resourceID, verb)
		if err != nil {
			return nil, err
		}
		// The method as read: not deleted in between.
		ok, err := s.commit(ctx, []store.Cond{store.KeyIs(methodKey(apiID, resourceID, verb), rev)}, put)
		if err != nil {
			return nil, fmt.Errorf("save method response %s: %w", statusCode, err)
		}
		if ok {
			return &mr, nil
		}
	}
}

// GetMethodResponse returns one method response.
func (s *Service) GetMethodResponse(ctx context.Context, apiID, resourceID, httpMethod, statusCode string) (*model.MethodResponse, error) {
	verb := strings.ToUpper(httpMethod)
	if _, _, err := s.loadMethod(ctx, apiID, resourceID, verb); err != nil {
		return nil, err
	}
	mr, _, err := store.LoadOr[model.MethodResponse](ctx, s.d.Store, methodResponseKey(apiID, resourceID, verb, statusCode), answer(notFound(msgNoIntegrationRsp)))
	return mr, err
}

// DeleteMethodResponse removes a method response.
func (s *Service) DeleteMethodResponse(ctx context.Context, apiID, resourceID, httpMethod, statusCode string) error {
	verb := strings.ToUpper(httpMethod)
	if _, _, err := s.loadMethod(ctx, apiID, resourceID, verb); err != nil {
		return err
	}
	return s.deleteOr(ctx, methodResponseKey(apiID, resourceID, verb, statusCode), answer(notFound(msgNoIntegrationRsp)))
}

// PutIntegrationResponse maps the integration's status to a method response.
func (s *Service) PutIntegrationResponse(ctx context.Context, apiID, resourceID, httpMethod, statusCode string, in model.IntegrationResponse) (*model.IntegrationResponse, error) {
	ir := in
	ir.StatusCode = statusCode
	if err := validIntegrationResponse(statusCode, &ir); err != nil {
		return nil, err
	}
	verb := strings.ToUpper(httpMethod)
	put, err := store.SaveOp(integResponseKey(apiID, resourceID, verb, statusCode), &ir)
	if err != nil {
		return nil, err
	}
	for {
		_, integRev, err := s.loadIntegration(ctx, apiID, resourceID, verb, badRequest(msgNoIntegration))
		if err != nil {
			return nil, err
		}
		mrKey := methodResponseKey(apiID, resourceID, verb, statusCode)
		_, mrRev, err := store.LoadOr[model.MethodResponse](ctx, s.d.Store, mrKey, answer(notFound(msgNoIntegrationRsp)))
		if err != nil {
			return nil, err
		}
		// The integration and the method response as read: neither
		// deleted in between.
		ok, err := s.commit(ctx, []store.Cond{store.KeyIs(integKey(apiID, resourceID, verb), integRev), store.KeyIs(mrKey, mrRev)}, put)
		if err != nil {
			return nil, fmt.Errorf("save integration response %s: %w", statusCode, err)
		}
		if ok {
			return &ir, nil
		}
	}
}

// GetIntegrationResponse returns one integration response.
func (s *Service) GetIntegrationResponse(ctx context.Context, apiID, resourceID, httpMethod, statusCode string) (*model.IntegrationResponse, error) {
	if err := validStatusCode(statusCode); err != nil {
		return nil, err
	}
	verb := strings.ToUpper(httpMethod)
	if _, _, err := s.loadIntegration(ctx, apiID, resourceID, verb, notFound(msgNoIntegrationFound)); err != nil {
		return nil, err
	}
	ir, _, err := store.LoadOr[model.IntegrationResponse](ctx, s.d.Store, integResponseKey(apiID, resourceID, verb, statusCode), answer(notFound(msgNoIntegrationRsp)))
	return ir, err
}

// DeleteIntegrationResponse removes an integration response.
func (s *Service) DeleteIntegrationResponse(ctx context.Context, apiID, resourceID, httpMethod, statusCode string) error {
	verb := strings.ToUpper(httpMethod)
	if _, _, err := s.loadIntegration(ctx, apiID, resourceID, verb, notFound(msgNoIntegrationFound)); err != nil {
		return err
	}
	return s.deleteOr(ctx, integResponseKey(apiID, resourceID, verb, statusCode), answer(notFound(msgNoIntegrationRsp)))
}

// ---- Updates of integrations and responses ----

// The patch paths of UpdateIntegration, UpdateIntegrationResponse and
// UpdateMethodResponse that gatehouse stores, as refusals list them.
const (
	integrationPaths = "/uri, /httpMethod, /type, /requestTemplates/{contentType}, /requestParameters/{name}, " +
		"/passthroughBehavior, /timeoutInMillis, /cacheNamespace, /contentHandling"
	integResponsePaths  = "/selectionPattern, /responseTemplates/{contentType}, /responseParameters/{name}, /contentHandling"
	methodResponsePaths = "/responseParameters/{name}, /responseModels/{contentType}"
)

// setValue is the value of a map entry a patch adds or replaces: the text as given.
func setValue(op PatchOperation) (string, error) { return op.Value, nil }

// PatchIntegration is UpdateIntegration: ops apply to the integration's own
// record in order, the result is checked as PutIntegration checks one, and
// it is written conditioned on the record as read.
func (s *Service) PatchIntegration(ctx context.Context, apiID, resourceID, httpMethod string, ops []PatchOperation) (*model.Integration, error) {
	if err := checkPatch(ops); err != nil {
		return nil, err
	}
	verb := strings.ToUpper(httpMethod)
	key := integKey(apiID, resourceID, verb)
	for {
		integ, rev, err := s.loadIntegration(ctx, apiID, resourceID, verb, notFound(msgNoIntegrationFound))
		if err != nil {
			return nil, err
		}
		for _, op := range ops {
			if err := patchIntegration(integ, op); err != nil {
				return nil, err
			}
		}
		if err := checkIntegration(integ, resourceID); err != nil {
			return nil, err
		}
		integ.IntegrationResponses = nil
		put, err := store.SaveOp(key, integ)
		if err != nil {
			return nil, err
		}
		ok, err := s.commit(ctx, []store.Cond{store.KeyIs(key, rev)}, put)
		if err != nil {
			return nil, fmt.Errorf("update integration %s: %w", methodID(apiID, resourceID, verb), err)
		}
		if ok {
			return s.GetIntegration(ctx, apiID, resourceID, verb)
		}
	}
}

func patchIntegration(integ *model.Integration, op PatchOperation) error {
	var err error
	switch p := op.Path; {
	case p == "/uri":
		if err = opIn(op, "replace"); err == nil {
			integ.URI = op.Value // checkIntegration checks it for the type
		}
	case p == "/httpMethod":
		if err = opIn(op, "replace"); err == nil {
			integ.HTTPMethod = op.Value
		}
	case p == "/type":
		if err = opIn(op, "replace"); err == nil {
			integ.Type = op.Value
		}
	case p == "/passthroughBehavior":
		if err = opIn(op, "replace"); err == nil {
			integ.PassthroughBehavior, err = patchEnum(op, "WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER")
		}
	case p == "/timeoutInMillis":
		if err = opIn(op, "replace"); err == nil {
			var f float64
			f, err = patchNumber(op, 50, defaultTimeoutMilli)
			if err != nil {
				err = badRequest(msgTimeout)
			}
			integ.TimeoutInMillis = int(f)
		}
	case p == "/cacheNamespace":
		err = patchString(op, &integ.CacheNamespace)
	case p == "/contentHandling":
		err = patchString(op, &integ.ContentHandling) // checkIntegration checks the value
	case strings.HasPrefix(p, "/requestTemplates/"):
		err = patchEntry(op, &integ.RequestTemplates, "/requestTemplates/", setValue)
	case strings.HasPrefix(p, "/requestParameters/"):
		err = patchEntry(op, &integ.RequestParameters, "/requestParameters/", setValue)
	default:
		return badPatchPath(op, integrationPaths)
	}
	return err
}

// PatchIntegrationResponse is UpdateIntegrationResponse.
func (s *Service) PatchIntegrationResponse(ctx context.Context, apiID, resourceID, httpMethod, statusCode string, ops []PatchOperation) (*model.IntegrationResponse, error) {
	if err := checkPatch(ops); err != nil {
		return nil, err
	}
	verb := strings.ToUpper(httpMethod)
	key := integResponseKey(apiID, resourceID, verb, statusCode)
	for {
		if _, _, err := s.loadIntegration(ctx, apiID, resourceID, verb, notFound(msgNoIntegrationFound)); err != nil {
			return nil, err
		}
		ir, rev, err := store.LoadOr[model.IntegrationResponse](ctx, s.d.Store, key, answer(notFound(msgNoIntegrationRsp)))
		if err != nil {
			return nil, err
		}
		for _, op := range ops {
			var err error
			switch p := op.Path; {
			case p == "/selectionPattern":
				err = patchString(op, &ir.SelectionPattern)
			case p == "/contentHandling":
				err = patchString(op, &ir.ContentHandling) // validIntegrationResponse checks the value
			case strings.HasPrefix(p, "/responseTemplates/"):
				err = patchEntry(op, &ir.ResponseTemplates, "/responseTemplates/", setValue)
			case strings.HasPrefix(p, "/responseParameters/"):
				err = patchEntry(op, &ir.ResponseParameters, "/responseParameters/", setValue)
			default:
				err = badPatchPath(op, integResponsePaths)
			}
			if err != nil {
				return nil, err
			}
		}
		if err := validIntegrationResponse(statusCode, ir); err != nil {
			return nil, err
		}
		put, err := store.SaveOp(key, ir)
		if err != nil {
			return nil, err
		}
		ok, err := s.commit(ctx, []store.Cond{store.KeyIs(key, rev)}, put)
		if err != nil {
			return nil, fmt.Errorf("update integration response %s: %w", statusCode, err)
		}
		if ok {
			return ir, nil
		}
	}
}

// PatchMethodResponse is UpdateMethodResponse.
func (s *Service) PatchMethodResponse(ctx context.Context, apiID, resourceID, httpMethod, statusCode string, ops []PatchOperation) (*model.MethodResponse, error) {
	if err := validStatusCode(statusCode); err != nil {
		return nil, err
	}
	if err := checkPatch(ops); err != nil {
		return nil, err
	}
	verb := strings.ToUpper(httpMethod)
	key := methodResponseKey(apiID, resourceID, verb, statusCode)
	for {
		if _, _, err := s.loadMethod(ctx, apiID, resourceID, verb); err != nil {
			return nil, err
		}
		mr, rev, err := store.LoadOr[model.MethodResponse](ctx, s.d.Store, key, answer(notFound(msgNoIntegrationRsp)))
		if err != nil {
			return nil, err
		}
		for _, op := range ops {
			var err error
			switch p := op.Path; {
			case strings.HasPrefix(p, "/responseParameters/"):
				err = patchEntry(op, &mr.ResponseParameters, "/responseParameters/", func(op PatchOperation) (bool, error) {
					if op.Value == "" {
						return false, nil // declared, not required
					}
					return patchBool(op)
				})
			case strings.HasPrefix(p, "/responseModels/"):
				err = patchEntry(op, &mr.ResponseModels, "/responseModels/", setValue)
			default:
				err = badPatchPath(op, methodResponsePaths)
			}
			if err != nil {
				return nil, err
			}
		}
		if err := checkParams("responseParameters", mr.ResponseParameters, -1); err != nil {
			return nil, err
		}
		if err := checkParams("responseModels", mr.ResponseModels, maxShortLen); err != nil {
			return nil, err
		}
		put, err := store.SaveOp(key, mr)
		if err != nil {
			return nil, err
		}
		ok, err := s.commit(ctx, []store.Cond{store.KeyIs(key, rev)}, put)
		if err != nil {
			return nil, fmt.Errorf("update method response %s: %w", statusCode, err)
		}
		if ok {
			return mr, nil
		}
	}
}
