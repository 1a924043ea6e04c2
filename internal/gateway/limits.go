package gateway

import (
	"fmt"
	"maps"
	"slices"
	"unicode/utf8"

	"gatehouse/internal/model"
)

// Field limits of the control plane. Every string, list and map an operation
// stores is bounded, so that no request can grow the store, the snapshot or a
// listing without end. Documented limits come from "Quotas for configuring and
// running a REST API in API Gateway" (API Gateway Developer Guide) and
// aws-behaviors §A6–A9; the API Gateway service model declares none.
const (
	// "Length, in characters, of API Gateway resource policy".
	maxPolicyLen = 8192
	// "Mapping template size": 300 KB, in bytes (vtl-reference, aws-behaviors §A6).
	maxTemplateBytes = 300 * 1024
	// "Stage variables per stage" and the lengths of a variable's key and value.
	maxStageVariables   = 100
	maxStageVarKeyLen   = 64
	maxStageVarValueLen = 512
	// "Length, in characters, of the URL for an edge-optimized API" (a private
	// API's is the same): no resource path or integration URI can be longer.
	maxURLLen = 8192
	// "Total combined size of request line and header values" (10,240 bytes):
	// no header a parameter mapping produces can be longer.
	maxParamValueLen = 10240
	// Base paths: "≤ 300 characters" (aws-behaviors §A9, basePathRe).
	maxBasePathLen = 300
	// Custom domain names: a DNS name's 253 characters.
	maxDomainNameLen = 253
	// Certificate ARNs: ACM's Arn shape (min 20, max 2048).
	maxCertificateARNLen = 2048
)

// Limits AWS does not document; each bound is far above what any API needs
// and keeps a record small enough to list.
const (
	// no documented limit; bound: 1024 characters, eight times apigatewayv2's
	// 128-character API and stage names.
	maxNameLen = 1024
	// no documented limit; bound: 4096 characters, four times apigatewayv2's
	// 1,024-character descriptions.
	maxDescriptionLen = 4096
	// no documented limit; bound: 1024 characters for identifiers and short
	// settings (version, operation name, cache namespace, model name, path part,
	// selection pattern, parameter names).
	maxShortLen = 1024
	// no documented limit; bound: 255 characters for a media type (RFC 6838:
	// type and subtype names of at most 127 characters each).
	maxContentTypeLen = 255
	// no documented limit; bound: 100 entries per parameter, template or model
	// map, as many as a stage may have variables (the one per-map quota API
	// Gateway documents).
	maxMapEntries = 100
	// no documented limit; bound: 100 VPC endpoints per private API.
	maxVpcEndpoints = 100
	// no documented limit; bound: 64 characters per VPC endpoint id
	// ("vpce-" and 17 hex digits are 22).
	maxVpcEndpointIDLen = 64
	// no documented limit; bound: 500 patch operations per Update call, more
	// than setting every variable of a stage and every setting of its
	// throttled methods ("Method-level throttling settings per stage" 20) needs.
	maxPatchOperations = 500
)

// tooLong is the refusal of a field over its limit. Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12-05).
// API Gateway answers BadRequestException in this form for its other field
// checks ("Invalid ... specified"); the one length refusal recorded, an API
// key's name, reads "Invalid API Key name, can be at most 1024 characters."
// (LocalStack snapshot), too specific to generalise.
func tooLong(field string, max int, unit string) error {
	return badRequest(fmt.Sprintf("Invalid %s specified: must be at most %d %s long", field, max, unit))
}

// tooMany is the refusal of a list or map over its limit. Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12-05).
func tooMany(field string, max int) error {
	return badRequest(fmt.Sprintf("Invalid %s specified: at most %d are allowed", field, max))
}

// checkLen refuses a value of more than max characters.
func checkLen(field, value string, max int) error {
	if len(value) > max && utf8.RuneCountInString(value) > max {
		return tooLong(field, max, "characters")
	}
	return nil
}

// checkParams bounds a parameter mapping: at most maxMapEntries names of at
// most maxShortLen characters, each value at most maxValue characters
// (maxValue < 0: values are not strings).
func checkParams[V any](field string, m map[string]V, maxValue int) error {
	if len(m) > maxMapEntries {
		return tooMany(field, maxMapEntries)
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if err := checkLen(field+" name", k, maxShortLen); err != nil {
			return err
		}
		if s, ok := any(m[k]).(string); ok && maxValue >= 0 {
			if err := checkLen(field+" value", s, maxValue); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkTemplates bounds a mapping template map: at most maxMapEntries content
// types, each template at most maxTemplateBytes.
func checkTemplates(field string, m map[string]string) error {
	if len(m) > maxMapEntries {
		return tooMany(field, maxMapEntries)
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if err := checkLen(field+" content type", k, maxContentTypeLen); err != nil {
			return err
		}
		if len(m[k]) > maxTemplateBytes {
			return tooLong(field, maxTemplateBytes, "bytes")
		}
	}
	return nil
}

// checkTags applies AWS's tag limits (model.CheckTags) to a resource's whole
// tag set, in API Gateway's words.
func checkTags(tags map[string]string) error {
	return model.CheckTags(tags, model.MaxTags, func(p model.TagProblem, key, _ string) error {
		if p == model.TagsTooMany {
			return tooManyTags()
		}
		// Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12-05).
		return badRequest(fmt.Sprintf("Invalid tag key or value: %q", model.Clip(key)))
	})
}

// tooManyTags refuses a resource more than model.MaxTags tags. Not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12-05).
func tooManyTags() error {
	return badRequest(fmt.Sprintf("A resource can have at most %d tags", model.MaxTags))
}

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

// maxRestAPIs is AWS's REST API quota per account and Region for an endpoint
// type: "Regional APIs per Region" 600, "Private APIs per account per Region"
// 600, "Edge-optimized APIs per Region" 120. Deps.MaxRestAPIs overrides it.
// UpdateRestAPI may change an API's type without a check, as the total stays
// bounded by the sum.
func maxRestAPIs(endpointType string) int {
	if endpointType == "EDGE" {
		return 120
	}
	return 600
}

// restAPIQuota is the REST API quota this service applies to an endpoint type.
func (s *Service) restAPIQuota(endpointType string) int {
	if n := s.d.MaxRestAPIs[endpointType]; n > 0 {
		return n
	}
	return maxRestAPIs(endpointType)
}
