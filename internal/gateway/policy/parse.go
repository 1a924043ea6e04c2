package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Parse parses and validates a policy document.
func Parse(doc string) (*Policy, error) {
	if n := utf8.RuneCountInString(doc); n > MaxLength {
		return nil, fmt.Errorf("policy is %d characters, more than %d", n, MaxLength)
	}
	var raw struct {
		Version   string
		ID        string `json:"Id"`
		Statement json.RawMessage
	}
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("policy is not valid JSON: %w", err)
	}
	if dec.More() {
		return nil, errors.New("policy has data after the JSON object")
	}
	switch raw.Version {
	case "", "2012-10-17", "2008-10-17":
	default:
		return nil, fmt.Errorf("unsupported policy version %q", raw.Version)
	}
	var raws []json.RawMessage
	trimmed := bytes.TrimSpace(raw.Statement)
	switch {
	case len(trimmed) == 0 || string(trimmed) == "null":
		return nil, errors.New("policy has no Statement")
	case trimmed[0] == '[':
		if err := json.Unmarshal(trimmed, &raws); err != nil {
			return nil, fmt.Errorf("statement list: %w", err)
		}
	default:
		raws = []json.RawMessage{trimmed}
	}
	if len(raws) == 0 {
		return nil, errors.New("policy has no Statement")
	}
	p := &Policy{Version: raw.Version}
	for i, r := range raws {
		st, err := parseStatement(r)
		if err != nil {
			return nil, fmt.Errorf("statement %d: %w", i, err)
		}
		p.Statements = append(p.Statements, st)
	}
	return p, nil
}

type rawStatement struct {
	Sid          string
	Effect       string
	Principal    json.RawMessage
	NotPrincipal json.RawMessage
	Action       *stringList
	NotAction    *stringList
	Resource     *stringList
	NotResource  *stringList
	Condition    map[string]map[string]anyList
}

func parseStatement(b []byte) (Statement, error) {
	var r rawStatement
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Statement{}, err
	}
	st := Statement{Sid: r.Sid, Effect: r.Effect}
	if r.Effect != "Allow" && r.Effect != "Deny" {
		return st, fmt.Errorf("effect must be Allow or Deny, not %q", r.Effect)
	}
	var err error
	switch {
	case r.Principal != nil && r.NotPrincipal != nil:
		return st, errors.New("both Principal and NotPrincipal")
	case r.Principal != nil:
		st.Principals, err = parsePrincipal(r.Principal)
	case r.NotPrincipal != nil:
		st.NotPrincipal = true
		st.Principals, err = parsePrincipal(r.NotPrincipal)
	default:
		// A resource policy must name who it applies to.
		return st, errors.New("missing Principal")
	}
	if err != nil {
		return st, err
	}
	switch {
	case r.Action != nil && r.NotAction != nil:
		return st, errors.New("both Action and NotAction")
	case r.Action != nil:
		st.Actions = lower(*r.Action)
	case r.NotAction != nil:
		st.Actions, st.NotAction = lower(*r.NotAction), true
	default:
		return st, errors.New("missing Action")
	}
	switch {
	case r.Resource != nil && r.NotResource != nil:
		return st, errors.New("both Resource and NotResource")
	case r.Resource != nil:
		st.Resources = *r.Resource
	case r.NotResource != nil:
		st.Resources, st.NotResource = *r.NotResource, true
	default:
		return st, errors.New("missing Resource")
	}
	if len(st.Actions) == 0 || len(st.Resources) == 0 {
		return st, errors.New("empty Action or Resource")
	}
	for opName, keys := range r.Condition {
		for key, vals := range keys {
			c, err := parseCondition(opName, key, vals)
			if err != nil {
				return st, err
			}
			st.Conditions = append(st.Conditions, c)
		}
	}
	return st, nil
}

// lower lowercases action names: IAM compares them case-insensitively.
func lower(actions []string) []string {
	out := make([]string, len(actions))
	for i, a := range actions {
		out[i] = strings.ToLower(a)
	}
	return out
}

func parsePrincipal(b json.RawMessage) ([]string, error) {
	var s string
	if json.Unmarshal(b, &s) == nil {
		if s != "*" {
			return nil, fmt.Errorf("principal %q: only \"*\" may be a plain string", s)
		}
		return []string{"*"}, nil
	}
	var m map[string]stringList
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("principal: %w", err)
	}
	var out []string
	for k, v := range m {
		switch k {
		case "AWS":
			for _, p := range v {
				if p == "" {
					return nil, errors.New("empty AWS principal")
				}
				// A bare account id stands for the account's root user.
				if isAccountID(p) {
					p = "arn:aws:iam::" + p + ":root"
				}
				out = append(out, p)
			}
		case "Service", "Federated", "CanonicalUser":
			// Never an execute-api caller here; kept so that it parses but matches nothing.
			for _, p := range v {
				out = append(out, k+":"+p)
			}
		default:
			return nil, fmt.Errorf("unknown principal type %q", k)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("empty Principal")
	}
	return out, nil
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// stringList is a JSON string or list of strings.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*l = stringList{s}
		return nil
	}
	var ss []string
	if err := json.Unmarshal(b, &ss); err != nil {
		return errors.New("want a string or a list of strings")
	}
	*l = ss
	return nil
}

// anyList is a condition value: a string, number or boolean, or a list of them.
type anyList []string

func (l *anyList) UnmarshalJSON(b []byte) error {
	var vs []any
	if err := json.Unmarshal(b, &vs); err != nil {
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		vs = []any{v}
	}
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		switch v := v.(type) {
		case string:
			out = append(out, v)
		case bool:
			out = append(out, strconv.FormatBool(v))
		case float64:
			out = append(out, strconv.FormatFloat(v, 'f', -1, 64))
		default:
			return errors.New("condition values must be strings, numbers or booleans")
		}
	}
	*l = out
	return nil
}
