package policy

import "strings"

// shortPrefix is the short form of an execute-api resource in a policy.
const shortPrefix = "execute-api:/"

// Bind returns a copy of p whose short-form resources are expanded against
// apiARN (arn:aws:execute-api:region:account:api-id), as API Gateway does when it
// saves a policy. Short-form resources of an unbound policy match nothing, so
// bind once per API before evaluating.
func (p *Policy) Bind(apiARN string) *Policy {
	out := &Policy{Version: p.Version, Statements: make([]Statement, len(p.Statements))}
	for i, st := range p.Statements {
		res := make([]string, len(st.Resources))
		for j, r := range st.Resources {
			res[j] = expand(r, apiARN)
		}
		st.Resources = res
		out.Statements[i] = st
	}
	return out
}

func expand(resource, apiARN string) string {
	if rest, ok := strings.CutPrefix(resource, shortPrefix); ok && apiARN != "" {
		return apiARN + "/" + rest
	}
	return resource
}
