package policy

import (
	"strings"

	"gatehouse/internal/wildcard"
)

// Evaluate decides the request: any matching Deny → ExplicitDeny; else any
// matching Allow → Allow; else ImplicitDeny.
func (p *Policy) Evaluate(req Request) Decision {
	if p == nil {
		return ImplicitDeny
	}
	// Action names are case-insensitive in IAM: Parse lowercased the policy's.
	action := strings.ToLower(req.Action)
	allowed := false
	for i := range p.Statements {
		st := &p.Statements[i]
		if !st.matches(action, &req) {
			continue
		}
		if st.Effect == "Deny" {
			return ExplicitDeny
		}
		allowed = true
	}
	if allowed {
		return Allow
	}
	return ImplicitDeny
}

func (st *Statement) matches(action string, req *Request) bool {
	return st.matchPrincipal(req.Principal) &&
		st.matchAction(action) &&
		st.matchResource(req) &&
		st.matchConditions(req)
}

func (st *Statement) matchPrincipal(caller string) bool {
	in := false
	for _, p := range st.Principals {
		if p == "*" || (caller != "" && (wildcard.Match(p, caller) || accountPrincipal(p, caller))) {
			in = true
			break
		}
	}
	return in != st.NotPrincipal
}

// matchAction matches a lowercased action.
func (st *Statement) matchAction(action string) bool {
	in := false
	for _, a := range st.Actions {
		if wildcard.Match(a, action) {
			in = true
			break
		}
	}
	return in != st.NotAction
}

func (st *Statement) matchResource(req *Request) bool {
	in := false
	for _, r := range st.Resources {
		if wildcard.Match(r, req.Resource) {
			in = true
			break
		}
	}
	return in != st.NotResource
}

func (st *Statement) matchConditions(req *Request) bool {
	for i := range st.Conditions {
		if !st.Conditions[i].holds(req) {
			return false
		}
	}
	return true
}

func lookup(ctx map[string]string, key string) (string, bool) {
	if v, ok := ctx[key]; ok {
		return v, true
	}
	for k, v := range ctx {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return "", false
}

// accountPrincipal reports whether p names the account (its root,
// "arn:aws:iam::ACCOUNT:root", or a bare account id, which Parse expanded
// to it) of caller: in IAM, such a principal stands for every principal of
// the account, not only its root user.
func accountPrincipal(p, caller string) bool {
	account, ok := strings.CutPrefix(p, "arn:aws:iam::")
	if !ok {
		return false
	}
	account, ok = strings.CutSuffix(account, ":root")
	if !ok || !isAccountID(account) {
		return false
	}
	rest, ok := strings.CutPrefix(caller, "arn:aws:")
	if !ok {
		return false
	}
	// arn:aws:SERVICE::ACCOUNT:… (iam) or arn:aws:sts::ACCOUNT:assumed-role/…
	f := strings.SplitN(rest, ":", 4)
	return len(f) == 4 && f[2] == account
}
