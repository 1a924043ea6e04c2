package model

import (
	"strconv"
	"time"
)

// RestAPI is an API Gateway REST API. Its stored record holds only the API's
// own fields: each resource, method, integration, method response, integration
// response and gateway response is a record of its own (KindResource …
// KindGatewayResponse, keyed under the API's id), so that one edit writes one
// small record. Resources and GatewayResponses are filled in only where the
// whole tree is assembled (a deployment's frozen copy, the stack file), and
// in records written by gatehouse before the tree was split, which the
// gateway migrates on first use.
type RestAPI struct {
	ID                        string // 10 lowercase alphanumerics
	Name                      string
	Description               string `json:",omitempty"`
	Version                   string `json:",omitempty"`
	CreatedDate               time.Time
	EndpointConfiguration     EndpointConfiguration
	Policy                    string `json:",omitempty"` // resource policy JSON text
	APIKeySource              string // "HEADER"
	DisableExecuteAPIEndpoint bool
	// BinaryMediaTypes are the media types ("image/png", "image/*", "*/*")
	// whose payloads the data path treats as binary (ContentHandling).
	BinaryMediaTypes []string `json:",omitempty"`
	RootResourceID   string
	Resources        map[string]*Resource        `json:",omitempty"` // by resource id
	GatewayResponses map[string]*GatewayResponse `json:",omitempty"` // by response type
	// Models (by name) and RequestValidators (by id) are records of their
	// own (KindModel, KindRequestValidator), filled in like Resources.
	Models            map[string]*Model            `json:",omitempty"`
	RequestValidators map[string]*RequestValidator `json:",omitempty"`
	Tags              map[string]string            `json:",omitempty"`
}

// EndpointConfiguration says how an API is reached: Types is ["PRIVATE"],
// ["REGIONAL"] or ["EDGE"]; a private API lists the interface endpoints it admits.
type EndpointConfiguration struct {
	Types          []string
	VpcEndpointIDs []string `json:",omitempty"`
	// IPAddressType is "ipv4" or "dualstack" as the caller set it; empty
	// means the type's default (IPAddressTypeOrDefault).
	IPAddressType string `json:",omitempty"`
}

// IPAddressTypeOrDefault is the IP address type AWS reports: the one set, or
// the default, dualstack for a private API (the only type it may have) and
// ipv4 for the others.
func (e EndpointConfiguration) IPAddressTypeOrDefault() string {
	switch {
	case e.IPAddressType != "":
		return e.IPAddressType
	case len(e.Types) > 0 && e.Types[0] == "PRIVATE":
		return "dualstack"
	}
	return "ipv4"
}

// Resource is one node of the resource tree. Path is the full path ("/pets/{id}").
// Stored under KindResource as "<apiID>/<id>", without Methods.
type Resource struct {
	ID       string
	ParentID string `json:",omitempty"`
	PathPart string `json:",omitempty"`
	Path     string
	Methods  map[string]*Method `json:",omitempty"` // by HTTP method, "ANY" included
}

// Method is a resource's method request, its integration and its method
// responses. Stored under KindMethod as "<apiID>/<resourceID>/<HTTPMethod>",
// without Integration and MethodResponses (records of their own).
type Method struct {
	HTTPMethod         string
	AuthorizationType  string // "NONE"
	APIKeyRequired     bool
	OperationName      string                     `json:",omitempty"`
	RequestParameters  map[string]bool            `json:",omitempty"`
	RequestValidatorID string                     `json:",omitempty"`
	RequestModels      map[string]string          `json:",omitempty"` // model name by content type
	Integration        *Integration               `json:",omitempty"`
	MethodResponses    map[string]*MethodResponse `json:",omitempty"` // by status code
}

// Integration types.
const (
	IntegrationMock      = "MOCK"
	IntegrationHTTP      = "HTTP"
	IntegrationHTTPProxy = "HTTP_PROXY"
)

// Integration is where a method sends the request: a MOCK that answers with the
// status code its request template names, or an HTTP backend. Stored under
// KindIntegration with its method's id, without IntegrationResponses.
type Integration struct {
	Type                 string
	HTTPMethod           string                          `json:",omitempty"`
	URI                  string                          `json:",omitempty"`
	RequestTemplates     map[string]string               `json:",omitempty"` // by content type
	RequestParameters    map[string]string               `json:",omitempty"`
	PassthroughBehavior  string                          // WHEN_NO_MATCH (default), WHEN_NO_TEMPLATES, NEVER
	TimeoutInMillis      int                             // default 29000
	CacheNamespace       string                          `json:",omitempty"`
	ContentHandling      string                          `json:",omitempty"` // CONVERT_TO_BINARY, CONVERT_TO_TEXT; "": passthrough
	IntegrationResponses map[string]*IntegrationResponse `json:",omitempty"` // by status code
}

// MethodResponse declares a status code the method may answer with. Stored
// under KindMethodResponse as "<apiID>/<resourceID>/<HTTPMethod>/<StatusCode>".
type MethodResponse struct {
	StatusCode         string
	ResponseParameters map[string]bool   `json:",omitempty"`
	ResponseModels     map[string]string `json:",omitempty"`
}

// IntegrationResponse maps an integration's status to a method response. An empty
// SelectionPattern makes it the default response. Stored under
// KindIntegrationResponse with the id of its method response.
type IntegrationResponse struct {
	StatusCode         string
	SelectionPattern   string            `json:",omitempty"`
	ResponseParameters map[string]string `json:",omitempty"`
	ResponseTemplates  map[string]string `json:",omitempty"`
	ContentHandling    string            `json:",omitempty"` // CONVERT_TO_BINARY, CONVERT_TO_TEXT; "": passthrough
}

