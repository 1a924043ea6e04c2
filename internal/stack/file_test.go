package stack

import (
	"os"
	"strings"
	"testing"
)

func TestExampleIsValid(t *testing.T) {
	r, err := os.Open("../../examples/static-ip-api.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	f, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Validate(); err != nil {
		t.Fatalf("example: %v", err)
	}
	if len(f.APIs) != 1 || f.APIs[0].Resources["/"]["GET"].Integration.Type != "MOCK" {
		t.Fatalf("example API parsed as %+v", f.APIs)
	}
}

func TestParseAndValidateErrorsNameTheProblem(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string // substrings of the error
	}{
		{"malformed YAML", "zones: [name: x", []string{"stack file", "line"}},
		{"unknown field", "zones: [{name: x, colour: red}]", []string{"colour", "not found"}},
		{"wrong type", "zones: {name: x}", []string{"cannot unmarshal"}},
		{"mapping to a missing stage", `
certificates: [{name: c, domain: a.test}]
apis: [{name: demo, resources: {/: {GET: {integration: {type: MOCK}}}}, stages: [{name: prod}]}]
domainNames: [{name: a.test, certificate: c, mappings: [{api: demo, stage: prodd}]}]`,
			[]string{`domainNames[0] "a.test".mappings[0].stage`, `api "demo" has no stage "prodd"`}},
		{"unknown certificate", `
domainNames: [{name: a.test, certificate: nope}]`, []string{`domainNames[0] "a.test".certificate`, `unknown certificate "nope"`}},
		{"duplicate name", `zones: [{name: a.test}, {name: a.test.}]`, []string{"zones[1]", "defined twice"}},
		{"record without target", `
zones: [{name: a.test}]
records: [{zone: a.test, name: x.a.test}]`, []string{`records[0] "x.a.test"`, "values or an alias"}},
		{"listener forwards nowhere", `
loadBalancers: [{name: lb, subnets: [a, b], listeners: [{port: 80, forward: ghost}]}]`,
			[]string{`loadBalancers[0] "lb".listeners[0].forward`, `unknown target group "ghost"`}},
		{"bad method", `
apis: [{name: a, resources: {/: {FETCH: {integration: {type: MOCK}}}}}]`, []string{`FETCH`}},
		{"rule from an unknown group", `
securityGroups: [{name: endpoint-sg, ingress: [{protocol: tcp, port: 443, sourceSecurityGroup: lb-sgg}]}, {name: lb-sg}]`,
			[]string{`securityGroups[0] "endpoint-sg".ingress[0].sourceSecurityGroup`, `unknown security group "lb-sgg"`}},
		{"rule with two sources", `
securityGroups: [{name: lb-sg}, {name: endpoint-sg, ingress: [{port: 443, cidr: 0.0.0.0/0, sourceSecurityGroup: lb-sg}]}]`,
			[]string{`securityGroups[1] "endpoint-sg".ingress[0]`, "cidr and sourceSecurityGroup exclude each other"}},
		{"load balancer in an unknown group", `
loadBalancers: [{name: lb, subnets: [a, b], securityGroups: [lb-sg]}]`,
			[]string{`loadBalancers[0] "lb".securityGroups[0]`, `unknown security group "lb-sg"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse(strings.NewReader(tt.yaml))
			if err == nil {
				err = f.Validate()
			}
			if err == nil {
				t.Fatal("got no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// FuzzParse: any bytes give a file or an error, never a panic, and a parsed
// file's Validate never panics either.
func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile("../../examples/static-ip-api.yaml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("zones: [{name: x}]\nrecords: [{zone: x, name: y, alias: {}}]"))
	f.Add([]byte("apis: [{name: a, resources: {/: {GET: {}}}}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(strings.NewReader(string(data)))
		if err != nil {
			return
		}
		_ = file.Validate()
	})
}
