package stack

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxFileSize bounds what Parse reads: a stack file is configuration, not data.
const maxFileSize = 1 << 20

// File is the stack file: the whole static-IP chain, each resource named by the
// user and referenced by that name. Kinds and fields follow the AWS names.
type File struct {
	Region         string          `yaml:"region"`
	Zones          []Zone          `yaml:"zones"`
	Certificates   []Certificate   `yaml:"certificates"`
	SecurityGroups []SecurityGroup `yaml:"securityGroups"`
	VpcEndpoints   []VpcEndpoint   `yaml:"vpcEndpoints"`
	APIs           []API           `yaml:"apis"`
	DomainNames    []DomainName    `yaml:"domainNames"`
	TargetGroups   []TargetGroup   `yaml:"targetGroups"`
	LoadBalancers  []LoadBalancer  `yaml:"loadBalancers"`
	Accelerators   []Accelerator   `yaml:"accelerators"`
	Records        []Record        `yaml:"records"`
	APIKeys        []APIKey        `yaml:"apiKeys"`
	UsagePlans     []UsagePlan     `yaml:"usagePlans"`
}

// Zone is a Route 53 hosted zone.
type Zone struct {
	Name    string `yaml:"name"`
	Comment string `yaml:"comment"`
}

// Certificate is an ACM certificate validated through DNS: its validation record
// is written into Validation.Zone, as CloudFormation does with HostedZoneId.
type Certificate struct {
	Name       string   `yaml:"name"`
	Domain     string   `yaml:"domain"`
	AltNames   []string `yaml:"subjectAlternativeNames"`
	Validation struct {
		Zone string `yaml:"zone"`
	} `yaml:"validation"`
}

// SecurityGroup is a security group in the default VPC.
type SecurityGroup struct {
	Name        string        `yaml:"name"`
	Description string        `yaml:"description"`
	Ingress     []IngressRule `yaml:"ingress"`
}

// IngressRule allows Protocol traffic to Port (or FromPort–ToPort) from CIDR,
// or from the members of SourceSecurityGroup (a group of the file, by name):
// every network interface it is attached to, such as a load balancer's nodes.
type IngressRule struct {
	Protocol            string `yaml:"protocol"`
	Port                int    `yaml:"port"`
	FromPort            int    `yaml:"fromPort"`
	ToPort              int    `yaml:"toPort"`
	CIDR                string `yaml:"cidr"`
	SourceSecurityGroup string `yaml:"sourceSecurityGroup"`
}

// VpcEndpoint is an interface endpoint. Subnets are named by availability zone
// letter ("a", "b") or by subnet id.
type VpcEndpoint struct {
	Name           string   `yaml:"name"`
	Service        string   `yaml:"service"` // "execute-api"
	Subnets        []string `yaml:"subnets"`
	SecurityGroups []string `yaml:"securityGroups"`
	PrivateDNS     *bool    `yaml:"privateDns"`
	Policy         any      `yaml:"policy"`
}

// API is a REST API with its resource tree and stages.
type API struct {
	Name         string                       `yaml:"name"`
	Description  string                       `yaml:"description"`
	EndpointType string                       `yaml:"endpointType"` // PRIVATE, REGIONAL, EDGE
	VpcEndpoints []string                     `yaml:"vpcEndpoints"`
	Policy       any                          `yaml:"policy"`
	Resources    map[string]map[string]Method `yaml:"resources"` // path → HTTP method → method
	Stages       []Stage                      `yaml:"stages"`
	// Models and request validators by name (apigwmodels.go).
	Models            map[string]ModelSpec     `yaml:"models"`
	RequestValidators map[string]ValidatorSpec `yaml:"requestValidators"`
}

// Method is a method with its integration. Responses default to one 200 method
// response and a default integration response mapping to it.
type Method struct {
	Authorization  string        `yaml:"authorization"`
	APIKeyRequired bool          `yaml:"apiKeyRequired"`
	Integration    Integration   `yaml:"integration"`
	Responses      []MethodReply `yaml:"responses"`
	// The request's validation (apigwmodels.go): a validator of the API by
	// name, models by content type, parameters (method.request.…: required).
	RequestValidator  string            `yaml:"requestValidator"`
	RequestModels     map[string]string `yaml:"requestModels"`
	RequestParameters map[string]bool   `yaml:"requestParameters"`
}

// Integration is where the method sends the request.
type Integration struct {
	Type             string            `yaml:"type"` // MOCK, HTTP_PROXY
	HTTPMethod       string            `yaml:"httpMethod"`
	URI              string            `yaml:"uri"`
	RequestTemplates map[string]string `yaml:"requestTemplates"`
	TimeoutInMillis  int               `yaml:"timeoutInMillis"`
}

// MethodReply is a method response and the integration response that selects it.
type MethodReply struct {
	StatusCode       string            `yaml:"statusCode"`
	SelectionPattern string            `yaml:"selectionPattern"`
	Headers          map[string]string `yaml:"headers"` // header → value mapping expression, e.g. "'literal'"
	Templates        map[string]string `yaml:"templates"`
}

// Stage is a stage that serves the API's current deployment.
type Stage struct {
	Name        string            `yaml:"name"`
	Description string            `yaml:"description"`
	Variables   map[string]string `yaml:"variables"`
	// Throttle is the stage's default method throttling (method settings
	// "*/*"); unset, the file leaves the stage's throttling as it is.
	Throttle *Throttle `yaml:"throttle"`
}

// DomainName is a custom domain with its mappings.
type DomainName struct {
	Name         string    `yaml:"name"`
	Certificate  string    `yaml:"certificate"`
	EndpointType string    `yaml:"endpointType"` // REGIONAL (default)
	Mappings     []Mapping `yaml:"mappings"`
}

