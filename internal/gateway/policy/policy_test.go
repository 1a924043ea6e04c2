package policy

import (
	"strings"
	"testing"
)

const apiARN = "arn:aws:execute-api:us-west-2:000000000000:a1b2c3d4e5"

func req(stage, verb, path string, ctx map[string]string) Request {
	return Request{
		Action:   "execute-api:Invoke",
		Resource: apiARN + "/" + stage + "/" + verb + "/" + path,
		Context:  ctx,
	}
}

// The standard private-API policies of the API Gateway documentation (aws-behaviors §A7).
func TestEvaluateStandardPolicies(t *testing.T) {
	const open = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*"}]}`
	const vpceDeny = `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*"},
		{"Effect":"Deny","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*",
		 "Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}}]}`
	const vpcDeny = `{"Statement":[
		{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*"},
		{"Effect":"Deny","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*",
		 "Condition":{"StringNotEquals":{"aws:SourceVpc":"vpc-111"}}}]}`
	const vpceAllowList = `{"Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":["execute-api:Invoke"],"Resource":["execute-api:/*"],
		"Condition":{"StringEquals":{"aws:SourceVpce":["vpce-1","vpce-2"]}}}}`
	const ipAllow = `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*",
		"Condition":{"IpAddress":{"aws:VpcSourceIp":["10.0.0.0/16","192.168.1.7"]}}}]}`
	const ipDeny = `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*"},
		{"Effect":"Deny","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*",
		"Condition":{"NotIpAddress":{"aws:SourceIp":"127.0.0.0/8"}}}]}`
	const pathOnly = `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":["execute-api:/prod/GET/pets","execute-api:/prod/*/pets/*"]}]}`
	const full = `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:*","Resource":"arn:aws:execute-api:us-west-2:000000000000:a1b2c3d4e5/prod/GET/*"}]}`
	const notRes = `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*"},
		{"Effect":"Deny","Principal":"*","Action":"execute-api:Invoke","NotResource":"execute-api:/prod/*"}]}`
	const ifExists = `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"*",
		"Condition":{"StringLikeIfExists":{"aws:UserAgent":"curl/*"}}}]}`
	const forAny = `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"*",
		"Condition":{"ForAnyValue:StringEquals":{"aws:SourceVpce":["vpce-1","vpce-9"]}}}]}`
	const iamOnly = `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"execute-api:Invoke","Resource":"execute-api:/*"}]}`
	const secure = `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*",
		"Condition":{"Bool":{"aws:SecureTransport":true}}}]}`

	tests := []struct {
		name   string
		policy string
		req    Request
		want   Decision
	}{
		{"open allows root", open, req("prod", "GET", "", nil), Allow},
		{"open allows deep path", open, req("prod", "POST", "a/b/c", nil), Allow},
		{"open other api", open, Request{Action: "execute-api:Invoke", Resource: "arn:aws:execute-api:us-west-2:000000000000:other/prod/GET/"}, ImplicitDeny},
		{"open other action", open, Request{Action: "execute-api:ManageConnections", Resource: apiARN + "/prod/GET/"}, ImplicitDeny},
		{"vpce deny: listed endpoint", vpceDeny, req("prod", "GET", "", map[string]string{"aws:SourceVpce": "vpce-1a2b3c4d"}), Allow},
		{"vpce deny: other endpoint", vpceDeny, req("prod", "GET", "", map[string]string{"aws:SourceVpce": "vpce-zzz"}), ExplicitDeny},
		{"vpce deny: key case-insensitive", vpceDeny, req("prod", "GET", "", map[string]string{"AWS:SOURCEVPCE": "vpce-1a2b3c4d"}), Allow},
		{"vpce deny: no key denies", vpceDeny, req("prod", "GET", "", nil), ExplicitDeny},
		{"vpc deny: listed vpc", vpcDeny, req("prod", "GET", "", map[string]string{"aws:SourceVpc": "vpc-111"}), Allow},
		{"vpc deny: other vpc", vpcDeny, req("prod", "GET", "", map[string]string{"aws:SourceVpc": "vpc-222"}), ExplicitDeny},
		{"vpce allow list: second", vpceAllowList, req("prod", "GET", "x", map[string]string{"aws:SourceVpce": "vpce-2"}), Allow},
		{"vpce allow list: unlisted", vpceAllowList, req("prod", "GET", "x", map[string]string{"aws:SourceVpce": "vpce-3"}), ImplicitDeny},
		{"ip allow: in cidr", ipAllow, req("prod", "GET", "", map[string]string{"aws:VpcSourceIp": "10.0.3.4"}), Allow},
		{"ip allow: exact address", ipAllow, req("prod", "GET", "", map[string]string{"aws:VpcSourceIp": "192.168.1.7"}), Allow},
		{"ip allow: outside", ipAllow, req("prod", "GET", "", map[string]string{"aws:VpcSourceIp": "10.1.0.1"}), ImplicitDeny},
		{"ip allow: not an ip", ipAllow, req("prod", "GET", "", map[string]string{"aws:VpcSourceIp": "x"}), ImplicitDeny},
		{"ip deny: inside", ipDeny, req("prod", "GET", "", map[string]string{"aws:SourceIp": "127.0.13.9"}), Allow},
		{"ip deny: outside", ipDeny, req("prod", "GET", "", map[string]string{"aws:SourceIp": "8.8.8.8"}), ExplicitDeny},
		{"path: exact", pathOnly, req("prod", "GET", "pets", nil), Allow},
		{"path: other verb", pathOnly, req("prod", "POST", "pets", nil), ImplicitDeny},
		{"path: wildcard verb", pathOnly, req("prod", "DELETE", "pets/7", nil), Allow},
		{"path: other stage", pathOnly, req("dev", "GET", "pets", nil), ImplicitDeny},
		{"full arn", full, req("prod", "GET", "x", nil), Allow},
		{"full arn other verb", full, req("prod", "PUT", "x", nil), ImplicitDeny},
		{"not resource: prod", notRes, req("prod", "GET", "", nil), Allow},
		{"not resource: dev", notRes, req("dev", "GET", "", nil), ExplicitDeny},
		{"if exists: absent", ifExists, req("prod", "GET", "", nil), Allow},
		{"if exists: matches", ifExists, req("prod", "GET", "", map[string]string{"aws:UserAgent": "curl/8.0"}), Allow},
		{"if exists: differs", ifExists, req("prod", "GET", "", map[string]string{"aws:UserAgent": "wget"}), ImplicitDeny},
		{"for any value", forAny, req("prod", "GET", "", map[string]string{"aws:SourceVpce": "vpce-9"}), Allow},
		{"for any value absent", forAny, req("prod", "GET", "", nil), ImplicitDeny},
		{"iam principal: anonymous", iamOnly, req("prod", "GET", "", nil), ImplicitDeny},
		{"bool: true", secure, req("prod", "GET", "", map[string]string{"aws:SecureTransport": "true"}), Allow},
		{"bool: false", secure, req("prod", "GET", "", map[string]string{"aws:SecureTransport": "false"}), ImplicitDeny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.policy)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := p.Bind(apiARN).Evaluate(tt.req); got != tt.want {
				t.Errorf("Bind+Evaluate: got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"not json", `{`, "not valid JSON"},
		{"no statement", `{"Version":"2012-10-17"}`, "no Statement"},
		{"empty statements", `{"Statement":[]}`, "no Statement"},
		{"bad version", `{"Version":"2020-01-01","Statement":[]}`, "version"},
		{"bad effect", `{"Statement":{"Effect":"Maybe","Principal":"*","Action":"a","Resource":"*"}}`, "effect must be"},
		{"no principal", `{"Statement":{"Effect":"Allow","Action":"a","Resource":"*"}}`, "Principal"},
		{"no action", `{"Statement":{"Effect":"Allow","Principal":"*","Resource":"*"}}`, "Action"},
		{"both actions", `{"Statement":{"Effect":"Allow","Principal":"*","Action":"a","NotAction":"b","Resource":"*"}}`, "both Action"},
		{"no resource", `{"Statement":{"Effect":"Allow","Principal":"*","Action":"a"}}`, "Resource"},
		{"bad operator", `{"Statement":{"Effect":"Allow","Principal":"*","Action":"a","Resource":"*","Condition":{"StringSorta":{"k":"v"}}}}`, "unknown condition operator"},
		{"bad cidr", `{"Statement":{"Effect":"Allow","Principal":"*","Action":"a","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"300.1.1.1/8"}}}}`, "not an IP"},
		{"unknown field", `{"Statement":{"Effect":"Allow","Principal":"*","Action":"a","Resource":"*","Bogus":1}}`, "Bogus"},
		{"plain principal", `{"Statement":{"Effect":"Allow","Principal":"me","Action":"a","Resource":"*"}}`, "principal"},
		{"action number", `{"Statement":{"Effect":"Allow","Principal":"*","Action":7,"Resource":"*"}}`, "string"},
		{"too long", `{"Statement":[` + strings.Repeat(" ", MaxLength) + `]}`, "more than 8192"},
		{"trailing data", `{"Statement":{"Effect":"Allow","Principal":"*","Action":"a","Resource":"*"}} {}`, "after"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.doc)
			if err == nil {
				t.Fatalf("Parse: got nil error, want one containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse: got %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func FuzzParseEvaluate(f *testing.F) {
	f.Add(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*"}]}`, "prod/GET/", "vpce-1", "127.0.0.1")
	f.Add(`{"Statement":{"Effect":"Deny","Principal":{"AWS":["*"]},"NotAction":"x*","Resource":"*","Condition":{"ForAllValues:StringNotLikeIfExists":{"aws:SourceVpce":"vpce-*"},"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}}`, "dev/POST/a/b", "vpce-2", "::1")
	f.Add(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"},"Null":{"aws:UserAgent":"false"}}}]}`, "", "", "")
	f.Fuzz(func(t *testing.T, doc, path, vpce, ip string) {
		p, err := Parse(doc)
		if err != nil {
			return
		}
		r := Request{
			Action:   "execute-api:Invoke",
			Resource: apiARN + "/" + path,
			Context:  map[string]string{"aws:SourceVpce": vpce, "aws:SourceIp": ip, "aws:CurrentTime": "2025-01-01T00:00:00Z"},
		}
		bound := p.Bind(apiARN)
		d := bound.Evaluate(r)
		// Binding expands only short forms, which a bound policy no longer has.
		if d2 := bound.Bind(apiARN).Evaluate(r); d2 != d {
			t.Errorf("policy bound twice decided %v, bound once %v", d2, d)
		}
	})
}
