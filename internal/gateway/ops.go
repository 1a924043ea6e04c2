package gateway

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"gatehouse/internal/gateway/policy"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// API Gateway's error codes (restJson1; the HTTP status is the code's).
const (
	codeNotFound   = "NotFoundException"
	codeBadRequest = "BadRequestException"
	codeConflict   = "ConflictException"
	codeLimit      = "LimitExceededException"
)

// Message texts. Confirmed against AWS-recorded sources (AWS SDK test
// features, LocalStack snapshots, moto, users' reports of real errors) unless
// marked UNVERIFIED, which are best matches.
const (
	// msgMappingNoAPI is CreateBasePathMapping's answer (400) for an unknown
	// API; the API operations name the id (noAPI).
	msgMappingNoAPI       = "Invalid REST API identifier specified"
	msgNoResource         = "Invalid Resource identifier specified"
	msgNoMethod           = "Invalid Method identifier specified"
	msgNoStage            = "Invalid Stage identifier specified"
	msgNoStageMapping     = "Invalid stage identifier specified"
	msgNoDeployment       = "Invalid Deployment identifier specified"
	msgNoDomain           = "Invalid domain name identifier specified"
	msgNoMapping          = "Invalid base path mapping identifier specified"
	msgNoIntegration      = "No integration defined for method"
	msgNoIntegrationFound = "Invalid Integration identifier specified"
	msgNoIntegrationRsp   = "Invalid Response status code specified"
	msgNoPolicy           = "Private REST API doesn't have a resource policy attached to it"
	msgNoMethods          = "The REST API doesn't contain any methods"
	msgMethodExists       = "Method already exists for this resource"
	msgStageExists        = "Stage already exists"
	msgDomainExists       = "The domain name you provided already exists."
	msgBasePathExists     = "Base path already exists for this domain name"
	msgOnlyOneEmpty       = "Only one base path mapping is allowed if the base path is empty."
	msgActiveStages       = "Active stages pointing to this deployment must be moved or deleted"
	msgBadPathPart        = "Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end and an optional plus sign before the closing brace."
	msgBadPolicy          = "Invalid policy document. Please check the policy syntax and ensure that Principals are valid."
	msgBadHTTPEndpoint    = "Invalid HTTP endpoint specified for URI"
	msgNoHTTPMethod       = "Enumeration value for HttpMethod must be non-empty"
	msgTimeout            = "Timeout should be between 50 ms and 29000 ms"
	msgMultiLevelV1       = "API Gateway V1 doesn't support the slash character (/) in base path mappings. To create a multi-level base path mapping, use API Gateway V2."
)

// Quotas ("Quotas for configuring and running a REST API in API Gateway",
// API Gateway Developer Guide; aws-behaviors §A8, §A9). API Gateway answers a
// full quota with 429 LimitExceededException, which the SDKs retry as
// throttling before they give up, as they do with AWS.
//
// The per-API quotas are checked inside the API's compare-and-swap update
// (resources) or just before the write (stages), the account quotas just
// before the write: two concurrent creates can overshoot a quota by one, which
// is accepted.
const (
	maxStagesPerAPI    = 10
	maxResourcesPerAPI = 300
	maxDomains         = 120 // public custom domain names per account and Region
)

// maxRestAPIs is the REST API quota per account and Region for each endpoint
// type: "Regional APIs per Region" 600, "Private APIs per account per Region"
// 600, "Edge-optimized APIs per Region" 120. A variable so tests can fill it
// quickly. UpdateRestAPI may change an API's type without a check, as the
// total stays bounded by the sum.
var maxRestAPIs = map[string]int{"REGIONAL": 600, "PRIVATE": 600, "EDGE": 120}

// Texts at the quotas. The resource quota's is recorded (Terraform debug log
// of a real PutRestApi, boto3 issue 1296; the double space is AWS's); the
// others are UNVERIFIED, written after it.
const (
	msgTooManyResources = "Maximum number of Resources for this API has been reached.  Please contact AWS if you need additional Resources."
	msgTooManyStages    = "Maximum number of Stages for this API has been reached.  Please contact AWS if you need additional Stages."
	msgTooManyRestAPIs  = "Maximum number of RestApis for this account has been reached.  Please contact AWS if you need additional RestApis."
	msgTooManyDomains   = "Maximum number of DomainNames for this account has been reached.  Please contact AWS if you need additional DomainNames."
)

func notFound(msg string) error { return model.NotFound(codeNotFound, "%s", msg) }

// noAPI is AWS's answer for an unknown REST API id (as AWS answers it today;
// older answers read "Invalid REST API identifier specified").
func (s *Service) noAPI(id string) error {
	return model.NotFound(codeNotFound, "Invalid API identifier specified %s:%s", s.env.Account, id)
}
func badRequest(msg string) error { return model.BadRequest(codeBadRequest, "%s", msg) }
func conflict(msg string) error   { return model.Conflict(codeConflict, "%s", msg) }
func limit(msg string) error      { return model.Errorf(429, codeLimit, "%s", msg) }

