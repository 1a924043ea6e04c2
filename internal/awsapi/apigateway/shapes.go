package apigateway

import (
	"gatehouse/internal/awsapi"
	"gatehouse/internal/gateway"
	"gatehouse/internal/model"
)

// The wire shapes, with the service model's member names. Members AWS always
// reports (booleans, counts) have no omitempty.

type endpointConfiguration struct {
	Types          []string `json:"types,omitempty"`
	VpcEndpointIDs []string `json:"vpcEndpointIds,omitempty"`
	IPAddressType  string   `json:"ipAddressType,omitempty"`
}

func (e *endpointConfiguration) model() *model.EndpointConfiguration {
	if e == nil {
		return nil
	}
	return &model.EndpointConfiguration{Types: e.Types, VpcEndpointIDs: e.VpcEndpointIDs, IPAddressType: e.IPAddressType}
}

func toEndpointConfiguration(e model.EndpointConfiguration) endpointConfiguration {
	return endpointConfiguration{Types: e.Types, VpcEndpointIDs: e.VpcEndpointIDs, IPAddressType: e.IPAddressType}
}

// collection is API Gateway's paged list: the items travel as "item".
type collection[T any] struct {
	Position string `json:"position,omitempty"`
	Items    []T    `json:"item"`
}

type restAPI struct {
	ID                        string                `json:"id"`
	Name                      string                `json:"name"`
	Description               string                `json:"description,omitempty"`
	CreatedDate               awsapi.Epoch          `json:"createdDate"`
	Version                   string                `json:"version,omitempty"`
	APIKeySource              string                `json:"apiKeySource,omitempty"`
	EndpointConfiguration     endpointConfiguration `json:"endpointConfiguration"`
	Policy                    string                `json:"policy,omitempty"`
	Tags                      map[string]string     `json:"tags,omitempty"`
	DisableExecuteAPIEndpoint bool                  `json:"disableExecuteApiEndpoint"`
	BinaryMediaTypes          []string              `json:"binaryMediaTypes,omitempty"`
	RootResourceID            string                `json:"rootResourceId"`
}

func toRestAPI(a *model.RestAPI) restAPI {
	ec := toEndpointConfiguration(a.EndpointConfiguration)
	ec.IPAddressType = a.EndpointConfiguration.IPAddressTypeOrDefault()
	return restAPI{
		ID:                        a.ID,
		Name:                      a.Name,
		Description:               a.Description,
		CreatedDate:               awsapi.Epoch(a.CreatedDate),
		Version:                   a.Version,
		APIKeySource:              a.APIKeySource,
		EndpointConfiguration:     ec,
		Policy:                    gateway.WirePolicy(a.Policy),
		Tags:                      a.Tags,
		DisableExecuteAPIEndpoint: a.DisableExecuteAPIEndpoint,
		BinaryMediaTypes:          a.BinaryMediaTypes,
		RootResourceID:            a.RootResourceID,
	}
}

type resource struct {
	ID              string             `json:"id"`
	ParentID        string             `json:"parentId,omitempty"`
	PathPart        string             `json:"pathPart,omitempty"`
	Path            string             `json:"path"`
	ResourceMethods map[string]*method `json:"resourceMethods,omitempty"`
}

// toResource shapes a resource. Without embed, AWS names its methods with
// empty objects; with embed=methods it reports them whole.
func toResource(r *model.Resource, embed bool) resource {
	out := resource{ID: r.ID, ParentID: r.ParentID, PathPart: r.PathPart, Path: r.Path}
	if len(r.Methods) > 0 {
		out.ResourceMethods = map[string]*method{}
		for verb, m := range r.Methods {
			if embed {
				mm := toMethod(m)
				out.ResourceMethods[verb] = &mm
			} else {
				out.ResourceMethods[verb] = &method{}
			}
		}
	}
	return out
}

type method struct {
	HTTPMethod         string                    `json:"httpMethod,omitempty"`
	AuthorizationType  string                    `json:"authorizationType,omitempty"`
	APIKeyRequired     *bool                     `json:"apiKeyRequired,omitempty"`
	OperationName      string                    `json:"operationName,omitempty"`
	RequestParameters  map[string]bool           `json:"requestParameters,omitempty"`
	RequestValidatorID string                    `json:"requestValidatorId,omitempty"`
	RequestModels      map[string]string         `json:"requestModels,omitempty"`
	MethodResponses    map[string]methodResponse `json:"methodResponses,omitempty"`
	MethodIntegration  *integration              `json:"methodIntegration,omitempty"`
}

