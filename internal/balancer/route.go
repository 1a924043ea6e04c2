package balancer

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/textproto"
	"slices"
	"strconv"
	"strings"

	"gatehouse/internal/model"
	"gatehouse/internal/wildcard"
)

// actionKind is what an action does: a model.Action's Type, of the three
// gatehouse serves.
type actionKind string

const (
	actionForward       actionKind = "forward"
	actionFixedResponse actionKind = "fixed-response"
	actionRedirect      actionKind = "redirect"
)

// action is what a listener rule or default action does with a request.
type action struct {
	kind     actionKind
	group    *group
	fixed    *model.FixedResponse
	redirect *model.Redirect
}

// rule is a compiled listener rule: all conditions must match.
type rule struct {
	priority int
	conds    []func(*http.Request) bool
	action   action
}

// route picks the action for a request (2 in doc.go): the first rule by
// priority whose conditions all match, else the default action.
func (le *listenerEntry) route(r *http.Request) action {
	for _, ru := range le.rules {
		if ru.matches(r) {
			return ru.action
		}
	}
	return le.action
}

func (ru *rule) matches(r *http.Request) bool {
	for _, c := range ru.conds {
		if !c(r) {
			return false
		}
	}
	return true
}

// compileAction turns a model action into the data path's. Only the first
// terminal action counts (the operations allow one).
func compileAction(acts []model.Action, groups map[string]*group) (action, error) {
	acts = slices.Clone(acts)
	slices.SortStableFunc(acts, func(a, b model.Action) int { return a.Order - b.Order })
	for _, a := range acts {
		switch actionKind(a.Type) {
		case actionForward:
			g := groups[a.TargetGroupARN]
			if g == nil {
				return action{}, fmt.Errorf("target group %s not found", a.TargetGroupARN)
			}
			return action{kind: actionForward, group: g}, nil
		case actionFixedResponse:
			if a.FixedResponse == nil {
				return action{}, fmt.Errorf("fixed-response action without a response")
			}
			return action{kind: actionFixedResponse, fixed: a.FixedResponse}, nil
		case actionRedirect:
			if a.Redirect == nil {
				return action{}, fmt.Errorf("redirect action without a target")
			}
			return action{kind: actionRedirect, redirect: a.Redirect}, nil
		}
	}
	return action{}, fmt.Errorf("no forward, fixed-response or redirect action")
}

// compileRules compiles a listener's rules, by priority. A rule that does not
// compile is left out (and reported), so the others keep serving.
func compileRules(rules []model.Rule, groups map[string]*group) ([]rule, []string) {
	var out []rule
	var problems []string
	for _, mr := range rules {
		a, err := compileAction(mr.Actions, groups)
		if err != nil {
			problems = append(problems, fmt.Sprintf("rule %s: %v", mr.ARN, err))
			continue
		}
		ru := rule{priority: mr.Priority, action: a}
		for _, c := range mr.Conditions {
			m, err := compileCondition(c)
			if err != nil {
				problems = append(problems, fmt.Sprintf("rule %s: %v", mr.ARN, err))
				ru.conds = nil
				break
			}
			ru.conds = append(ru.conds, m)
		}
		if len(ru.conds) == len(mr.Conditions) {
			out = append(out, ru)
		}
	}
	slices.SortFunc(out, func(a, b rule) int { return a.priority - b.priority })
	return out, problems
}

