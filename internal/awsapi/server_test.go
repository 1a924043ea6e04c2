package awsapi_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"gatehouse/internal/awsapi"
	"gatehouse/internal/awsapi/awsapitest"
	"gatehouse/internal/model"
)

// echoInput exercises the decoders: a required member, a list, a nested
// structure and a number.
type echoInput struct {
	Name  string   `json:"Name" query:"Name" required:"true"`
	Items []string `json:"Items" query:"Item"`
	Port  *int     `json:"Port" query:"Port"`
	Inner *struct {
		Key   string `json:"Key" query:"Key" required:"true"`
		Value string `json:"Value" query:"Value"`
	} `json:"Inner" query:"Inner"`
}

type echoOutput struct {
	Name  string   `json:"Name" xml:"Name"`
	Items []string `json:"Items" xml:"Items>member"`
	Port  int      `json:"Port" xml:"Port"`
}

// echoOp is echo as a typed operation, for JSONOf and QueryOf.
func echoOp(_ context.Context, in *echoInput) (any, error) { return echo(*in) }

func echo(in echoInput) (any, error) {
	if in.Name == "missing" {
		return nil, model.NotFound("ThingNotFound", "No thing named %s", in.Name)
	}
	out := echoOutput{Name: in.Name, Items: in.Items}
	if in.Port != nil {
		out.Port = *in.Port
	}
	return out, nil
}

func services() []*awsapi.Service {
	jsonSvc := &awsapi.Service{Name: "jsonsvc", Protocol: awsapi.JSON, BadInput: "ValidationException", TargetPrefix: "JSONSvc_2020",
		Handler: awsapi.JSONOps(map[string]awsapi.JSONOp{"Echo": awsapi.JSONOf(echoOp)})}
	querySvc := &awsapi.Service{Name: "querysvc", Protocol: awsapi.Query, BadInput: "ValidationError", Version: "2015-12-01",
		XMLNamespace: "http://querysvc.example/doc/2015-12-01/", Handler: awsapi.QueryOps(map[string]awsapi.QueryOp{"Echo": awsapi.QueryOf(echoOp)})}
	ec2Svc := &awsapi.Service{Name: "ec2svc", Protocol: awsapi.EC2, BadInput: "InvalidParameterValue", Version: "2016-11-15",
		XMLNamespace: "http://ec2svc.example/doc/2016-11-15/", Handler: awsapi.QueryOps(map[string]awsapi.QueryOp{"Echo": awsapi.QueryOf(echoOp)})}
	restMux := awsapi.NewMux()
	restMux.Handle("GET /things/{name}", func(r *http.Request) (int, any, error) {
		out, err := echo(echoInput{Name: r.PathValue("name")})
		return http.StatusOK, out, err
	})
	restSvc := &awsapi.Service{Name: "restsvc", Protocol: awsapi.RestJSON, BadInput: "BadRequestException", PathPrefixes: []string{"/things"}, Handler: restMux}
	return []*awsapi.Service{jsonSvc, querySvc, ec2Svc, restSvc}
}

// call sends a request signed by the SDK's own SigV4 signer.
type call struct {
	method, path, target, body, contentType string
	service                                 string // signing name
	key, secret, region                     string
	at                                      time.Time
	unsigned, presign                       bool
	expires                                 string // X-Amz-Expires of a presigned call; 900 when empty
	tamper                                  func(*http.Request)
}

// One good call to each protocol family that services() serves; a test
// varies them with with.
var (
	jsonCall  = call{path: "/", target: "JSONSvc_2020.Echo", service: "jsonsvc", body: `{"Name":"a"}`}
	queryCall = call{path: "/", service: "querysvc", contentType: "application/x-www-form-urlencoded", body: "Action=Echo&Version=2015-12-01&Name=a"}
	ec2Call   = call{path: "/", service: "ec2svc", contentType: "application/x-www-form-urlencoded", body: "Action=Echo&Version=2016-11-15&Name=a"}
	restCall  = call{method: "GET", path: "/things/a", service: "restsvc"}
)

// with is c changed by f.
func with(c call, f func(*call)) call { f(&c); return c }

type answer struct {
	status          int
	code, message   string
	body, requestID string
}

