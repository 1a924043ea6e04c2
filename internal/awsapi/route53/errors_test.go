package route53_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
)

// TestErrors sends malformed and refused requests as raw signed HTTP, past the
// SDK's own checks, and checks Route 53's status, code and message in its
// <ErrorResponse> envelope: never a 500.
func TestErrors(t *testing.T) {
	f := newFixture(t)
	zone, err := f.client.CreateHostedZone(f.ctx, &route53.CreateHostedZoneInput{Name: aws.String("example.test"), CallerReference: aws.String("errors")})
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimPrefix(aws.ToString(zone.HostedZone.Id), "/hostedzone/")
	rrset := "/2013-04-01/hostedzone/" + id + "/rrset"
	batch := func(changes string) string {
		return xmlBody("ChangeResourceRecordSetsRequest", "<ChangeBatch><Changes>"+changes+"</Changes></ChangeBatch>")
	}
	a := func(action, name, value string) string {
		return "<Change><Action>" + action + "</Action><ResourceRecordSet><Name>" + name + "</Name><Type>A</Type><TTL>60</TTL>" +
			"<ResourceRecords><ResourceRecord><Value>" + value + "</Value></ResourceRecord></ResourceRecords></ResourceRecordSet></Change>"
	}
	// A record set that exists, for the batch faults below.
	if status, body := f.do("POST", rrset, batch(a("CREATE", "www.example.test", "192.0.2.1"))); status != http.StatusOK {
		t.Fatalf("setup: %d %s", status, body)
	}
	const enumTypes = "[SOA, A, TXT, NS, CNAME, MX, NAPTR, PTR, SRV, SPF, AAAA, CAA, DS, TLSA, SSHFP, SVCB, HTTPS]"

	tests := []struct {
		name         string
		method, path string
		body         string
		status       int
		code         string
		message      string // "" accepts any
	}{
		// Bodies that do not decode.
		{name: "not XML", method: "POST", path: "/2013-04-01/hostedzone", body: "{not xml",
			status: 400, code: "InvalidInput"},
		{name: "another operation's body", method: "POST", path: "/2013-04-01/hostedzone", body: xmlBody("ChangeResourceRecordSetsRequest", ""),
			status: 400, code: "InvalidInput"},
		{name: "TTL not a number", method: "POST", path: rrset,
			body:   batch("<Change><Action>CREATE</Action><ResourceRecordSet><Name>x.example.test</Name><Type>A</Type><TTL>soon</TTL></ResourceRecordSet></Change>"),
			status: 400, code: "InvalidInput"},
		{name: "EvaluateTargetHealth not a boolean", method: "POST", path: rrset,
			body: batch("<Change><Action>CREATE</Action><ResourceRecordSet><Name>x.example.test</Name><Type>A</Type>" +
				"<AliasTarget><HostedZoneId>Z2BJ6XQ5FK7U4H</HostedZoneId><DNSName>a1.awsglobalaccelerator.com</DNSName><EvaluateTargetHealth>maybe</EvaluateTargetHealth></AliasTarget></ResourceRecordSet></Change>"),
			status: 400, code: "InvalidInput"},

		// Required members.
		{name: "no caller reference", method: "POST", path: "/2013-04-01/hostedzone", body: xmlBody("CreateHostedZoneRequest", "<Name>a.test</Name>"),
			status: 400, code: "InvalidInput", message: "1 validation error detected: Value null at 'callerReference' failed to satisfy constraint: Member must not be null"},
		{name: "empty create", method: "POST", path: "/2013-04-01/hostedzone", body: xmlBody("CreateHostedZoneRequest", ""),
			status: 400, code: "InvalidInput", message: "2 validation errors detected: Value null at 'name' failed to satisfy constraint: Member must not be null; " +
				"Value null at 'callerReference' failed to satisfy constraint: Member must not be null"},
		{name: "no change batch", method: "POST", path: rrset, body: xmlBody("ChangeResourceRecordSetsRequest", ""),
			status: 400, code: "InvalidInput", message: "1 validation error detected: Value null at 'changeBatch' failed to satisfy constraint: Member must not be null"},
		{name: "no changes", method: "POST", path: rrset, body: batch(""),
			status: 400, code: "InvalidInput", message: "1 validation error detected: Value '[]' at 'changeBatch.changes' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{name: "alias without EvaluateTargetHealth", method: "POST", path: rrset,
			body: batch("<Change><Action>CREATE</Action><ResourceRecordSet><Name>x.example.test</Name><Type>A</Type>" +
				"<AliasTarget><HostedZoneId>Z2BJ6XQ5FK7U4H</HostedZoneId><DNSName>a1.awsglobalaccelerator.com</DNSName></AliasTarget></ResourceRecordSet></Change>"),
			status: 400, code: "InvalidInput", message: "1 validation error detected: Value null at 'evaluateTargetHealth' failed to satisfy constraint: Member must not be null"},
		{name: "no resource IDs to list tags of", method: "POST", path: "/2013-04-01/tags/hostedzone", body: xmlBody("ListTagsForResourcesRequest", ""),
			status: 400, code: "InvalidInput", message: "1 validation error detected: Value null at 'resourceIds' failed to satisfy constraint: Member must not be null"},

		// Values Route 53 refuses.
		{name: "invalid zone name", method: "POST", path: "/2013-04-01/hostedzone", body: xmlBody("CreateHostedZoneRequest", "<Name>bad!.test</Name><CallerReference>e1</CallerReference>"),
			status: 400, code: "InvalidDomainName"},
		{name: "private zone", method: "POST", path: "/2013-04-01/hostedzone",
			body:   xmlBody("CreateHostedZoneRequest", "<Name>p.test</Name><CallerReference>e2</CallerReference><HostedZoneConfig><PrivateZone>true</PrivateZone></HostedZoneConfig>"),
			status: 400, code: "InvalidInput"},
		{name: "reused caller reference", method: "POST", path: "/2013-04-01/hostedzone", body: xmlBody("CreateHostedZoneRequest", "<Name>b.test</Name><CallerReference>errors</CallerReference>"),
			status: 409, code: "HostedZoneAlreadyExists", message: "A hosted zone has already been created with the specified caller reference."},
		{name: "maxitems not a number", method: "GET", path: "/2013-04-01/hostedzone?maxitems=many",
			status: 400, code: "InvalidInput"},
		{name: "maxitems negative", method: "GET", path: rrset + "?maxitems=-1",
			status: 400, code: "InvalidInput"},
		{name: "maxitems zero", method: "GET", path: "/2013-04-01/hostedzone?maxitems=0",
			status: 400, code: "InvalidInput", message: "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must be a positive integer"},
		{name: "hosted zone type unknown", method: "GET", path: "/2013-04-01/hostedzone?hostedzonetype=PublicHostedZone",
			status: 400, code: "InvalidInput", message: "1 validation error detected: Value 'PublicHostedZone' at 'hostedZoneType' failed to satisfy constraint: Member must satisfy enum value set: [PrivateHostedZone]"},
		{name: "start type without name", method: "GET", path: rrset + "?type=A",
			status: 400, code: "InvalidInput"},
		{name: "start type unknown", method: "GET", path: rrset + "?name=www.example.test&type=WKS",
			status: 400, code: "InvalidInput", message: "1 validation error detected: Value 'WKS' at 'type' failed to satisfy constraint: Member must satisfy enum value set: " + enumTypes},
		{name: "hostedzoneid without dnsname", method: "GET", path: "/2013-04-01/hostedzonesbyname?hostedzoneid=" + id,
			status: 400, code: "InvalidInput"},
		{name: "unknown action", method: "POST", path: rrset, body: batch(a("REPLACE", "x.example.test", "192.0.2.1")),
			status: 400, code: "InvalidInput", message: "1 validation error detected: Value 'REPLACE' at 'changeBatch.changes.1.member.action' failed to satisfy constraint: Member must satisfy enum value set: [CREATE, DELETE, UPSERT]"},
		{name: "weighted routing", method: "POST", path: rrset,
			body:   batch("<Change><Action>CREATE</Action><ResourceRecordSet><Name>w.example.test</Name><Type>A</Type><SetIdentifier>one</SetIdentifier><Weight>1</Weight><TTL>60</TTL><ResourceRecords><ResourceRecord><Value>192.0.2.1</Value></ResourceRecord></ResourceRecords></ResourceRecordSet></Change>"),
			status: 400, code: "InvalidInput"},
		{name: "health check", method: "POST", path: rrset,
			body:   batch("<Change><Action>CREATE</Action><ResourceRecordSet><Name>h.example.test</Name><Type>A</Type><HealthCheckId>hc-1</HealthCheckId><TTL>60</TTL><ResourceRecords><ResourceRecord><Value>192.0.2.1</Value></ResourceRecord></ResourceRecords></ResourceRecordSet></Change>"),
			status: 404, code: "NoSuchHealthCheck"},
		{name: "a bad value is reported before the zone is consulted", method: "POST", path: rrset + "/",
			body:   batch(a("CREATE", "www.example.test", "192.0.2.2") + a("DELETE", "nope.example.test", "192.0.2.3") + a("CREATE", "v4.example.test", "999.1.1.1")),
			status: 400, code: "InvalidChangeBatch", message: "[Invalid Resource Record: 'FATAL problem: ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address) encountered with '999.1.1.1'']"},
		{name: "batch against the zone, all listed", method: "POST", path: rrset + "/",
			body:   batch(a("CREATE", "www.example.test", "192.0.2.2") + a("DELETE", "nope.example.test", "192.0.2.3")),
			status: 400, code: "InvalidChangeBatch", message: "[Tried to create resource record set [name='www.example.test.', type='A'] but it already exists, " +
				"Tried to delete resource record set [name='nope.example.test.', type='A'] but it was not found]"},

		// Unknown IDs and routes.
		{name: "get unknown zone", method: "GET", path: "/2013-04-01/hostedzone/ZNOSUCHZONE",
			status: 404, code: "NoSuchHostedZone", message: "No hosted zone found with ID: ZNOSUCHZONE"},
		{name: "get zone by a prefixed ID", method: "GET", path: "/2013-04-01/hostedzone/%2Fhostedzone%2FZNOSUCHZONE",
			status: 404, code: "NoSuchHostedZone", message: "No hosted zone found with ID: ZNOSUCHZONE"},
		{name: "zone ID too long", method: "GET", path: "/2013-04-01/hostedzone/" + strings.Repeat("Z", 33),
			status: 400, code: "InvalidInput"},
		{name: "delete unknown zone", method: "DELETE", path: "/2013-04-01/hostedzone/ZNOSUCHZONE",
			status: 404, code: "NoSuchHostedZone", message: "No hosted zone found with ID: ZNOSUCHZONE"},
		{name: "change records of unknown zone", method: "POST", path: "/2013-04-01/hostedzone/ZNOSUCHZONE/rrset", body: batch(a("CREATE", "x.example.test", "192.0.2.1")),
			status: 404, code: "NoSuchHostedZone", message: "No hosted zone found with ID: ZNOSUCHZONE"},
		{name: "list records of unknown zone", method: "GET", path: "/2013-04-01/hostedzone/ZNOSUCHZONE/rrset",
			status: 404, code: "NoSuchHostedZone", message: "No hosted zone found with ID: ZNOSUCHZONE"},
		{name: "unknown change", method: "GET", path: "/2013-04-01/change/CNOSUCHCHANGE",
			status: 404, code: "NoSuchChange"},
		{name: "tags of unknown resource type", method: "GET", path: "/2013-04-01/tags/bucket/" + id,
			status: 400, code: "InvalidInput", message: "1 validation error detected: Value 'bucket' at 'resourceType' failed to satisfy constraint: Member must satisfy enum value set: [healthcheck, hostedzone]"},
		{name: "unknown route", method: "GET", path: "/2013-04-01/trafficpolicies",
			status: 404, code: "UnknownOperationException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := f.do(tc.method, tc.path, tc.body)
			e := parseError(t, body)
			if status != tc.status || e.Code != tc.code || (tc.message != "" && e.Message != tc.message) {
				t.Errorf("got %d %s %q,\nwant %d %s %q", status, e.Code, e.Message, tc.status, tc.code, tc.message)
			}
			if e.Type != "Sender" || e.RequestID == "" {
				t.Errorf("envelope: got type %q request id %q, want Sender and an id", e.Type, e.RequestID)
			}
		})
	}
}
