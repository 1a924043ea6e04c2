package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"gatehouse/internal/model"
)

// Change is one difference between the running state and the stack file: a
// change an apply makes (and logs), or one Plan finds it would make.
type Change struct {
	Resource string `json:"resource"` // kind/name as the file names it, e.g. "securityGroup/endpoint-sg"
	Field    string `json:"field"`    // e.g. "ingress", "resources[/].GET"; empty: the resource itself
	Old      string `json:"old"`      // as it runs; "(absent)" when it does not exist
	New      string `json:"new"`      // as the file says; "(absent)" when the file removes it
}

func (c Change) String() string {
	return fmt.Sprintf("%s %s: %s → %s", c.Resource, cmpOr(c.Field, "(resource)"), c.Old, c.New)
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

const (
	// absent is the value of what does not exist (yet, or any more).
	absent = "(absent)"
	// planned is the id of a resource a plan would create: it has none yet.
	planned = "(to be created)"
)

func created(resource string) Change {
	return Change{Resource: resource, Old: absent, New: "(created)"}
}

// Plan returns the changes Apply would make to bring the running state to f,
// without making any: how the running state differs from the file. It reads
// only s.Store and s.Env, so it runs as well beside a serving daemon as on a
// store no daemon holds. Changes are in apply order.
func Plan(ctx context.Context, s Services, f *File) ([]Change, error) {
	return run(ctx, s, f, nil, true)
}

// PlanFile parses a stack file (YAML, as Parse reads it) and plans it: what
// gatehouse diff asks a running daemon for.
func PlanFile(ctx context.Context, s Services, yaml []byte) ([]Change, error) {
	f, err := Parse(bytes.NewReader(yaml))
	if err != nil {
		return nil, err
	}
	return Plan(ctx, s, f)
}

// permissionsText is ingress rules as a user reads them, one source (CIDR or
// group id) each, sorted: "[tcp 443 0.0.0.0/0, tcp 443 sg-0123…, udp 53 10.0.0.0/8]".
func permissionsText(ps []model.IPPermission) string {
	var out []string
	for _, p := range ps {
		ports := strconv.Itoa(p.FromPort)
		if p.ToPort != p.FromPort {
			ports += "-" + strconv.Itoa(p.ToPort)
		}
		proto := p.Protocol
		if proto == "-1" {
			proto, ports = "all", ""
		}
		sources := slices.Clone(p.CIDRs)
		for _, g := range p.Groups {
			sources = append(sources, g.GroupID)
		}
		for _, src := range sources {
			out = append(out, strings.Join(slices.DeleteFunc([]string{proto, ports, src}, func(s string) bool { return s == "" }), " "))
		}
	}
	return listText(out)
}

// listText is a sorted list: "[a, b]".
func listText(items []string) string {
	items = slices.Sorted(slices.Values(items))
	return "[" + strings.Join(items, ", ") + "]"
}

// policyText is a policy document as compact JSON, "(none)" when empty.
func policyText(doc string) string {
	if doc == "" {
		return "(none)"
	}
	var v any
	if json.Unmarshal([]byte(doc), &v) != nil {
		return doc
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func quoted(s string) string { return strconv.Quote(s) }

func (a *applier) subnetsText(ids []string) string {
	var out []string
	for _, id := range ids {
		name := id
		for _, sn := range a.subnets {
			if sn.ID == id {
				name = sn.AvailabilityZone
			}
		}
		out = append(out, name)
	}
	return listText(out)
}

// securityGroupsText names security groups by the file's names where it can.
func (a *applier) securityGroupsText(ids []string) string {
	var out []string
	for _, id := range ids {
		out = append(out, nameOf(a.sgs, id, func(v string) string { return v }))
	}
	return listText(out)
}

// nameOf returns the file's name of the resource whose id is id, or id.
func nameOf[T any](byName map[string]T, id string, idOf func(T) string) string {
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		if idOf(byName[name]) == id {
			return name
		}
	}
	return id
}

func recordText(r *model.RecordSet) string {
	if r.Alias != nil {
		return "alias " + r.Alias.DNSName
	}
	return fmt.Sprintf("ttl %d %s", r.TTL, listText(r.Records))
}

// methodText is what the file controls of a method, as compact JSON.
func methodText(m *model.Method) string {
	if m == nil {
		return absent
	}
	type reply struct {
		SelectionPattern string            `json:"selectionPattern,omitempty"`
		Parameters       map[string]string `json:"parameters,omitempty"`
		Templates        map[string]string `json:"templates,omitempty"`
	}
	v := struct {
		Auth             string            `json:"authorization"`
		APIKeyRequired   bool              `json:"apiKeyRequired,omitempty"`
		Type             string            `json:"type,omitempty"`
		HTTPMethod       string            `json:"httpMethod,omitempty"`
		URI              string            `json:"uri,omitempty"`
		RequestTemplates map[string]string `json:"requestTemplates,omitempty"`
		Responses        map[string]reply  `json:"responses,omitempty"`
	}{Auth: m.AuthorizationType, APIKeyRequired: m.APIKeyRequired, Responses: map[string]reply{}}
	for code := range m.MethodResponses {
		v.Responses[code] = reply{}
	}
	if in := m.Integration; in != nil {
		v.Type, v.URI, v.RequestTemplates = in.Type, in.URI, in.RequestTemplates
		if in.Type != model.IntegrationMock {
			v.HTTPMethod = in.HTTPMethod
		}
		for code, ir := range in.IntegrationResponses {
			v.Responses[code] = reply{SelectionPattern: ir.SelectionPattern, Parameters: ir.ResponseParameters, Templates: ir.ResponseTemplates}
		}
	}
	b, _ := json.Marshal(v)
	return string(b) + methodRequestText(m) // apigwmodels.go
}

func endpointConfigText(a *applier, ec model.EndpointConfiguration) string {
	var vpces []string
	for _, id := range ec.VpcEndpointIDs {
		vpces = append(vpces, nameOf(a.vpces, id, func(v *model.VpcEndpoint) string { return v.ID }))
	}
	s := strings.Join(ec.Types, ",")
	if len(vpces) > 0 {
		s += " vpcEndpoints " + listText(vpces)
	}
	return s
}