// Mapping maps a base path of a domain to an API stage.
type Mapping struct {
	BasePath string `yaml:"basePath"` // "" or "(none)" for none
	API      string `yaml:"api"`
	Stage    string `yaml:"stage"`
}

// TargetGroup is an ALB target group. Targets name IPs, or a VPC endpoint whose
// network interfaces become the targets.
type TargetGroup struct {
	Name        string      `yaml:"name"`
	Protocol    string      `yaml:"protocol"`
	Port        int         `yaml:"port"`
	TargetType  string      `yaml:"targetType"`
	Targets     Targets     `yaml:"targets"`
	HealthCheck HealthCheck `yaml:"healthCheck"`
}

// Targets are IPs or the interfaces of a VPC endpoint.
type Targets struct {
	VpcEndpoint string   `yaml:"vpcEndpoint"`
	IPs         []string `yaml:"ips"`
}

// HealthCheck overrides ALB's health-check defaults.
type HealthCheck struct {
	Protocol           string `yaml:"protocol"`
	Path               string `yaml:"path"`
	Port               string `yaml:"port"`
	IntervalSeconds    int    `yaml:"intervalSeconds"`
	TimeoutSeconds     int    `yaml:"timeoutSeconds"`
	HealthyThreshold   int    `yaml:"healthyThreshold"`
	UnhealthyThreshold int    `yaml:"unhealthyThreshold"`
	Matcher            string `yaml:"matcher"`
}

// LoadBalancer is an application load balancer.
type LoadBalancer struct {
	Name           string     `yaml:"name"`
	Scheme         string     `yaml:"scheme"`
	Subnets        []string   `yaml:"subnets"`
	SecurityGroups []string   `yaml:"securityGroups"`
	Listeners      []Listener `yaml:"listeners"`
}

// Listener is an ALB listener with a default forward action.
type Listener struct {
	Protocol    string `yaml:"protocol"`
	Port        int    `yaml:"port"`
	Certificate string `yaml:"certificate"`
	SslPolicy   string `yaml:"sslPolicy"`
	Forward     string `yaml:"forward"` // target group name
}

// Accelerator is a standard accelerator.
type Accelerator struct {
	Name      string       `yaml:"name"`
	Enabled   *bool        `yaml:"enabled"`
	Listeners []GAListener `yaml:"listeners"`
}

// GAListener is an accelerator listener.
type GAListener struct {
	Protocol       string          `yaml:"protocol"`
	Ports          []int           `yaml:"ports"`
	PortRanges     []PortRange     `yaml:"portRanges"`
	ClientAffinity string          `yaml:"clientAffinity"`
	EndpointGroups []EndpointGroup `yaml:"endpointGroups"`
}

// PortRange is an inclusive port range.
type PortRange struct {
	From int `yaml:"from"`
	To   int `yaml:"to"`
}

// EndpointGroup is the listener's endpoints in one region.
type EndpointGroup struct {
	Region      string     `yaml:"region"`
	TrafficDial *float64   `yaml:"trafficDial"`
	Endpoints   []Endpoint `yaml:"endpoints"`
}

// Endpoint is a load balancer endpoint, by name.
type Endpoint struct {
	LoadBalancer         string `yaml:"loadBalancer"`
	Weight               *int   `yaml:"weight"`
	ClientIPPreservation *bool  `yaml:"clientIpPreservation"`
}

// Record is a record set: values, or an alias to an accelerator or load balancer.
type Record struct {
	Zone   string   `yaml:"zone"`
	Name   string   `yaml:"name"`
	Type   string   `yaml:"type"`
	TTL    int64    `yaml:"ttl"`
	Values []string `yaml:"values"`
	Alias  *struct {
		Accelerator  string `yaml:"accelerator"`
		LoadBalancer string `yaml:"loadBalancer"`
	} `yaml:"alias"`
}

// APIKey is an API Gateway API key. Without a value, API Gateway generates
// one; a key is enabled unless Enabled says false.
type APIKey struct {
	Name        string `yaml:"name"`
	Value       string `yaml:"value"`
	Enabled     *bool  `yaml:"enabled"`
	Description string `yaml:"description"`
}

// UsagePlan is a usage plan over API stages of the file, with the file's API
// keys (by name) in it.
type UsagePlan struct {
	Name        string     `yaml:"name"`
	Description string     `yaml:"description"`
	APIStages   []APIStage `yaml:"apiStages"`
	Throttle    *Throttle  `yaml:"throttle"`
	Quota       *Quota     `yaml:"quota"`
	APIKeys     []string   `yaml:"apiKeys"`
}

// APIStage is a stage of an API of the file, both by name.
type APIStage struct {
	API   string `yaml:"api"`
	Stage string `yaml:"stage"`
}

// Throttle is a token bucket: RateLimit requests a second, BurstLimit at once.
type Throttle struct {
	RateLimit  float64 `yaml:"rateLimit"`
	BurstLimit int     `yaml:"burstLimit"`
}

// Quota caps the requests of each key of a plan per Period (DAY, WEEK, MONTH).
type Quota struct {
	Limit  int    `yaml:"limit"`
	Period string `yaml:"period"`
}

// Parse reads a stack file. Unknown fields are errors (a typo must not be
// silently ignored); every error names the line.
func Parse(r io.Reader) (*File, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read stack file: %w", err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("stack file larger than %d bytes", maxFileSize)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f File
	if err := dec.Decode(&f); err != nil {
		if err == io.EOF {
			return &f, nil
		}
		return nil, fmt.Errorf("stack file: %s", strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	return &f, nil
}
