package gateway

// The error catalogue of API Gateway's control operations: its codes, the
// messages AWS answers with, and one constructor per code.

import "gatehouse/internal/model"

// API Gateway's error codes (restJson1; the HTTP status is the code's).
const (
	codeNotFound   = "NotFoundException"
	codeBadRequest = "BadRequestException"
	codeConflict   = "ConflictException"
	codeLimit      = "LimitExceededException"
)

// Message texts. Confirmed against AWS-recorded sources (AWS SDK test
// features, LocalStack snapshots, moto, users' reports of real errors); the
// catalogue of every text and its source is docs/PARITY-gateway.md.
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

// Texts at the quotas; the double spaces are AWS's. The resource quota's is
// recorded (Terraform debug log of a real PutRestApi, boto3 issue 1296: a 429
// LimitExceededException), and so is the REST API quota's (Zappa#628: a
// CreateRestApi answered BadRequestException, see tooManyRestAPIs). The
// stage and domain name quotas' are written after the resources' one: not
// recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12-05).
const (
	msgTooManyResources = "Maximum number of Resources for this API has been reached.  Please contact AWS if you need additional Resources."
	msgTooManyStages    = "Maximum number of Stages for this API has been reached.  Please contact AWS if you need additional Stages."
	msgTooManyRestAPIs  = "Maximum number of APIs has been reached.  Please contact AWS if you need additional APIs."
	msgTooManyDomains   = "Maximum number of DomainNames for this account has been reached.  Please contact AWS if you need additional DomainNames."
)

// tooManyRestAPIs is CreateRestApi's answer at the REST API quota: a 400
// BadRequestException, not the 429 LimitExceededException of the other
// quotas (Zappa#628, the one record, from 2017).
func tooManyRestAPIs() error { return badRequest(msgTooManyRestAPIs) }

func notFound(msg string) error   { return model.NotFound(codeNotFound, "%s", msg) }
func badRequest(msg string) error { return model.BadRequest(codeBadRequest, "%s", msg) }
func conflict(msg string) error   { return model.Conflict(codeConflict, "%s", msg) }
func limit(msg string) error      { return model.Errorf(429, codeLimit, "%s", msg) }

// noAPI is AWS's answer for an unknown REST API id (as AWS answers it today;
// older answers read "Invalid REST API identifier specified").
func (s *Service) noAPI(id string) error {
	return model.NotFound(codeNotFound, "Invalid API identifier specified %s:%s", s.env.Account, id)
}