var validMethods = []string{"ANY", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"}

// ---- REST APIs ----

// CreateRestAPIInput is CreateRestApi's request.
type CreateRestAPIInput struct {
	Name                  string
	Description           string
	EndpointConfiguration *model.EndpointConfiguration // nil: EDGE
	Policy                string
	Tags                  map[string]string
	Version               string
	APIKeySource          string // HEADER (default) or AUTHORIZER
	// DisableExecuteAPIEndpoint turns off the default execute-api host names;
	// stored and reported only.
	DisableExecuteAPIEndpoint bool
}

// CreateRestAPI creates an API with its root resource "/".
func (s *Service) CreateRestAPI(ctx context.Context, in CreateRestAPIInput) (*model.RestAPI, error) {
	if in.Name == "" {
		// UNVERIFIED text; the CLI refuses a missing name before sending.
		return nil, badRequest("Invalid request input: name is required")
	}
	ec := model.EndpointConfiguration{Types: []string{"EDGE"}}
	if in.EndpointConfiguration != nil && len(in.EndpointConfiguration.Types) > 0 {
		ec = *in.EndpointConfiguration
	} else if in.EndpointConfiguration != nil {
		ec.VpcEndpointIDs = in.EndpointConfiguration.VpcEndpointIDs
	}
	rootID := model.RandomID(10)
	api := &model.RestAPI{
		ID:                        model.RandomID(10),
		Name:                      in.Name,
		Description:               in.Description,
		Version:                   in.Version,
		CreatedDate:               time.Now().UTC().Truncate(time.Second),
		EndpointConfiguration:     ec,
		Policy:                    in.Policy,
		APIKeySource:              cmp.Or(in.APIKeySource, "HEADER"),
		DisableExecuteAPIEndpoint: in.DisableExecuteAPIEndpoint,
		RootResourceID:            rootID,
		Resources:                 map[string]*model.Resource{rootID: {ID: rootID, Path: "/"}},
		Tags:                      in.Tags,
	}
	if err := validateAPI(api); err != nil {
		return nil, err
	}
	all, err := s.ListRestAPIs(ctx)
	if err != nil {
		return nil, err
	}
	typ, n := ec.Types[0], 0
	for _, a := range all {
		if slices.Contains(a.EndpointConfiguration.Types, typ) {
			n++
		}
	}
	if n >= maxRestAPIs[typ] {
		return nil, limit(msgTooManyRestAPIs)
	}
	if _, err := store.Save(ctx, s.d.Store, model.Key(model.KindRestAPI, api.ID), api, 0); err != nil {
		return nil, fmt.Errorf("save rest api %s: %w", api.ID, err)
	}
	return api, nil
}

// validateAPI checks what UpdateRestAPI and CreateRestAPI both must: endpoint
// configuration and policy.
func validateAPI(api *model.RestAPI) error {
	if err := checkLen("name", api.Name, maxNameLen); err != nil {
		return err
	}
	if err := checkLen("description", api.Description, maxDescriptionLen); err != nil {
		return err
	}
	if err := checkLen("version", api.Version, maxShortLen); err != nil {
		return err
	}
	if err := checkLen("policy", api.Policy, maxPolicyLen); err != nil {
		return err
	}
	if err := checkTags(api.Tags); err != nil {
		return err
	}
	ec := &api.EndpointConfiguration
	if len(ec.VpcEndpointIDs) > maxVpcEndpoints {
		return tooMany("vpcEndpointIds", maxVpcEndpoints)
	}
	if len(ec.Types) != 1 {
		// UNVERIFIED text.
		return badRequest("Cannot create an api with multiple Endpoint Types")
	}
	switch ec.Types[0] {
	case "EDGE", "REGIONAL", "PRIVATE":
	default:
		// UNVERIFIED text.
		return badRequest(fmt.Sprintf("Invalid endpoint type: %s", model.Clip(ec.Types[0])))
	}
	if len(ec.VpcEndpointIDs) > 0 && ec.Types[0] != "PRIVATE" {
		// UNVERIFIED text.
		return badRequest("VPC endpoint IDs can only be specified for a PRIVATE API")
	}
	for _, v := range ec.VpcEndpointIDs {
		if !strings.HasPrefix(v, "vpce-") || len(v) > maxVpcEndpointIDLen {
			// UNVERIFIED text.
			return badRequest(fmt.Sprintf("Invalid VPC endpoint identifier specified: %s", model.Clip(v)))
		}
	}
	if api.Policy != "" {
		if _, err := policy.Parse(api.Policy); err != nil {
			return badRequest(msgBadPolicy)
		}
	}
	if api.APIKeySource != "HEADER" && api.APIKeySource != "AUTHORIZER" {
		// UNVERIFIED text.
		return badRequest("Invalid API key source specified: " + model.Clip(api.APIKeySource))
	}
	return nil
}

// GetRestAPI returns one API.
func (s *Service) GetRestAPI(ctx context.Context, id string) (*model.RestAPI, error) {
	api, _, err := store.Load[model.RestAPI](ctx, s.d.Store, model.Key(model.KindRestAPI, id))
	if errors.Is(err, store.ErrNotFound) {
		return nil, s.noAPI(id)
	}
	return api, err
}

// ListRestAPIs returns every API, by id.
func (s *Service) ListRestAPIs(ctx context.Context) ([]*model.RestAPI, error) {
	return store.LoadAll[model.RestAPI](ctx, s.d.Store, model.Prefix(model.KindRestAPI))
}

// DeleteRestAPI deletes an API with its deployments and stages. AWS refuses
// while a custom domain maps to it.
func (s *Service) DeleteRestAPI(ctx context.Context, id string) error {
	if _, err := s.GetRestAPI(ctx, id); err != nil {
		return err
	}
	maps, err := store.LoadAll[model.BasePathMapping](ctx, s.d.Store, model.Prefix(model.KindBasePathMapping))
	if err != nil {
		return err
	}
	for _, m := range maps {
		if m.RestAPIID == id {
			return badRequest(fmt.Sprintf("Deleting RestApi %s failed. Please remove all base path mappings related to the RestApi in your domains.", id))
		}
	}
	for _, k := range []model.Kind{model.KindStage, model.KindDeployment} {
		if err := s.deleteAll(ctx, model.Key(k, id+"/")); err != nil {
			return err
		}
	}
	if _, err := s.d.Store.Delete(ctx, model.Key(model.KindRestAPI, id), store.Any); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return s.noAPI(id)
		}
		return err
	}
	return nil
}

// deleteAll deletes every key under prefix (what a deleted API or domain owns);
// a key someone else deleted meanwhile is no error.
func (s *Service) deleteAll(ctx context.Context, prefix string) error {
	kvs, _, err := s.d.Store.List(ctx, prefix)
	if err != nil {
		return err
	}
	for _, kv := range kvs {
		if _, err := s.d.Store.Delete(ctx, kv.Key, store.Any); err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("delete %s: %w", kv.Key, err)
		}
	}
	return nil
}

// UpdateRestAPI applies mutate to the stored API and validates the result (the
// stack file and PATCH operations use it). The id and resource tree's root stay.
func (s *Service) UpdateRestAPI(ctx context.Context, id string, mutate func(*model.RestAPI) error) (*model.RestAPI, error) {
	return s.updateAPI(ctx, id, func(api *model.RestAPI) error {
		rootID := api.RootResourceID
		if err := mutate(api); err != nil {
			return err
		}
		api.ID, api.RootResourceID = id, rootID
		if api.Resources[rootID] == nil {
			return badRequest("Cannot delete root resource") // UNVERIFIED text
		}
		return validateAPI(api)
	})
}

