package gateway

import (
	"cmp"
	"context"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"gatehouse/internal/model"
)

var validMethods = []string{"ANY", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"}

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