func toMethod(m *model.Method) method {
	out := method{
		HTTPMethod:         m.HTTPMethod,
		AuthorizationType:  m.AuthorizationType,
		APIKeyRequired:     &m.APIKeyRequired,
		OperationName:      m.OperationName,
		RequestParameters:  m.RequestParameters,
		RequestValidatorID: m.RequestValidatorID,
		RequestModels:      m.RequestModels,
	}
	if len(m.MethodResponses) > 0 {
		out.MethodResponses = map[string]methodResponse{}
		for code, mr := range m.MethodResponses {
			out.MethodResponses[code] = toMethodResponse(mr)
		}
	}
	if m.Integration != nil {
		i := toIntegration(m.Integration)
		out.MethodIntegration = &i
	}
	return out
}

type methodResponse struct {
	StatusCode         string            `json:"statusCode"`
	ResponseParameters map[string]bool   `json:"responseParameters,omitempty"`
	ResponseModels     map[string]string `json:"responseModels,omitempty"`
}

func toMethodResponse(mr *model.MethodResponse) methodResponse {
	return methodResponse{StatusCode: mr.StatusCode, ResponseParameters: mr.ResponseParameters, ResponseModels: mr.ResponseModels}
}

type integration struct {
	Type                 string                         `json:"type"`
	HTTPMethod           string                         `json:"httpMethod,omitempty"`
	URI                  string                         `json:"uri,omitempty"`
	RequestParameters    map[string]string              `json:"requestParameters,omitempty"`
	RequestTemplates     map[string]string              `json:"requestTemplates,omitempty"`
	PassthroughBehavior  string                         `json:"passthroughBehavior,omitempty"`
	TimeoutInMillis      int                            `json:"timeoutInMillis"`
	CacheNamespace       string                         `json:"cacheNamespace,omitempty"`
	CacheKeyParameters   []string                       `json:"cacheKeyParameters"`
	ContentHandling      string                         `json:"contentHandling,omitempty"`
	IntegrationResponses map[string]integrationResponse `json:"integrationResponses,omitempty"`
}

func toIntegration(i *model.Integration) integration {
	out := integration{
		Type:                i.Type,
		HTTPMethod:          i.HTTPMethod,
		URI:                 i.URI,
		RequestParameters:   i.RequestParameters,
		RequestTemplates:    i.RequestTemplates,
		PassthroughBehavior: i.PassthroughBehavior,
		TimeoutInMillis:     i.TimeoutInMillis,
		CacheNamespace:      i.CacheNamespace,
		CacheKeyParameters:  []string{},
		ContentHandling:     i.ContentHandling,
	}
	if len(i.IntegrationResponses) > 0 {
		out.IntegrationResponses = map[string]integrationResponse{}
		for code, ir := range i.IntegrationResponses {
			out.IntegrationResponses[code] = toIntegrationResponse(ir)
		}
	}
	return out
}

type integrationResponse struct {
	StatusCode         string            `json:"statusCode"`
	SelectionPattern   string            `json:"selectionPattern,omitempty"`
	ResponseParameters map[string]string `json:"responseParameters,omitempty"`
	ResponseTemplates  map[string]string `json:"responseTemplates,omitempty"`
	ContentHandling    string            `json:"contentHandling,omitempty"`
}

func toIntegrationResponse(ir *model.IntegrationResponse) integrationResponse {
	return integrationResponse{StatusCode: ir.StatusCode, SelectionPattern: ir.SelectionPattern,
		ResponseParameters: ir.ResponseParameters, ResponseTemplates: ir.ResponseTemplates, ContentHandling: ir.ContentHandling}
}

type deployment struct {
	ID          string       `json:"id"`
	Description string       `json:"description,omitempty"`
	CreatedDate awsapi.Epoch `json:"createdDate"`
}

func toDeployment(d *model.Deployment) deployment {
	return deployment{ID: d.ID, Description: d.Description, CreatedDate: awsapi.Epoch(d.CreatedDate)}
}

type stage struct {
	DeploymentID        string                   `json:"deploymentId"`
	StageName           string                   `json:"stageName"`
	Description         string                   `json:"description,omitempty"`
	CacheClusterEnabled bool                     `json:"cacheClusterEnabled"`
	CacheClusterSize    string                   `json:"cacheClusterSize,omitempty"`
	CacheClusterStatus  string                   `json:"cacheClusterStatus"`
	MethodSettings      map[string]methodSetting `json:"methodSettings"`
	Variables           map[string]string        `json:"variables,omitempty"`
	TracingEnabled      bool                     `json:"tracingEnabled"`
	AccessLogSettings   *accessLogSettings       `json:"accessLogSettings,omitempty"`
	Tags                map[string]string        `json:"tags,omitempty"`
	CreatedDate         awsapi.Epoch             `json:"createdDate"`
	LastUpdatedDate     awsapi.Epoch             `json:"lastUpdatedDate"`
}