func (s *Service) updateAPI(ctx context.Context, id string, fn func(*model.RestAPI) error) (*model.RestAPI, error) {
	api, err := store.Update(ctx, s.d.Store, model.Key(model.KindRestAPI, id), fn)
	if errors.Is(err, store.ErrNotFound) {
		return nil, s.noAPI(id)
	}
	return api, err
}

// ---- Resources ----

var (
	literalPart = regexp.MustCompile(`^[a-zA-Z0-9._:,\-]+$`)
	paramPart   = regexp.MustCompile(`^\{[a-zA-Z0-9._\-]+\+?\}$`)
)

// CreateResource adds a child resource under parentID.
func (s *Service) CreateResource(ctx context.Context, apiID, parentID, pathPart string) (*model.Resource, error) {
	if err := checkLen("path part", pathPart, maxShortLen); err != nil {
		return nil, err
	}
	if !literalPart.MatchString(pathPart) && !paramPart.MatchString(pathPart) {
		return nil, badRequest(msgBadPathPart)
	}
	var created *model.Resource
	_, err := s.updateAPI(ctx, apiID, func(api *model.RestAPI) error {
		parent := api.Resources[parentID]
		if parent == nil {
			return notFound(msgNoResource)
		}
		if isGreedy(parent.PathPart) {
			return badRequest("Cannot create a child of a resource with a greedy path variable: " + parent.PathPart)
		}
		if len(api.Resources) >= maxResourcesPerAPI {
			return limit(msgTooManyResources)
		}
		for _, sib := range api.Resources {
			if sib.ParentID != parentID {
				continue
			}
			if sib.PathPart == pathPart {
				return conflict("Another resource with the same parent already has this name: " + pathPart)
			}
			if isVariable(sib.PathPart) && isVariable(pathPart) {
				return badRequest(fmt.Sprintf("A sibling (%s) of this resource already has a variable path part -- only one is allowed", sib.PathPart))
			}
		}
		path := strings.TrimSuffix(parent.Path, "/") + "/" + pathPart
		if len(path) > maxURLLen {
			return tooLong("resource path", maxURLLen, "characters")
		}
		created = &model.Resource{ID: model.RandomID(6), ParentID: parentID, PathPart: pathPart, Path: path}
		api.Resources[created.ID] = created
		return nil
	})
	if err != nil {
		return nil, err
	}
	return created, nil
}

func isVariable(part string) bool { return strings.HasPrefix(part, "{") }
func isGreedy(part string) bool   { return strings.HasSuffix(part, "+}") }

// GetResources returns the API's resources ordered by path.
func (s *Service) GetResources(ctx context.Context, apiID string) ([]*model.Resource, error) {
	api, err := s.GetRestAPI(ctx, apiID)
	if err != nil {
		return nil, err
	}
	out := make([]*model.Resource, 0, len(api.Resources))
	for _, r := range api.Resources {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *model.Resource) int { return cmp.Compare(a.Path, b.Path) })
	return out, nil
}

// GetResource returns one resource.
func (s *Service) GetResource(ctx context.Context, apiID, resourceID string) (*model.Resource, error) {
	api, err := s.GetRestAPI(ctx, apiID)
	if err != nil {
		return nil, err
	}
	r := api.Resources[resourceID]
	if r == nil {
		return nil, notFound(msgNoResource)
	}
	return r, nil
}

// DeleteResource deletes a resource and everything under it; never the root.
func (s *Service) DeleteResource(ctx context.Context, apiID, resourceID string) error {
	_, err := s.updateAPI(ctx, apiID, func(api *model.RestAPI) error {
		if api.Resources[resourceID] == nil {
			return notFound(msgNoResource)
		}
		if resourceID == api.RootResourceID {
			return badRequest("Cannot delete root resource") // UNVERIFIED text
		}
		doomed := map[string]bool{resourceID: true}
		for changed := true; changed; {
			changed = false
			for id, r := range api.Resources {
				if !doomed[id] && doomed[r.ParentID] {
					doomed[id], changed = true, true
				}
			}
		}
		for id := range doomed {
			delete(api.Resources, id)
		}
		return nil
	})
	return err
}

// ---- Methods and integrations ----

// PutMethodInput is PutMethod's request.
type PutMethodInput struct {
	AuthorizationType string // default NONE
	APIKeyRequired    bool
	RequestParameters map[string]bool
	OperationName     string
}

