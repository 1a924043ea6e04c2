package nameserver

import (
	"strings"

	"gatehouse/internal/model"
)

// Route 53 quotas ("Quotas on entities", Route 53 Developer Guide,
// DNSLimitations.html). Both are checked against the store and the write that
// could overshoot one is conditioned on nothing having been created since the
// count (store.NoneAfter), so writers on other nodes cannot overshoot either.
const (
	maxHostedZones = 500    // hosted zones per account
	maxRecordSets  = 10_000 // record sets per hosted zone, SOA and NS included
)

// Route 53 errors a caller can cause. Messages are Route 53's own where it was
// observed (see the search notes in the package tests); the others say UNVERIFIED.
func noSuchHostedZone(id string) *model.Error {
	return model.NotFound("NoSuchHostedZone", "No hosted zone found with ID: %s", id)
}

// invalidDomainName: Route 53's message for malformed names varies with the
// fault; this is the InvalidDomainName description from its API reference
// (UNVERIFIED wording).
func invalidDomainName() *model.Error {
	return model.BadRequest("InvalidDomainName", "The specified domain name is not valid.")
}

// codeInvalidInput is Route 53's code for a request that fails its model's
// constraints.
const codeInvalidInput = "InvalidInput"

func invalidInput(format string, args ...any) *model.Error {
	return model.BadRequest(codeInvalidInput, format, args...)
}

// Lengths from the Route 53 API model (route53/2013-04-01): DNSName,
// Nonce (CallerReference) and ResourceDescription (comments). A DNS name is
// further held to 255 octets by the DNS itself (zoneName, dns.IsDomainName).
const (
	maxDNSName         = 1024
	maxZoneID          = 32 // ResourceId
	maxCallerReference = 128
	maxComment         = 256
)

// invalidChangeBatch reports every fault of a batch in one message, as Route 53
// does: the list in brackets, e.g. "[Tried to create resource record set
// [name='x.example.', type='A'] but it already exists]" (observed in AWS CLI and
// SDK output). UNVERIFIED: the ", " between several messages (Java's list form).
//
// Route 53 once answered with an <InvalidChangeBatch><Messages> document instead
// of <ErrorResponse>; the SDKs still parse that form, but botocore (the AWS CLI)
// does not, and today's Route 53 answers with the ErrorResponse envelope.
func invalidChangeBatch(msgs ...string) *model.Error {
	return model.BadRequest("InvalidChangeBatch", "[%s]", strings.Join(msgs, ", "))
}

// tooManyHostedZones is Route 53's answer at the hosted zone quota, observed in
// Terraform and OpenShift installer logs ("TooManyHostedZones: Limits Exceeded:
// MAX_HOSTED_ZONES_BY_OWNER - Cannot create more hosted zones.", status 400).
func tooManyHostedZones() *model.Error {
	return model.BadRequest("TooManyHostedZones", "Limits Exceeded: MAX_HOSTED_ZONES_BY_OWNER - Cannot create more hosted zones.")
}

// tooManyRecordSets is the batch fault at the record set quota. UNVERIFIED:
// Route 53 answers InvalidChangeBatch, but its text could not be found; this
// one is modelled on the hosted zone quota's, with the limit's GetHostedZoneLimit
// name (MAX_RRSETS_BY_ZONE).
const tooManyRecordSets = "Limits Exceeded: MAX_RRSETS_BY_ZONE - Cannot create more rrsets by zone."

// notNull is the request-validation message for a member that is missing.
func notNull(field string) *model.Error { return model.Null(codeInvalidInput, field) }

// listTooLong is the request-validation message for a list over its length
// limit: AWS quotes no value for a list.
func listTooLong(field string, max int) *model.Error {
	return invalidInput("1 validation error detected: Value at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", field, max)
}

// NoSuchHealthCheck answers any health check ID: gatehouse has no health
// checks. UNVERIFIED wording (the API reference's description of the error).
func NoSuchHealthCheck(id string) *model.Error {
	return model.NotFound("NoSuchHealthCheck", "No health check exists with the ID %s.", model.Clip(id))
}