// methodSetting has model.MethodSetting's fields in its order (one converts
// to the other).
type methodSetting struct {
	ThrottlingRateLimit                    float64 `json:"throttlingRateLimit"`
	ThrottlingBurstLimit                   int     `json:"throttlingBurstLimit"`
	MetricsEnabled                         bool    `json:"metricsEnabled"`
	LoggingLevel                           string  `json:"loggingLevel"`
	DataTraceEnabled                       bool    `json:"dataTraceEnabled"`
	CachingEnabled                         bool    `json:"cachingEnabled"`
	CacheTTLInSeconds                      int     `json:"cacheTtlInSeconds"`
	CacheDataEncrypted                     bool    `json:"cacheDataEncrypted"`
	RequireAuthorizationForCacheControl    bool    `json:"requireAuthorizationForCacheControl"`
	UnauthorizedCacheControlHeaderStrategy string  `json:"unauthorizedCacheControlHeaderStrategy"`
}

func toStage(s *model.Stage) stage {
	out := stage{
		DeploymentID:        s.DeploymentID,
		StageName:           s.StageName,
		Description:         s.Description,
		CacheClusterEnabled: s.CacheClusterEnabled,
		CacheClusterSize:    s.CacheClusterSize,
		CacheClusterStatus:  "NOT_AVAILABLE",
		MethodSettings:      map[string]methodSetting{},
		Variables:           s.Variables,
		TracingEnabled:      s.TracingEnabled,
		Tags:                s.Tags,
		AccessLogSettings:   toAccessLogSettings(s.AccessLogSettings),
		CreatedDate:         awsapi.Epoch(s.CreatedDate),
		LastUpdatedDate:     awsapi.Epoch(s.LastUpdatedDate),
	}
	for k, ms := range s.MethodSettings {
		out.MethodSettings[k] = methodSetting(ms)
	}
	return out
}

type domainName struct {
	DomainName             string                `json:"domainName"`
	CertificateARN         string                `json:"certificateArn,omitempty"`
	RegionalDomainName     string                `json:"regionalDomainName,omitempty"`
	RegionalHostedZoneID   string                `json:"regionalHostedZoneId,omitempty"`
	RegionalCertificateARN string                `json:"regionalCertificateArn,omitempty"`
	EndpointConfiguration  endpointConfiguration `json:"endpointConfiguration"`
	DomainNameStatus       string                `json:"domainNameStatus"`
	SecurityPolicy         string                `json:"securityPolicy"`
	Tags                   map[string]string     `json:"tags,omitempty"`
}

func toDomainName(d *model.DomainName) domainName {
	return domainName{
		DomainName:             d.Name,
		CertificateARN:         d.CertificateARN,
		RegionalDomainName:     d.RegionalDomainName,
		RegionalHostedZoneID:   d.RegionalHostedZoneID,
		RegionalCertificateARN: d.RegionalCertificateARN,
		EndpointConfiguration:  toEndpointConfiguration(d.EndpointConfiguration),
		DomainNameStatus:       d.DomainNameStatus,
		SecurityPolicy:         d.SecurityPolicy,
		Tags:                   d.Tags,
	}
}

type basePathMapping struct {
	BasePath  string `json:"basePath"`
	RestAPIID string `json:"restApiId"`
	Stage     string `json:"stage,omitempty"`
}

// toBasePathMapping reports the empty base path as AWS names it, "(none)".
func toBasePathMapping(m *model.BasePathMapping) basePathMapping {
	bp := m.BasePath
	if bp == "" {
		bp = model.NoBasePath
	}
	return basePathMapping{BasePath: bp, RestAPIID: m.RestAPIID, Stage: m.Stage}
}

// apiMapping is apigatewayv2's view of a base path mapping.
type apiMapping struct {
	APIID         string `json:"apiId"`
	APIMappingID  string `json:"apiMappingId"`
	APIMappingKey string `json:"apiMappingKey"`
	Stage         string `json:"stage"`
}

func toAPIMapping(m *model.BasePathMapping) apiMapping {
	return apiMapping{APIID: m.RestAPIID, APIMappingID: m.ID, APIMappingKey: m.BasePath, Stage: m.Stage}
}

type gatewayResponse struct {
	ResponseType       string            `json:"responseType"`
	StatusCode         string            `json:"statusCode,omitempty"`
	ResponseParameters map[string]string `json:"responseParameters,omitempty"`
	ResponseTemplates  map[string]string `json:"responseTemplates,omitempty"`
	DefaultResponse    bool              `json:"defaultResponse"`
}

func toGatewayResponse(g *gateway.GatewayResponse) gatewayResponse {
	return gatewayResponse{
		ResponseType:       g.ResponseType,
		StatusCode:         g.StatusCode,
		ResponseParameters: g.ResponseParameters,
		ResponseTemplates:  g.ResponseTemplates,
		DefaultResponse:    g.Default,
	}
}

type accessLogSettings struct {
	Format         string `json:"format,omitempty"`
	DestinationARN string `json:"destinationArn,omitempty"`
}

func toAccessLogSettings(a *model.AccessLogSettings) *accessLogSettings {
	if a == nil {
		return nil
	}
	return &accessLogSettings{Format: a.Format, DestinationARN: a.DestinationARN}
}