func normMethod(m string) (string, error) {
	m = strings.ToUpper(m)
	if !slices.Contains(validMethods, m) {
		// UNVERIFIED text.
		return "", badRequest("Invalid HttpMethod specified. Valid options are " + strings.Join(validMethods, ","))
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

// updateMethod runs fn on an existing method of a resource.
func (s *Service) updateMethod(ctx context.Context, apiID, resourceID, httpMethod string, fn func(*model.Method) error) (*model.Method, error) {
	verb := strings.ToUpper(httpMethod)
	var out *model.Method
	_, err := s.updateAPI(ctx, apiID, func(api *model.RestAPI) error {
		r := api.Resources[resourceID]
		if r == nil {
			return notFound(msgNoResource)
		}
		m := r.Methods[verb]
		if m == nil {
			return notFound(msgNoMethod)
		}
		if err := fn(m); err != nil {
			return err
		}
		out = m
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
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
		// UNVERIFIED text.
		return nil, badRequest("Invalid authorization type specified: " + model.Clip(auth))
	}
	m := &model.Method{
		HTTPMethod:        verb,
		AuthorizationType: auth,
		APIKeyRequired:    in.APIKeyRequired,
		OperationName:     in.OperationName,
		RequestParameters: in.RequestParameters,
	}
	if err := validMethod(m); err != nil {
		return nil, err
	}
	_, err = s.updateAPI(ctx, apiID, func(api *model.RestAPI) error {
		r := api.Resources[resourceID]
		if r == nil {
			return notFound(msgNoResource)
		}
		if r.Methods[verb] != nil {
			return conflict(msgMethodExists)
		}
		if r.Methods == nil {
			r.Methods = map[string]*model.Method{}
		}
		r.Methods[verb] = m
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// GetMethod returns one method.
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

// DeleteMethod removes a method.
func (s *Service) DeleteMethod(ctx context.Context, apiID, resourceID, httpMethod string) error {
	verb := strings.ToUpper(httpMethod)
	_, err := s.updateAPI(ctx, apiID, func(api *model.RestAPI) error {
		r := api.Resources[resourceID]
		if r == nil {
			return notFound(msgNoResource)
		}
		if r.Methods[verb] == nil {
			return notFound(msgNoMethod)
		}
		delete(r.Methods, verb)
		return nil
	})
	return err
}

// PutIntegration sets (replaces) the method's integration, with AWS's defaults.
func (s *Service) PutIntegration(ctx context.Context, apiID, resourceID, httpMethod string, in model.Integration) (*model.Integration, error) {
	integ := in
	if err := checkLen("integration uri", integ.URI, maxURLLen); err != nil {
		return nil, err
	}
	integ.Type = strings.ToUpper(integ.Type)
	switch integ.Type {
	case model.IntegrationMock:
	case model.IntegrationHTTP, model.IntegrationHTTPProxy:
		if integ.HTTPMethod == "" {
			return nil, badRequest(msgNoHTTPMethod)
		}
		u, err := url.Parse(integ.URI)
		if integ.URI == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, badRequest(msgBadHTTPEndpoint)
		}
	case "AWS", "AWS_PROXY":
		// Not served by gatehouse: no AWS services behind it. UNVERIFIED text.
		return nil, badRequest("Integration type " + integ.Type + " is not supported")
	default:
		// UNVERIFIED text.
		return nil, badRequest("Invalid integration type specified: " + model.Clip(in.Type))
	}
	if integ.HTTPMethod != "" {
		m, err := normMethod(integ.HTTPMethod)
		if err != nil {
			return nil, err
		}
		integ.HTTPMethod = m
	}
	integ.PassthroughBehavior = cmp.Or(integ.PassthroughBehavior, "WHEN_NO_MATCH")
	switch integ.PassthroughBehavior {
	case "WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER":
	default:
		// UNVERIFIED text.
		return nil, badRequest("Invalid passthrough behavior specified: " + model.Clip(integ.PassthroughBehavior))
	}
	if err := checkParams("requestParameters", integ.RequestParameters, maxParamValueLen); err != nil {
		return nil, err
	}
	if err := checkTemplates("requestTemplates", integ.RequestTemplates); err != nil {
		return nil, err
	}
	if err := checkLen("cache namespace", integ.CacheNamespace, maxShortLen); err != nil {
		return nil, err
	}
	if len(integ.IntegrationResponses) > maxMapEntries {
		return nil, tooMany("integrationResponses", maxMapEntries)
	}
	if integ.TimeoutInMillis == 0 {
		integ.TimeoutInMillis = defaultTimeoutMilli
	}
	// AWS names the cache namespace after the resource unless told otherwise.
	integ.CacheNamespace = cmp.Or(integ.CacheNamespace, resourceID)
	if integ.TimeoutInMillis < 50 || integ.TimeoutInMillis > defaultTimeoutMilli {
		return nil, badRequest(msgTimeout)
	}
	for code, ir := range integ.IntegrationResponses {
		if err := validIntegrationResponse(code, ir); err != nil {
			return nil, err
		}
	}
	var out *model.Integration
	_, err := s.updateMethod(ctx, apiID, resourceID, httpMethod, func(m *model.Method) error {
		c := integ
		m.Integration = &c
		out = &c
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
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

// DeleteIntegration removes the method's integration.
func (s *Service) DeleteIntegration(ctx context.Context, apiID, resourceID, httpMethod string) error {
	_, err := s.updateMethod(ctx, apiID, resourceID, httpMethod, func(m *model.Method) error {
		if m.Integration == nil {
			return notFound(msgNoIntegrationFound)
		}
		m.Integration = nil
		return nil
	})
	return err
}

func validStatusCode(code string) error {
	if _, ok := parseStatus(code); !ok {
		// UNVERIFIED text.
		return badRequest("Invalid status code specified: " + model.Clip(code))
	}
	return nil
}

func validIntegrationResponse(code string, ir *model.IntegrationResponse) error {
	if err := validStatusCode(code); err != nil {
		return err
	}
	if ir == nil {
		return badRequest("Invalid request input") // UNVERIFIED text
	}
	if err := checkLen("selection pattern", ir.SelectionPattern, maxShortLen); err != nil {
		return err
	}
	if ir.SelectionPattern != "" {
		if _, err := regexp.Compile(ir.SelectionPattern); err != nil {
			// UNVERIFIED text.
			return badRequest("Invalid selection pattern specified: " + model.Clip(ir.SelectionPattern))
		}
	}
	if err := checkParams("responseParameters", ir.ResponseParameters, maxParamValueLen); err != nil {
		return err
	}
	return checkTemplates("responseTemplates", ir.ResponseTemplates)
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
	_, err := s.updateMethod(ctx, apiID, resourceID, httpMethod, func(m *model.Method) error {
		if m.MethodResponses == nil {
			m.MethodResponses = map[string]*model.MethodResponse{}
		}
		c := mr
		m.MethodResponses[statusCode] = &c
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &mr, nil
}

// GetMethodResponse returns one method response.
func (s *Service) GetMethodResponse(ctx context.Context, apiID, resourceID, httpMethod, statusCode string) (*model.MethodResponse, error) {
	m, err := s.GetMethod(ctx, apiID, resourceID, httpMethod)
	if err != nil {
		return nil, err
	}
	mr := m.MethodResponses[statusCode]
	if mr == nil {
		return nil, notFound(msgNoIntegrationRsp)
	}
	return mr, nil
}

// DeleteMethodResponse removes a method response.
func (s *Service) DeleteMethodResponse(ctx context.Context, apiID, resourceID, httpMethod, statusCode string) error {
	_, err := s.updateMethod(ctx, apiID, resourceID, httpMethod, func(m *model.Method) error {
		if m.MethodResponses[statusCode] == nil {
			return notFound(msgNoIntegrationRsp)
		}
		delete(m.MethodResponses, statusCode)
		return nil
	})
	return err
}

// PutIntegrationResponse maps the integration's status to a method response.
func (s *Service) PutIntegrationResponse(ctx context.Context, apiID, resourceID, httpMethod, statusCode string, in model.IntegrationResponse) (*model.IntegrationResponse, error) {
	ir := in
	ir.StatusCode = statusCode
	if err := validIntegrationResponse(statusCode, &ir); err != nil {
		return nil, err
	}
	_, err := s.updateMethod(ctx, apiID, resourceID, httpMethod, func(m *model.Method) error {
		if m.Integration == nil {
			return badRequest(msgNoIntegration)
		}
		if m.MethodResponses[statusCode] == nil {
			return notFound(msgNoIntegrationRsp)
		}
		if m.Integration.IntegrationResponses == nil {
			m.Integration.IntegrationResponses = map[string]*model.IntegrationResponse{}
		}
		c := ir
		m.Integration.IntegrationResponses[statusCode] = &c
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &ir, nil
}

// GetIntegrationResponse returns one integration response.
func (s *Service) GetIntegrationResponse(ctx context.Context, apiID, resourceID, httpMethod, statusCode string) (*model.IntegrationResponse, error) {
	integ, err := s.GetIntegration(ctx, apiID, resourceID, httpMethod)
	if err != nil {
		return nil, err
	}
	ir := integ.IntegrationResponses[statusCode]
	if ir == nil {
		return nil, notFound(msgNoIntegrationRsp)
	}
	return ir, nil
}

// DeleteIntegrationResponse removes an integration response.
func (s *Service) DeleteIntegrationResponse(ctx context.Context, apiID, resourceID, httpMethod, statusCode string) error {
	_, err := s.updateMethod(ctx, apiID, resourceID, httpMethod, func(m *model.Method) error {
		if m.Integration == nil {
			return notFound(msgNoIntegrationFound)
		}
		if m.Integration.IntegrationResponses[statusCode] == nil {
			return notFound(msgNoIntegrationRsp)
		}
		delete(m.Integration.IntegrationResponses, statusCode)
		return nil
	})
	return err
}

// ---- Deployments ----

// CreateDeploymentInput is CreateDeployment's request.
type CreateDeploymentInput struct {
	Description string
	// StageName, when set, names the stage that serves the new deployment: it
	// is created (with StageDescription) or repointed.
	StageName        string
	StageDescription string
	Variables        map[string]string // merged into the stage's variables
}

// CreateDeployment freezes the API as it is now; with a stage name it also
// creates that stage or points it at the new deployment.
func (s *Service) CreateDeployment(ctx context.Context, apiID string, in CreateDeploymentInput) (*model.Deployment, error) {
	api, err := s.GetRestAPI(ctx, apiID)
	if err != nil {
		return nil, err
	}
	if err := checkLen("description", in.Description, maxDescriptionLen); err != nil {
		return nil, err
	}
	if err := checkLen("stage description", in.StageDescription, maxDescriptionLen); err != nil {
		return nil, err
	}
	stageName := in.StageName
	if stageName != "" {
		if err := validStageName(stageName); err != nil {
			return nil, err
		}
		if err := validVariables(in.Variables); err != nil {
			return nil, err
		}
	}
	methods := 0
	for _, r := range api.Resources {
		for _, m := range r.Methods {
			methods++
			if m.Integration == nil {
				return nil, badRequest(msgNoIntegration)
			}
		}
	}
	if methods == 0 {
		return nil, badRequest(msgNoMethods)
	}
	if slices.Contains(api.EndpointConfiguration.Types, "PRIVATE") && api.Policy == "" {
		return nil, badRequest(msgNoPolicy)
	}
	frozen, err := deepCopy(api)
	if err != nil {
		return nil, err
	}
	dep := &model.Deployment{
		ID:          model.RandomID(6),
		RestAPIID:   apiID,
		Description: in.Description,
		CreatedDate: time.Now().UTC().Truncate(time.Second),
		API:         *frozen,
	}
	key := model.Key(model.KindDeployment, apiID+"/"+dep.ID)
	rev, err := store.Save(ctx, s.d.Store, key, dep, 0)
	if err != nil {
		return nil, fmt.Errorf("save deployment %s: %w", dep.ID, err)
	}
	if stageName == "" {
		return dep, nil
	}
	_, err = s.UpdateStage(ctx, apiID, stageName, func(st *model.Stage) error {
		st.DeploymentID = dep.ID
		if len(in.Variables) > 0 && st.Variables == nil {
			st.Variables = map[string]string{}
		}
		maps.Copy(st.Variables, in.Variables)
		return nil
	})
	var me *model.Error
	if errors.As(err, &me) && me.Code == codeNotFound {
		_, err = s.CreateStage(ctx, apiID, stageName, dep.ID, StageInput{Description: in.StageDescription, Variables: in.Variables})
	}
	if err != nil {
		// The deployment was made for the stage; without it, it would be an
		// orphan the caller never learned the id of.
		if _, derr := s.d.Store.Delete(ctx, key, rev); derr != nil {
			s.log.Warn("remove the deployment of a failed stage", "deployment", dep.ID, "err", derr)
		}
		return nil, err
	}
	return dep, nil
}

func deepCopy(api *model.RestAPI) (*model.RestAPI, error) {
	b, err := json.Marshal(api)
	if err != nil {
		return nil, fmt.Errorf("copy rest api %s: %w", api.ID, err)
	}
	out := new(model.RestAPI)
	if err := json.Unmarshal(b, out); err != nil {
		return nil, fmt.Errorf("copy rest api %s: %w", api.ID, err)
	}
	return out, nil
}

// GetDeployment returns one deployment.
func (s *Service) GetDeployment(ctx context.Context, apiID, deploymentID string) (*model.Deployment, error) {
	if _, err := s.GetRestAPI(ctx, apiID); err != nil {
		return nil, err
	}
	d, _, err := store.Load[model.Deployment](ctx, s.d.Store, model.Key(model.KindDeployment, apiID+"/"+deploymentID))
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound(msgNoDeployment)
	}
	return d, err
}

// GetDeployments returns the API's deployments, oldest first.
func (s *Service) GetDeployments(ctx context.Context, apiID string) ([]*model.Deployment, error) {
	if _, err := s.GetRestAPI(ctx, apiID); err != nil {
		return nil, err
	}
	out, err := store.LoadAll[model.Deployment](ctx, s.d.Store, model.Key(model.KindDeployment, apiID+"/"))
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b *model.Deployment) int { return a.CreatedDate.Compare(b.CreatedDate) })
	return out, nil
}

// DeleteDeployment deletes a deployment no stage points to.
func (s *Service) DeleteDeployment(ctx context.Context, apiID, deploymentID string) error {
	if _, err := s.GetDeployment(ctx, apiID, deploymentID); err != nil {
		return err
	}
	stages, err := s.GetStages(ctx, apiID)
	if err != nil {
		return err
	}
	for _, st := range stages {
		if st.DeploymentID == deploymentID {
			return badRequest(msgActiveStages)
		}
	}
	_, err = s.d.Store.Delete(ctx, model.Key(model.KindDeployment, apiID+"/"+deploymentID), store.Any)
	if errors.Is(err, store.ErrNotFound) {
		return notFound(msgNoDeployment)
	}
	return err
}

// ---- Stages ----

// StageInput is CreateStage's optional settings.
type StageInput struct {
	Description    string
	Variables      map[string]string
	TracingEnabled bool
	Tags           map[string]string
}

var (
	stageNameRe = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,128}$`)
	stageVarKey = regexp.MustCompile(`^[a-zA-Z0-9_]{1,64}$`)
	stageVarVal = regexp.MustCompile(`^[a-zA-Z0-9\-._~:/?#&=,]{0,512}$`)
)

func validStageName(name string) error {
	if !stageNameRe.MatchString(name) {
		// UNVERIFIED text.
		return badRequest("Stage name only allows a-zA-Z0-9_-")
	}
	return nil
}

func validVariables(vars map[string]string) error {
	if len(vars) > maxStageVariables {
		return tooMany("stage variables", maxStageVariables)
	}
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		if !stageVarKey.MatchString(k) {
			// UNVERIFIED text.
			return badRequest("Stage variable name " + model.Clip(k) + " must be alphanumeric or underscore, at most 64 characters")
		}
		if !stageVarVal.MatchString(vars[k]) {
			// UNVERIFIED text.
			return badRequest("Stage variable value for " + k + " has invalid characters or is longer than 512 characters")
		}
	}
	return nil
}

// validStage bounds what CreateStage and UpdateStage store.
func validStage(st *model.Stage) error {
	if err := checkLen("description", st.Description, maxDescriptionLen); err != nil {
		return err
	}
	if err := validVariables(st.Variables); err != nil {
		return err
	}
	return checkTags(st.Tags)
}

// CreateStage names a deployment.
func (s *Service) CreateStage(ctx context.Context, apiID, stageName, deploymentID string, in StageInput) (*model.Stage, error) {
	if err := validStageName(stageName); err != nil {
		return nil, err
	}
	if err := validStage(&model.Stage{Description: in.Description, Variables: in.Variables, Tags: in.Tags}); err != nil {
		return nil, err
	}
	if _, err := s.GetDeployment(ctx, apiID, deploymentID); err != nil {
		return nil, err
	}
	stages, err := s.GetStages(ctx, apiID)
	if err != nil {
		return nil, err
	}
	if len(stages) >= maxStagesPerAPI {
		return nil, limit(msgTooManyStages)
	}
	now := time.Now().UTC().Truncate(time.Second)
	st := &model.Stage{
		RestAPIID:       apiID,
		StageName:       stageName,
		DeploymentID:    deploymentID,
		Description:     in.Description,
		Variables:       in.Variables,
		TracingEnabled:  in.TracingEnabled,
		CreatedDate:     now,
		LastUpdatedDate: now,
		Tags:            in.Tags,
	}
	_, err = store.Save(ctx, s.d.Store, model.Key(model.KindStage, apiID+"/"+stageName), st, 0)
	if errors.Is(err, store.ErrConflict) {
		return nil, conflict(msgStageExists)
	}
	if err != nil {
		return nil, fmt.Errorf("save stage %s: %w", stageName, err)
	}
	return st, nil
}

// GetStage returns one stage.
func (s *Service) GetStage(ctx context.Context, apiID, stageName string) (*model.Stage, error) {
	if _, err := s.GetRestAPI(ctx, apiID); err != nil {
		return nil, err
	}
	st, _, err := store.Load[model.Stage](ctx, s.d.Store, model.Key(model.KindStage, apiID+"/"+stageName))
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound(msgNoStage)
	}
	return st, err
}

// GetStages returns the API's stages by name.
func (s *Service) GetStages(ctx context.Context, apiID string) ([]*model.Stage, error) {
	if _, err := s.GetRestAPI(ctx, apiID); err != nil {
		return nil, err
	}
	return store.LoadAll[model.Stage](ctx, s.d.Store, model.Key(model.KindStage, apiID+"/"))
}

// UpdateStage applies mutate to a stage; the deployment it names must exist.
func (s *Service) UpdateStage(ctx context.Context, apiID, stageName string, mutate func(*model.Stage) error) (*model.Stage, error) {
	if _, err := s.GetRestAPI(ctx, apiID); err != nil {
		return nil, err
	}
	st, err := store.Update(ctx, s.d.Store, model.Key(model.KindStage, apiID+"/"+stageName), func(st *model.Stage) error {
		if err := mutate(st); err != nil {
			return err
		}
		st.RestAPIID, st.StageName = apiID, stageName
		st.LastUpdatedDate = time.Now().UTC().Truncate(time.Second)
		if err := validStage(st); err != nil {
			return err
		}
		if _, err := s.GetDeployment(ctx, apiID, st.DeploymentID); err != nil {
			return err
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound(msgNoStage)
	}
	return st, err
}

// DeleteStage deletes a stage that no base path mapping uses.
func (s *Service) DeleteStage(ctx context.Context, apiID, stageName string) error {
	if _, err := s.GetStage(ctx, apiID, stageName); err != nil {
		return err
	}
	maps, err := store.LoadAll[model.BasePathMapping](ctx, s.d.Store, model.Prefix(model.KindBasePathMapping))
	if err != nil {
		return err
	}
	for _, m := range maps {
		if m.RestAPIID == apiID && m.Stage == stageName {
			// UNVERIFIED text, modelled on DeleteRestApi's.
			return badRequest("Deleting stage " + stageName + " failed. Please remove all base path mappings related to the stage in your domains.")
		}
	}
	_, err = s.d.Store.Delete(ctx, model.Key(model.KindStage, apiID+"/"+stageName), store.Any)
	if errors.Is(err, store.ErrNotFound) {
		return notFound(msgNoStage)
	}
	return err
}

// ---- Custom domain names ----

// CreateDomainNameInput is CreateDomainName's request.
type CreateDomainNameInput struct {
	DomainName             string
	CertificateARN         string                       // EDGE
	RegionalCertificateARN string                       // REGIONAL
	SecurityPolicy         string                       // TLS_1_0 or TLS_1_2 (default)
	EndpointConfiguration  *model.EndpointConfiguration // nil: EDGE
	Tags                   map[string]string
}

// regionalHostedZones are API Gateway's regional hosted zone ids, the alias
// target zone of a regional custom domain.
var regionalHostedZones = map[string]string{
	"us-east-1":    "Z1UJRXOUMOOFQ8",
	"us-east-2":    "ZOJJZC49E0EPZ",
	"us-west-1":    "Z2MUQ32089INYE",
	"us-west-2":    "Z2OJLYMUO9EFXC",
	"eu-west-1":    "ZLY8HYME6SFDD",
	"eu-central-1": "Z1U9ULNL0V5AJ3",
}

// domainKey is a domain name as the store and the table key it: lowercase,
// without the trailing dot, as DNS compares names.

var domainRe = regexp.MustCompile(`^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$`)

// CreateDomainName registers a custom domain with an issued certificate.
func (s *Service) CreateDomainName(ctx context.Context, in CreateDomainNameInput) (*model.DomainName, error) {
	name := model.DomainKey(in.DomainName)
	if name == "" {
		return nil, badRequest("No Domain Name specified") // as moto; UNVERIFIED
	}
	if len(name) > maxDomainNameLen || !domainRe.MatchString(name) {
		return nil, badRequest("Invalid domain name: " + model.Clip(in.DomainName)) // UNVERIFIED text
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	ec := model.EndpointConfiguration{Types: []string{"EDGE"}}
	if in.EndpointConfiguration != nil && len(in.EndpointConfiguration.Types) > 0 {
		ec = model.EndpointConfiguration{Types: in.EndpointConfiguration.Types}
	}
	if len(ec.Types) != 1 || (ec.Types[0] != "EDGE" && ec.Types[0] != "REGIONAL") {
		// UNVERIFIED text. (Private custom domains, Nov 2024, are not modelled.)
		return nil, badRequest("Invalid endpoint configuration for a domain name: " + model.Clip(strings.Join(ec.Types, ",")))
	}
	sp := cmp.Or(in.SecurityPolicy, "TLS_1_2")
	if sp != "TLS_1_0" && sp != "TLS_1_2" {
		return nil, badRequest("Invalid security policy: " + model.Clip(sp)) // UNVERIFIED text
	}
	arn := in.CertificateARN
	if ec.Types[0] == "REGIONAL" {
		arn = in.RegionalCertificateARN
	}
	if arn == "" {
		// UNVERIFIED text.
		return nil, badRequest("A certificate was not provided for the " + ec.Types[0] + " domain name")
	}
	if err := checkLen("certificate ARN", arn, maxCertificateARNLen); err != nil {
		return nil, err
	}
	cert, _, err := store.Load[model.Certificate](ctx, s.d.Store, model.Key(model.KindCertificate, arn))
	if errors.Is(err, store.ErrNotFound) {
		// Modelled on AWS's "Certificate … in account … not yet issued"; UNVERIFIED.
		return nil, badRequest(fmt.Sprintf("Certificate %s in account %s not found", arn, s.env.Account))
	}
	if err != nil {
		return nil, err
	}
	if cert.Status != model.CertIssued {
		return nil, badRequest(fmt.Sprintf("Certificate %s in account %s not yet issued", arn, s.env.Account))
	}
	all, err := s.GetDomainNames(ctx)
	if err != nil {
		return nil, err
	}
	if len(all) >= maxDomains {
		return nil, limit(msgTooManyDomains)
	}
	d := &model.DomainName{
		Name:                  name,
		EndpointConfiguration: ec,
		SecurityPolicy:        sp,
		DomainNameStatus:      "AVAILABLE",
		CreatedDate:           time.Now().UTC().Truncate(time.Second),
		Tags:                  in.Tags,
	}
	if ec.Types[0] == "REGIONAL" {
		d.RegionalCertificateARN = arn
		d.RegionalDomainName = "d-" + model.RandomID(10) + ".execute-api." + s.env.Region + ".amazonaws.com"
		d.RegionalHostedZoneID = regionalHostedZones[s.env.Region]
	} else {
		d.CertificateARN = arn
	}
	_, err = store.Save(ctx, s.d.Store, model.Key(model.KindDomainName, name), d, 0)
	if errors.Is(err, store.ErrConflict) {
		// AWS answers BadRequestException here, not ConflictException (users'
		// reports of real CreateDomainName errors).
		return nil, badRequest(msgDomainExists)
	}
	if err != nil {
		return nil, fmt.Errorf("save domain name %s: %w", name, err)
	}
	return d, nil
}

// GetDomainName returns one custom domain.
func (s *Service) GetDomainName(ctx context.Context, name string) (*model.DomainName, error) {
	name = model.DomainKey(name)
	d, _, err := store.Load[model.DomainName](ctx, s.d.Store, model.Key(model.KindDomainName, name))
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound(msgNoDomain)
	}
	return d, err
}

// GetDomainNames returns every custom domain by name.
func (s *Service) GetDomainNames(ctx context.Context) ([]*model.DomainName, error) {
	return store.LoadAll[model.DomainName](ctx, s.d.Store, model.Prefix(model.KindDomainName))
}

// DeleteDomainName deletes a custom domain and its base path mappings.
func (s *Service) DeleteDomainName(ctx context.Context, name string) error {
	d, err := s.GetDomainName(ctx, name)
	if err != nil {
		return err
	}
	if err := s.deleteAll(ctx, model.Key(model.KindBasePathMapping, d.Name+"/")); err != nil {
		return err
	}
	_, err = s.d.Store.Delete(ctx, model.Key(model.KindDomainName, d.Name), store.Any)
	if errors.Is(err, store.ErrNotFound) {
		return notFound(msgNoDomain)
	}
	return err
}

// ---- Base path mappings ----

var basePathRe = regexp.MustCompile(`^[a-zA-Z0-9$\-_.+!*'()/]{1,300}$`)

func normBasePath(p string) string {
	if p == model.NoBasePath {
		return ""
	}
	return strings.Trim(p, "/")
}

// CreateBasePathMapping maps domain + basePath ("" or "(none)": none) to an API
// stage (stage "" or "(none)": callers name the stage in the path).
func (s *Service) CreateBasePathMapping(ctx context.Context, domain, basePath, apiID, stage string) (*model.BasePathMapping, error) {
	d, err := s.GetDomainName(ctx, domain)
	if err != nil {
		return nil, err
	}
	m := &model.BasePathMapping{DomainName: d.Name, BasePath: basePath, RestAPIID: apiID, Stage: stage, ID: model.RandomID(6)}
	if err := s.checkMapping(ctx, d, m, nil); err != nil {
		return nil, err
	}
	if err := s.saveMapping(ctx, m); err != nil {
		return nil, err
	}
	return m, nil
}

// checkMapping normalises m (base path, "(none)" stage) and checks it as
// CreateBasePathMapping must: a valid base path, an existing API and stage,
// and no clash with the domain's other mappings (except old, which m replaces).
func (s *Service) checkMapping(ctx context.Context, d *model.DomainName, m, old *model.BasePathMapping) error {
	raw := m.BasePath
	m.BasePath = normBasePath(raw)
	if bp := m.BasePath; bp != "" {
		if len(bp) > maxBasePathLen || !basePathRe.MatchString(bp) || strings.Contains(bp, "//") {
			return badRequest("Invalid base path: " + model.Clip(raw)) // UNVERIFIED text
		}
		// Multi-level base paths need a REGIONAL domain with TLS 1.2 (§A9); AWS
		// offers them through API Gateway V2's API mappings.
		if strings.Contains(bp, "/") && (d.SecurityPolicy != "TLS_1_2" || !slices.Contains(d.EndpointConfiguration.Types, "REGIONAL")) {
			return badRequest(msgMultiLevelV1)
		}
	}
	if m.Stage == model.NoBasePath {
		m.Stage = ""
	}
	// Ids and names longer than any that exists name nothing: refused before
	// they become store keys.
	if len(m.RestAPIID) > maxShortLen {
		return badRequest(msgMappingNoAPI)
	}
	if m.Stage != "" && validStageName(m.Stage) != nil {
		return badRequest(msgNoStageMapping)
	}
	if _, _, err := store.Load[model.RestAPI](ctx, s.d.Store, model.Key(model.KindRestAPI, m.RestAPIID)); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return badRequest(msgMappingNoAPI)
		}
		return err
	}
	if m.Stage != "" {
		if _, _, err := store.Load[model.Stage](ctx, s.d.Store, model.Key(model.KindStage, m.RestAPIID+"/"+m.Stage)); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return badRequest(msgNoStageMapping)
			}
			return err
		}
	}
	existing, err := s.GetBasePathMappings(ctx, d.Name)
	if err != nil {
		return err
	}
	for _, e := range existing {
		if old != nil && e.BasePath == old.BasePath {
			continue
		}
		if e.BasePath == m.BasePath {
			return conflict(msgBasePathExists)
		}
		if e.BasePath == "" || m.BasePath == "" {
			return conflict(msgOnlyOneEmpty)
		}
	}
	return nil
}

// saveMapping stores a new mapping; its base path must be free.
func (s *Service) saveMapping(ctx context.Context, m *model.BasePathMapping) error {
	_, err := store.Save(ctx, s.d.Store, model.Key(model.KindBasePathMapping, model.MappingID(m.DomainName, m.BasePath)), m, 0)
	if errors.Is(err, store.ErrConflict) {
		return conflict(msgBasePathExists)
	}
	if err != nil {
		return fmt.Errorf("save base path mapping: %w", err)
	}
	return nil
}

// GetBasePathMapping returns one mapping ("(none)" or "" for the empty base path).
func (s *Service) GetBasePathMapping(ctx context.Context, domain, basePath string) (*model.BasePathMapping, error) {
	d, err := s.GetDomainName(ctx, domain)
	if err != nil {
		return nil, err
	}
	m, _, err := store.Load[model.BasePathMapping](ctx, s.d.Store, model.Key(model.KindBasePathMapping, model.MappingID(d.Name, normBasePath(basePath))))
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound(msgNoMapping)
	}
	return m, err
}

// GetBasePathMappings returns a domain's mappings.
func (s *Service) GetBasePathMappings(ctx context.Context, domain string) ([]*model.BasePathMapping, error) {
	d, err := s.GetDomainName(ctx, domain)
	if err != nil {
		return nil, err
	}
	return store.LoadAll[model.BasePathMapping](ctx, s.d.Store, model.Key(model.KindBasePathMapping, d.Name+"/"))
}

// GetAPIMapping returns the mapping with the apigatewayv2 id mappingID: API
// mappings and base path mappings are one record.
func (s *Service) GetAPIMapping(ctx context.Context, domain, mappingID string) (*model.BasePathMapping, error) {
	all, err := s.GetBasePathMappings(ctx, domain)
	if err != nil {
		return nil, err
	}
	for _, m := range all {
		if m.ID == mappingID {
			return m, nil
		}
	}
	// UNVERIFIED text: apigatewayv2's answer for an unknown mapping id.
	return nil, notFound("Invalid API mapping identifier specified " + mappingID)
}

// DeleteBasePathMapping deletes one mapping.
func (s *Service) DeleteBasePathMapping(ctx context.Context, domain, basePath string) error {
	m, err := s.GetBasePathMapping(ctx, domain, basePath)
	if err != nil {
		return err
	}
	_, err = s.d.Store.Delete(ctx, model.Key(model.KindBasePathMapping, model.MappingID(m.DomainName, m.BasePath)), store.Any)
	if errors.Is(err, store.ErrNotFound) {
		return notFound(msgNoMapping)
	}
	return err
}