func do(t *testing.T, base string, c call) answer {
	t.Helper()
	if c.method == "" {
		c.method = http.MethodPost
	}
	req, err := http.NewRequest(c.method, base+c.path, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	if c.target != "" {
		req.Header.Set("X-Amz-Target", c.target)
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	}
	if c.contentType != "" {
		req.Header.Set("Content-Type", c.contentType)
	}
	status, header, b := sendAs(t, req, c)
	a := answer{status: status, body: string(b), requestID: header.Get("x-amzn-RequestId")}
	if status >= 300 {
		a.code, a.message = parseError(t, header, b)
	}
	return a
}

// sendAs signs req as c says (by default as the SDKs sign, with
// awsapitest's keys, for us-west-2, now; or with another key pair, region or
// time, presigned, unsigned, changed after signing) and sends it.
func sendAs(t *testing.T, req *http.Request, c call) (int, http.Header, []byte) {
	t.Helper()
	if c.key == "" {
		c.key = awsapitest.Key
	}
	if c.secret == "" {
		c.secret = awsapitest.Secret
	}
	if c.at.IsZero() {
		c.at = time.Now()
	}
	if c.region == "" {
		c.region = "us-west-2"
	}
	sum := sha256.Sum256([]byte(c.body))
	creds := aws.Credentials{AccessKeyID: c.key, SecretAccessKey: c.secret}
	switch {
	case c.unsigned:
	case c.presign:
		q := req.URL.Query()
		if c.expires == "" {
			c.expires = "900"
		}
		q.Set("X-Amz-Expires", c.expires)
		req.URL.RawQuery = q.Encode()
		u, signed, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), c.service, c.region, c.at)
		if err != nil {
			t.Fatal(err)
		}
		original := req.Header
		if req, err = http.NewRequest(c.method, u, strings.NewReader(c.body)); err != nil {
			t.Fatal(err)
		}
		// The protocol's headers (X-Amz-Target, Content-Type) and any the
		// signature covers go along, as a presigned URL's user sends them.
		req.Header = original.Clone()
		for k, vs := range signed {
			if !strings.EqualFold(k, "Host") {
				req.Header[k] = vs
			}
		}
	default:
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), c.service, c.region, c.at); err != nil {
			t.Fatal(err)
		}
	}
	if c.tamper != nil {
		c.tamper(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// parseError reads any of the four error envelopes.
func parseError(t *testing.T, h http.Header, b []byte) (code, message string) {
	t.Helper()
	if strings.HasPrefix(strings.TrimSpace(string(b)), "{") {
		var e struct{ Type, Message string }
		var raw map[string]string
		if err := json.Unmarshal(b, &raw); err != nil {
			t.Fatalf("error body %q: %v", b, err)
		}
		e.Type, e.Message = raw["__type"], raw["message"]
		if e.Type == "" {
			e.Type = h.Get("x-amzn-ErrorType")
		}
		return e.Type, e.Message
	}
	var x struct {
		Code    string `xml:"Error>Code"`
		Message string `xml:"Error>Message"`
		EC2Code string `xml:"Errors>Error>Code"`
		EC2Msg  string `xml:"Errors>Error>Message"`
	}
	if err := xml.Unmarshal(b, &x); err != nil {
		t.Fatalf("error body %q: %v", b, err)
	}
	if x.EC2Code != "" {
		return x.EC2Code, x.EC2Msg
	}
	return x.Code, x.Message
}

func TestProtocolsAndEnvelopes(t *testing.T) {
	base, _ := awsapitest.Start(t, services()...)
	form := "application/x-www-form-urlencoded; charset=utf-8"
	tests := []struct {
		name          string
		c             call
		status        int
		code, message string
		body          string // substring of a 200 body
	}{
		{"json ok", call{path: "/", target: "JSONSvc_2020.Echo", service: "jsonsvc", body: `{"Name":"a","Items":["x","y"],"Port":8}`},
			200, "", "", `{"Name":"a","Items":["x","y"],"Port":8}`},
		{"json empty body is {}", call{path: "/", target: "JSONSvc_2020.Echo", service: "jsonsvc"},
			400, "ValidationException", "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null", ""},
		{"json nested required", call{path: "/", target: "JSONSvc_2020.Echo", service: "jsonsvc", body: `{"Inner":{}}`},
			400, "ValidationException", "2 validation errors detected: Value null at 'name' failed to satisfy constraint: Member must not be null; Value null at 'key' failed to satisfy constraint: Member must not be null", ""},
		{"json syntax", call{path: "/", target: "JSONSvc_2020.Echo", service: "jsonsvc", body: `{"Name":`},
			400, "SerializationException", "", ""},
		{"json wrong type", call{path: "/", target: "JSONSvc_2020.Echo", service: "jsonsvc", body: `{"Name":5}`},
			400, "SerializationException", "Unexpected number at 'Name'", ""},
		{"json body over 2 MiB", call{path: "/", target: "JSONSvc_2020.Echo", service: "jsonsvc", body: `{"Name":"` + strings.Repeat("a", 2<<20) + `"}`},
			413, "RequestEntityTooLarge", "Request body must be at most 2097152 bytes", ""},
		{"json unknown op", call{path: "/", target: "JSONSvc_2020.Nope", service: "jsonsvc", body: `{}`},
			400, "UnknownOperationException", "", ""},
		{"json service error", call{path: "/", target: "JSONSvc_2020.Echo", service: "jsonsvc", body: `{"Name":"missing"}`},
			404, "ThingNotFound", "No thing named missing", ""},
		{"query ok", call{path: "/", service: "querysvc", contentType: form, body: "Action=Echo&Version=2015-12-01&Name=a&Item.member.1=x&Item.member.2=y&Port=8"},
			200, "", "", `<EchoResponse xmlns="http://querysvc.example/doc/2015-12-01/"><EchoResult><Name>a</Name><Items><member>x</member><member>y</member></Items><Port>8</Port></EchoResult><ResponseMetadata><RequestId>`},
		{"query missing", call{path: "/", service: "querysvc", contentType: form, body: "Action=Echo&Version=2015-12-01"},
			400, "ValidationError", "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null", ""},
		{"query not a number", call{path: "/", service: "querysvc", contentType: form, body: "Action=Echo&Version=2015-12-01&Name=a&Port=x"},
			400, "ValidationError", "Value 'x' at 'Port' is not a valid integer", ""},
		{"query body not a form", call{path: "/", service: "querysvc", contentType: form, body: "Action=Echo&Version=2015-12-01&Name=%zz"},
			400, "ValidationError", "", ""},
		{"query unknown action", call{path: "/", service: "querysvc", contentType: form, body: "Action=Nope&Version=2015-12-01"},
			400, "InvalidAction", "Could not find operation Nope for version 2015-12-01", ""},
		{"query service error", call{path: "/", service: "querysvc", contentType: form, body: "Action=Echo&Version=2015-12-01&Name=missing"},
			404, "ThingNotFound", "No thing named missing", ""},
		{"ec2 ok", call{path: "/", service: "ec2svc", contentType: form, body: "Action=Echo&Version=2016-11-15&Name=a&Item.1=x&Inner.Key=k"},
			200, "", "", `<EchoResponse xmlns="http://ec2svc.example/doc/2016-11-15/"><requestId>`},
		{"ec2 missing", call{path: "/", service: "ec2svc", contentType: form, body: "Action=Echo&Version=2016-11-15&Inner.Value=v"},
			400, "MissingParameter", "The request must contain the parameter Name", ""},
		{"ec2 unknown action", call{path: "/", service: "ec2svc", contentType: form, body: "Action=Nope&Version=2016-11-15"},
			400, "InvalidAction", "The action Nope is not valid for this web service.", ""},
		{"rest ok", call{method: "GET", path: "/things/a%2Fb", service: "restsvc"},
			200, "", "", `{"Name":"a/b","Items":null,"Port":0}`},
		{"rest service error", call{method: "GET", path: "/things/missing", service: "restsvc"},
			404, "ThingNotFound", "No thing named missing", ""},
		{"rest unknown route", call{method: "DELETE", path: "/things/a", service: "restsvc"},
			404, "UnknownOperationException", "No operation matches DELETE /things/a", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := do(t, base, tc.c)
			if a.status != tc.status || a.code != tc.code || (tc.message != "" && a.message != tc.message) {
				t.Fatalf("got %d %s %q, want %d %s %q\n%s", a.status, a.code, a.message, tc.status, tc.code, tc.message, a.body)
			}
			if tc.body != "" && !strings.Contains(a.body, tc.body) {
				t.Fatalf("body %s\nwant it to contain %s", a.body, tc.body)
			}
			if a.requestID == "" {
				t.Fatal("no x-amzn-RequestId")
			}
		})
	}
}

// TestSignatures is what the issue asks to prove: bad signatures, unknown keys
// and stale dates are refused, each in the service's own words.
func TestSignatures(t *testing.T) {
	base, _ := awsapitest.Start(t, services()...)
	stale := time.Now().Add(-20 * time.Minute)
	tests := []struct {
		name          string
		c             call
		status        int
		code, message string
	}{
		{"json good", jsonCall, 200, "", ""},
		{"json unknown key", with(jsonCall, func(c *call) { c.key, c.secret = "AKIDNOPE", "x" }), 400, "UnrecognizedClientException", "The security token included in the request is invalid."},
		{"json bad secret", with(jsonCall, func(c *call) { c.secret = "wrong" }), 400, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."},
		{"json stale", with(jsonCall, func(c *call) { c.at = stale }), 400, "InvalidSignatureException", ""},
		{"json unsigned", with(jsonCall, func(c *call) { c.unsigned = true }), 400, "MissingAuthenticationTokenException", "Missing Authentication Token"},
		{"json body changed after signing", with(jsonCall, func(c *call) {
			c.tamper = func(r *http.Request) {
				r.Body = io.NopCloser(strings.NewReader(`{"Name":"b"}`))
				r.ContentLength = int64(len(`{"Name":"b"}`))
			}
		}), 400, "InvalidSignatureException", ""},
		{"json incomplete", with(jsonCall, func(c *call) {
			c.tamper = func(r *http.Request) {
				r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/us-west-2/jsonsvc/aws4_request")
			}
		}), 400, "IncompleteSignatureException", ""},
		{"json another region", with(jsonCall, func(c *call) { c.region = "us-east-1" }), 400, "InvalidSignatureException", "Credential should be scoped to a valid region, not 'us-east-1'. "},
		{"query good", queryCall, 200, "", ""},
		{"query another region", with(queryCall, func(c *call) { c.region = "eu-west-1" }), 403, "SignatureDoesNotMatch", "Credential should be scoped to a valid region, not 'eu-west-1'. "},
		{"query unknown key", with(queryCall, func(c *call) { c.key, c.secret = "AKIDNOPE", "x" }), 403, "InvalidClientTokenId", "The security token included in the request is invalid."},
		{"query bad secret", with(queryCall, func(c *call) { c.secret = "wrong" }), 403, "SignatureDoesNotMatch", ""},
		{"query stale", with(queryCall, func(c *call) { c.at = stale }), 403, "SignatureDoesNotMatch", ""},
		{"query future", with(queryCall, func(c *call) { c.at = time.Now().Add(20 * time.Minute) }), 403, "SignatureDoesNotMatch", ""},
		{"query unsigned", with(queryCall, func(c *call) { c.unsigned = true }), 403, "MissingAuthenticationToken", "Request is missing Authentication Token"},
		{"ec2 bad secret", with(ec2Call, func(c *call) { c.secret = "wrong" }), 401, "AuthFailure", "AWS was not able to validate the provided access credentials"},
		{"ec2 stale", with(ec2Call, func(c *call) { c.at = stale }), 400, "RequestExpired", "Request has expired."},
		{"rest good", restCall, 200, "", ""},
		{"rest bad secret", with(restCall, func(c *call) { c.secret = "wrong" }), 403, "InvalidSignatureException", ""},
		{"rest unknown key", with(restCall, func(c *call) { c.key, c.secret = "AKIDNOPE", "x" }), 403, "UnrecognizedClientException", ""},
		{"rest presigned", with(restCall, func(c *call) { c.presign = true }), 200, "", ""},
		{"rest presigned expired", with(restCall, func(c *call) { c.presign = true; c.at = time.Now().Add(-2 * time.Hour) }), 403, "InvalidSignatureException", "Request has expired."},
		{"rest presigned query changed", with(restCall, func(c *call) {
			c.presign = true
			c.tamper = func(r *http.Request) { r.URL.RawQuery += "&extra=1" }
		}), 403, "InvalidSignatureException", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := do(t, base, tc.c)
			if a.status != tc.status || a.code != tc.code || (tc.message != "" && a.message != tc.message) {
				t.Fatalf("got %d %s %q, want %d %s %q\n%s", a.status, a.code, a.message, tc.status, tc.code, tc.message, a.body)
			}
			if tc.code == "InvalidSignatureException" && strings.Contains(tc.name, "stale") && !strings.HasPrefix(a.message, "Signature expired: ") {
				t.Fatalf("stale date answered %q", a.message)
			}
		})
	}
}

func TestUnknownService(t *testing.T) {
	base, _ := awsapitest.Start(t, services()...)
	a := do(t, base, call{method: "GET", path: "/nothing-here", service: "nosuchsvc"})
	if a.status != 404 || a.code != "UnknownOperationException" {
		t.Fatalf("got %d %s", a.status, a.code)
	}
}

// TestCredentialScopeAndClock covers what a signature is valid for besides its
// HMAC: the service named in the credential scope must be the API called
// (found by the protocol's markers, as AWS finds it by the host name), and a
// date may not run ahead of the clock, for presigned URLs too, nor a
// presigned URL live longer than 7 days. Each refusal is in the family's own
// envelope.
func TestCredentialScopeAndClock(t *testing.T) {
	base, _ := awsapitest.Start(t, services()...)
	scopedTo := func(svc string) func(*call) { return func(c *call) { c.service = svc } }
	presigned := func(at time.Time, expires string) func(*call) {
		return func(c *call) { c.presign, c.at, c.expires = true, at, expires }
	}
	yearAhead := time.Now().AddDate(1, 0, 0)
	const overWeek = "604801"
	const overWeekMsg = "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds"
	tests := []struct {
		name          string
		c             call
		status        int
		code, message string // message: prefix of the answer's
	}{
		{"json scoped to s3", with(jsonCall, scopedTo("s3")), 400, "InvalidSignatureException", "Credential should be scoped to correct service: 'jsonsvc'. "},
		{"json scoped to another served service", with(jsonCall, scopedTo("restsvc")), 400, "InvalidSignatureException", "Credential should be scoped to correct service: 'jsonsvc'. "},
		{"json wrong region and service", with(jsonCall, func(c *call) { c.service, c.region = "s3", "eu-west-1" }), 400, "InvalidSignatureException",
			"Credential should be scoped to a valid region, not 'eu-west-1'. Credential should be scoped to correct service: 'jsonsvc'. "},
		{"json presigned a year ahead", with(jsonCall, presigned(yearAhead, "604800")), 400, "InvalidSignatureException", "Signature not yet current: "},
		{"json future header", with(jsonCall, func(c *call) { c.at = time.Now().Add(20 * time.Minute) }), 400, "InvalidSignatureException", "Signature not yet current: "},
		{"json presigned over 7 days", with(jsonCall, presigned(time.Now(), overWeek)), 400, "IncompleteSignatureException", overWeekMsg},
		{"json presigned 7 days", with(jsonCall, presigned(time.Now(), "604800")), 200, "", ""},
		{"query scoped to s3", with(queryCall, scopedTo("s3")), 403, "SignatureDoesNotMatch", "Credential should be scoped to correct service: 'querysvc'. "},
		{"query scoped to ec2svc", with(queryCall, scopedTo("ec2svc")), 403, "SignatureDoesNotMatch", "Credential should be scoped to correct service: 'querysvc'. "},
		{"query presigned a year ahead", with(queryCall, presigned(yearAhead, "604800")), 403, "SignatureDoesNotMatch", "Signature not yet current: "},
		{"query presigned over 7 days", with(queryCall, presigned(time.Now(), overWeek)), 400, "IncompleteSignature", overWeekMsg},
		{"ec2 scoped to s3", with(ec2Call, scopedTo("s3")), 401, "AuthFailure", "Credential should be scoped to correct service: 'ec2svc'. "},
		{"ec2 presigned a year ahead", with(ec2Call, presigned(yearAhead, "604800")), 400, "RequestExpired", "Request has expired."},
		{"ec2 presigned over 7 days", with(ec2Call, presigned(time.Now(), overWeek)), 400, "IncompleteSignature", overWeekMsg},
		{"rest scoped to s3", with(restCall, scopedTo("s3")), 403, "InvalidSignatureException", "Credential should be scoped to correct service: 'restsvc'. "},
		{"rest scoped to jsonsvc", with(restCall, scopedTo("jsonsvc")), 403, "InvalidSignatureException", "Credential should be scoped to correct service: 'restsvc'. "},
		{"rest presigned scoped to s3", with(restCall, func(c *call) { c.presign, c.service = true, "s3" }), 403, "InvalidSignatureException", "Credential should be scoped to correct service: 'restsvc'. "},
		{"rest presigned a year ahead", with(restCall, presigned(yearAhead, "604800")), 403, "InvalidSignatureException", "Signature not yet current: "},
		{"rest presigned 14 minutes ahead", with(restCall, presigned(time.Now().Add(14*time.Minute), "60")), 200, "", ""},
		{"rest presigned over 7 days", with(restCall, presigned(time.Now(), overWeek)), 403, "IncompleteSignatureException", overWeekMsg},
		// A request no service's markers claim still goes to the scoped
		// service, which names the unknown operation.
		{"rest unknown path scoped to restsvc", with(restCall, func(c *call) { c.path = "/elsewhere" }), 404, "UnknownOperationException", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := do(t, base, tc.c)
			if a.status != tc.status || a.code != tc.code || !strings.HasPrefix(a.message, tc.message) {
				t.Fatalf("got %d %s %q, want %d %s %q…\n%s", a.status, a.code, a.message, tc.status, tc.code, tc.message, a.body)
			}
		})
	}
}