// compileCondition returns a matcher for one condition, with ALB's
// semantics: path patterns are case-sensitive and see the path only; host
// names, header values and query strings compare without case; * and ? are
// wildcards everywhere but in methods and source IPs. Patterns compared
// without case are lowered here, and the header name canonicalized, so a
// request lowers only its own side.
func compileCondition(c model.Condition) (func(*http.Request) bool, error) {
	lower := func(vs []string) []string {
		out := make([]string, len(vs))
		for i, v := range vs {
			out[i] = strings.ToLower(v)
		}
		return out
	}
	anyOf := func(patterns []string, s string, fold bool) bool {
		for _, p := range patterns {
			if match(p, s, fold) {
				return true
			}
		}
		return false
	}
	switch c.Field {
	case "path-pattern":
		return func(r *http.Request) bool { return anyOf(c.Values, r.URL.Path, false) }, nil
	case "host-header":
		hosts := lower(c.Values)
		return func(r *http.Request) bool { return anyOf(hosts, hostOnly(r.Host), true) }, nil
	case "http-request-method":
		return func(r *http.Request) bool { return slices.Contains(c.Values, r.Method) }, nil
	case "http-header":
		name, values := textproto.CanonicalMIMEHeaderKey(c.HeaderName), lower(c.Values)
		return func(r *http.Request) bool {
			for _, v := range r.Header[name] {
				if anyOf(values, v, true) {
					return true
				}
			}
			return false
		}, nil
	case "query-string":
		qs := make([]model.QueryString, len(c.QueryStrings))
		for i, q := range c.QueryStrings {
			qs[i] = model.QueryString{Key: strings.ToLower(q.Key), Value: strings.ToLower(q.Value)}
		}
		return func(r *http.Request) bool {
			q := r.URL.Query()
			for _, want := range qs {
				for k, vs := range q {
					if want.Key != "" && !match(want.Key, k, true) {
						continue
					}
					for _, v := range vs {
						if match(want.Value, v, true) {
							return true
						}
					}
				}
			}
			return false
		}, nil
	case "source-ip":
		var nets []netip.Prefix
		for _, v := range c.Values {
			p, err := netip.ParsePrefix(v)
			if err != nil {
				return nil, fmt.Errorf("source-ip %q: %v", v, err)
			}
			nets = append(nets, p.Masked())
		}
		return func(r *http.Request) bool {
			ap, err := netip.ParseAddrPort(r.RemoteAddr)
			if err != nil {
				return false
			}
			ip := ap.Addr().Unmap()
			for _, p := range nets {
				if p.Contains(ip) {
					return true
				}
			}
			return false
		}, nil
	}
	return nil, fmt.Errorf("condition field %q not served", c.Field)
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

// redirect answers a redirect action: each part of the target with the
// request's own substituted for #{protocol}, #{host}, #{port}, #{path}
// (without its leading /) and #{query}; the port is left out when it is the
// protocol's default.
func (s *Service) redirect(w http.ResponseWriter, r *http.Request, rd *model.Redirect, le *listenerEntry) {
	sub := strings.NewReplacer(
		"#{protocol}", strings.ToLower(le.protocol),
		"#{host}", hostOnly(r.Host),
		"#{port}", strconv.Itoa(le.port),
		"#{path}", strings.TrimPrefix(r.URL.Path, "/"),
		"#{query}", r.URL.RawQuery,
	)
	proto := strings.ToLower(sub.Replace(rd.Protocol))
	host, port := sub.Replace(rd.Host), sub.Replace(rd.Port)
	if proto == "http" && port == "80" || proto == "https" && port == "443" {
		port = ""
	}
	loc := proto + "://" + host
	if port != "" {
		loc += ":" + port
	}
	loc += sub.Replace(rd.Path)
	if q := sub.Replace(rd.Query); q != "" {
		loc += "?" + q
	}
	code := http.StatusFound
	if rd.StatusCode == "HTTP_301" {
		code = http.StatusMovedPermanently
	}
	h := w.Header()
	h.Set("Server", serverHeader)
	h.Set("Location", loc)
	h.Set("Content-Length", "0")
	w.WriteHeader(code)
	s.metrics.request(code)
}

// match is an ALB condition value match: '*' and '?' wildcards; fold ignores
// case, as host, header and query-string conditions do. compileCondition
// lowers the patterns, so lowering one again here costs no allocation.
func match(pattern, s string, fold bool) bool {
	if fold {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	return wildcard.Match(pattern, s)
}