// GatewayResponse customises an error API Gateway itself generates. Stored
// under KindGatewayResponse as "<apiID>/<ResponseType>".
type GatewayResponse struct {
	ResponseType       string
	StatusCode         string            `json:",omitempty"`
	ResponseParameters map[string]string `json:",omitempty"`
	ResponseTemplates  map[string]string `json:",omitempty"`
}

// Deployment is an immutable snapshot of an API: its tree, policy and endpoint
// configuration as they were when it was created. Store id: RestAPIID + "/" + ID.
//
// The frozen copy is not in this record, which stays small however large the
// API: it is the RestAPI, tree included, as gzip-compressed JSON cut into
// Parts records of KindDeploymentPart ("<apiID>/<ID>/<n>", n from 0), written
// before this header. The deployment exists, and is served, only once the
// header and all its parts are stored; Hash (hex SHA-256 of the parts'
// bytes in order) tells a complete set from a torn one.
type Deployment struct {
	ID          string // 6 lowercase alphanumerics
	RestAPIID   string
	Description string `json:",omitempty"`
	CreatedDate time.Time
	Parts       int    `json:",omitempty"`
	Hash        string `json:",omitempty"`
	// API is the frozen copy inside the record, as gatehouse wrote
	// deployments before parts (Parts is 0 then); still loaded and served.
	API RestAPI `json:",omitzero"`
}

// DeploymentPartID is the store id of a deployment's nth part.
func DeploymentPartID(apiID, deploymentID string, n int) string {
	return apiID + "/" + deploymentID + "/" + strconv.Itoa(n)
}

// Stage names a deployment. Store id: RestAPIID + "/" + StageName.
type Stage struct {
	RestAPIID    string
	StageName    string
	DeploymentID string
	Description  string            `json:",omitempty"`
	Variables    map[string]string `json:",omitempty"`
	// MethodSettings by "resourcePath/METHOD" as AWS keys them: the resource
	// path's slashes escaped as "~1" ("~1pets/GET"), or "*/*" for all methods.
	MethodSettings      map[string]MethodSetting `json:",omitempty"`
	TracingEnabled      bool                     `json:",omitempty"`
	CacheClusterEnabled bool                     `json:",omitempty"` // stored only: gatehouse does not cache
	CacheClusterSize    string                   `json:",omitempty"`
	CreatedDate         time.Time
	LastUpdatedDate     time.Time
	Tags                map[string]string  `json:",omitempty"`
	AccessLogSettings   *AccessLogSettings `json:",omitempty"`
}

// AccessLogSettings is a stage's access log: one line per request in Format
// ($context variables), to the place DestinationARN names.
type AccessLogSettings struct {
	DestinationARN string `json:",omitempty"`
	Format         string `json:",omitempty"`
}

// Model is a request or response payload's JSON Schema (draft 4). Stored
// under KindModel as "<apiID>/<Name>".
type Model struct {
	ID          string
	Name        string
	Description string `json:",omitempty"`
	Schema      string `json:",omitempty"`
	ContentType string
}

// RequestValidator says what a method's request is checked for before its
// integration runs. Stored under KindRequestValidator as "<apiID>/<ID>".
type RequestValidator struct {
	ID                        string
	Name                      string `json:",omitempty"`
	ValidateRequestBody       bool
	ValidateRequestParameters bool
}

// MethodSetting holds the per-method stage settings. They are stored and
// reported as AWS does; the data plane does not throttle, log or cache by them.
type MethodSetting struct {
	ThrottlingRateLimit                    float64
	ThrottlingBurstLimit                   int
	MetricsEnabled                         bool
	LoggingLevel                           string `json:",omitempty"`
	DataTraceEnabled                       bool   `json:",omitempty"`
	CachingEnabled                         bool   `json:",omitempty"`
	CacheTTLInSeconds                      int    `json:",omitempty"`
	CacheDataEncrypted                     bool   `json:",omitempty"`
	RequireAuthorizationForCacheControl    bool   `json:",omitempty"`
	UnauthorizedCacheControlHeaderStrategy string `json:",omitempty"`
}

// DomainName is a custom domain: a host name, its certificate and its mappings.
type DomainName struct {
	Name                   string // lowercase, no trailing dot
	CertificateARN         string `json:",omitempty"` // EDGE
	RegionalCertificateARN string `json:",omitempty"` // REGIONAL
	EndpointConfiguration  EndpointConfiguration
	SecurityPolicy         string // "TLS_1_2"
	RegionalDomainName     string // "d-abcdefghij.execute-api.us-west-2.amazonaws.com"
	RegionalHostedZoneID   string
	DomainNameStatus       string // "AVAILABLE"
	CreatedDate            time.Time
	Tags                   map[string]string `json:",omitempty"`
}

// NoBasePath is how AWS names the empty base path in its API.
const NoBasePath = "(none)"

// BasePathMapping maps DomainName + BasePath to an API stage. BasePath is "" for
// the (none) mapping; Stage "" means the caller names the stage in the path.
// Store id: DomainName + "/" + BasePath (or NoBasePath).
type BasePathMapping struct {
	DomainName string
	BasePath   string
	RestAPIID  string
	Stage      string
	ID         string // apigatewayv2 ApiMappingId
}

// MappingID is the store id of a base path mapping.
func MappingID(domain, basePath string) string {
	if basePath == "" {
		basePath = NoBasePath
	}
	return domain + "/" + basePath
}
