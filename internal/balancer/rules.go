package balancer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// Rule quotas (ALB user guide, "Quotas for your Application Load Balancers").
const (
	maxRules           = 100 // per listener, the default rule not counted
	maxConditionValues = 5   // per rule, across its conditions
	maxPriority        = 50000
)

// ListenerRule is a rule as DescribeRules reports it. The default rule is the
// listener's default actions: IsDefault, no conditions, priority 0 ("default").
type ListenerRule struct {
	model.Rule
	ListenerARN string
	IsDefault   bool
}

// CreateRuleInput is CreateRule's input.
type CreateRuleInput struct {
	ListenerARN string
	Priority    int
	Conditions  []model.Condition
	Actions     []model.Action
	Tags        map[string]string
}

// ModifyRuleInput is ModifyRule's input: empty fields stay as they are.
type ModifyRuleInput struct {
	RuleARN    string
	Conditions []model.Condition
	Actions    []model.Action
}

// RulePriority is one pair of SetRulePriorities.
type RulePriority struct {
	RuleARN  string
	Priority int
}

func ruleNotFound() error {
	return model.BadRequest("RuleNotFound", "One or more rules not found")
}

func priorityInUse() error {
	return model.BadRequest("PriorityInUse", "The specified priority is in use.")
}

// ruleListenerARN is the listener a rule ARN belongs to: rule ARNs are the
// listener's ARN with "listener-rule" for "listener" and the rule's id added.
func ruleListenerARN(ruleARN string) string {
	i := strings.LastIndexByte(ruleARN, '/')
	if i < 0 {
		return ""
	}
	return strings.Replace(ruleARN[:i], ":listener-rule/", ":listener/", 1)
}

// defaultRuleARN is the ARN of a listener's default rule, derived from the
// listener's so that it is stable without being stored.
func defaultRuleARN(listenerARN string) string {
	h := sha256.Sum256([]byte(listenerARN))
	return strings.Replace(listenerARN, ":listener/", ":listener-rule/", 1) + "/" + hex.EncodeToString(h[:8])
}

// findRule returns the listener's non-default rule with the ARN, or nil.
func findRule(l *model.Listener, arn string) *model.Rule {
	for i := range l.Rules {
		if l.Rules[i].ARN == arn {
			return &l.Rules[i]
		}
	}
	return nil
}

// listenerRules returns the listener's rules by priority, the default rule last.
func listenerRules(l *model.Listener) []ListenerRule {
	out := make([]ListenerRule, 0, len(l.Rules)+1)
	for _, r := range l.Rules {
		out = append(out, ListenerRule{Rule: r, ListenerARN: l.ARN})
	}
	slices.SortFunc(out, func(a, b ListenerRule) int { return a.Priority - b.Priority })
	return append(out, ListenerRule{ListenerARN: l.ARN, IsDefault: true,
		Rule: model.Rule{ARN: defaultRuleARN(l.ARN), Actions: l.DefaultActions}})
}

var methodRE = regexp.MustCompile(`^[A-Z_-]+$`)

// checkConditions validates a rule's conditions. The texts are AWS's as moto
// reproduces them, except where marked.
func checkConditions(cs []model.Condition) error {
	if len(cs) == 0 {
		return notNull("conditions")
	}
	seen := map[string]bool{}
	values := 0
	for i, c := range cs {
		if err := model.Length(codeValidation, fmt.Sprintf("conditions.%d.member.field", i+1), c.Field, 0, 64); err != nil {
			return err
		}
		switch c.Field {
		case "host-header", "path-pattern", "http-request-method", "source-ip":
			if seen[c.Field] {
				return validationError("A rule can only have one '%s' condition", c.Field) // UNVERIFIED: AWS's text
			}
			seen[c.Field] = true
		case "http-header", "query-string":
		default:
			return validationError("Condition field '%s' must be one of '[path-pattern,host-header,http-header,http-request-method,query-string,source-ip]'", c.Field)
		}
		if c.Field == "query-string" {
			if len(c.QueryStrings) == 0 {
				return validationError("A condition value must be specified")
			}
			for _, q := range c.QueryStrings {
				switch {
				case q.Value == "":
					return validationError("A 'Value' must be specified in 'QueryStringKeyValuePair'")
				case len(q.Key) > 128:
					return validationError("The 'Key' value is too long; the limit is '128'")
				case len(q.Value) > 128:
					return validationError("The 'Value' value is too long; the limit is '128'")
				}
			}
			values += len(c.QueryStrings)
			continue
		}
		if len(c.Values) == 0 {
			if c.Field == "source-ip" {
				return validationError("A 'source-ip' value must be specified")
			}
			return validationError("A condition value must be specified")
		}
		values += len(c.Values)
		if c.Field == "http-header" {
			if c.HeaderName == "" {
				return validationError("A 'HttpHeaderName' must be specified with 'http-header'") // UNVERIFIED: AWS's text
			}
			if len(c.HeaderName) > 40 {
				return validationError("The 'HttpHeaderName' value is too long; the limit is '40'")
			}
		}
		for _, v := range c.Values {
			switch c.Field {
			case "http-request-method":
				if len(v) > 40 {
					return validationError("The 'http-request-method' value is too long; the limit is '40'")
				}
				if !methodRE.MatchString(v) {
					return validationError("The 'http-request-method' value is invalid; the allowed characters are A-Z, hyphen and underscore")
				}
			case "source-ip":
				if _, err := netip.ParsePrefix(v); err != nil {
					return validationError("The 'source-ip' value '%s' is not a valid CIDR block", model.Clip(v)) // UNVERIFIED: AWS's text
				}
			default:
				if len(v) > 128 {
					return validationError("The '%s' value is too long; the limit is '128'", c.Field)
				}
			}
		}
	}
	if values > maxConditionValues {
		return validationError("A rule can only have '%d' condition values", maxConditionValues) // UNVERIFIED: AWS's text
	}
	return nil
}

// cloneConditions copies conditions deeply, so that a stored rule never shares
// slices with a caller.
func cloneConditions(cs []model.Condition) []model.Condition {
	out := slices.Clone(cs)
	for i := range out {
		out[i].Values = slices.Clone(out[i].Values)
		out[i].QueryStrings = slices.Clone(out[i].QueryStrings)
	}
	return out
}

// cloneActions copies actions deeply.
func cloneActions(as []model.Action) []model.Action {
	out := slices.Clone(as)
	for i := range out {
		if f := out[i].FixedResponse; f != nil {
			c := *f
			out[i].FixedResponse = &c
		}
		if r := out[i].Redirect; r != nil {
			c := *r
			out[i].Redirect = &c
		}
	}
	return out
}

// listenerOfRule loads the listener a rule ARN belongs to; RuleNotFound when
// there is none.
func (s *Service) listenerOfRule(ctx context.Context, ruleARN string) (*model.Listener, int64, error) {
	if resourceKind(ruleARN) != kindRule {
		return nil, 0, ruleNotFound()
	}
	return store.LoadOr[model.Listener](ctx, s.d.Store, model.Key(model.KindListener, ruleListenerARN(ruleARN)), ruleNotFound)
}

// saveListener writes a listener read at rev; a concurrent change is AWS's
// PriorRequestNotComplete (the caller may retry).
func (s *Service) saveListener(ctx context.Context, l *model.Listener, rev int64) error {
	err := s.writeListener(ctx, l, rev)
	if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
		return model.Errorf(http.StatusTooManyRequests, "PriorRequestNotComplete", "This operation is not allowed while a prior request has not been completed.")
	}
	return err
}

// writeListener writes l back over revision rev, conditioned too on the
// target groups it forwards to (groupsExist) and on extra; ErrConflict if any
// changed.
func (s *Service) writeListener(ctx context.Context, l *model.Listener, rev int64, extra ...store.Cond) error {
	conds, err := s.groupsExist(ctx, l)
	if err != nil {
		return err
	}
	key := model.Key(model.KindListener, l.ARN)
	b, err := json.Marshal(l)
	if err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	conds = append(append(conds, store.KeyIs(key, rev)), extra...)
	_, err = s.d.Store.Txn(ctx, conds, []store.Op{store.Put(key, b)})
	return err
}

// CreateRule adds a rule to a listener. Priorities are unique per listener.
func (s *Service) CreateRule(ctx context.Context, in CreateRuleInput) (*ListenerRule, error) {
	if err := model.Range(codeValidation, "priority", in.Priority, 1, maxPriority); err != nil {
		return nil, err
	}
	if err := checkConditions(in.Conditions); err != nil {
		return nil, err
	}
	s.opMu.Lock()
	defer s.opMu.Unlock()
	l, rev, lb, err := s.listenerAndLB(ctx, in.ListenerARN)
	if err != nil {
		return nil, err
	}
	r := model.Rule{Priority: in.Priority, Conditions: cloneConditions(in.Conditions), Actions: cloneActions(in.Actions), Tags: in.Tags}
	if err := s.checkActions(ctx, lb.VpcID, "actions", r.Actions); err != nil {
		return nil, err
	}
	if slices.ContainsFunc(l.Rules, func(o model.Rule) bool { return o.Priority == r.Priority }) {
		return nil, priorityInUse()
	}
	if len(l.Rules) >= maxRules {
		return nil, model.BadRequest("TooManyRules", "You've reached the limit on the number of rules per load balancer") // UNVERIFIED: AWS's text
	}
	r.ARN = strings.Replace(l.ARN, ":listener/", ":listener-rule/", 1) + "/" + model.RandomHex(16)
	l.Rules = append(l.Rules, r)
	if err := s.saveListener(ctx, l, rev); err != nil {
		return nil, err
	}
	return &ListenerRule{Rule: r, ListenerARN: l.ARN}, nil
}

// DescribeRules returns a listener's rules (by priority, the default rule
// last), or rules by ARN.
func (s *Service) DescribeRules(ctx context.Context, listenerARN string, ruleARNs []string) ([]ListenerRule, error) {
	if listenerARN == "" && len(ruleARNs) == 0 {
		return nil, validationError("You must specify either listener rule ARNs or a listener ARN")
	}
	if listenerARN != "" && len(ruleARNs) > 0 {
		return nil, validationError("Listener rule ARNs and a listener ARN cannot be specified at the same time")
	}
	if listenerARN != "" {
		l, _, err := s.loadListener(ctx, listenerARN)
		if err != nil {
			return nil, err
		}
		return listenerRules(l), nil
	}
	out := make([]ListenerRule, 0, len(ruleARNs))
	for _, arn := range ruleARNs {
		l, _, err := s.listenerOfRule(ctx, arn)
		if err != nil {
			return nil, err
		}
		rules := listenerRules(l)
		i := slices.IndexFunc(rules, func(r ListenerRule) bool { return r.ARN == arn })
		if i < 0 {
			return nil, ruleNotFound()
		}
		out = append(out, rules[i])
	}
	return out, nil
}

// ModifyRule replaces a rule's conditions or actions. The default rule's
// actions are its listener's default actions; it has no conditions.
func (s *Service) ModifyRule(ctx context.Context, in ModifyRuleInput) (*ListenerRule, error) {
	if len(in.Conditions) == 0 && len(in.Actions) == 0 {
		return nil, validationError("Either conditions or actions must be specified")
	}
	if len(in.Conditions) > 0 {
		if err := checkConditions(in.Conditions); err != nil {
			return nil, err
		}
	}
	s.opMu.Lock()
	defer s.opMu.Unlock()
	l, rev, err := s.listenerOfRule(ctx, in.RuleARN)
	if err != nil {
		return nil, err
	}
	lb, err := s.loadLB(ctx, l.LoadBalancerARN)
	if err != nil {
		return nil, err
	}
	acts := cloneActions(in.Actions)
	if len(acts) > 0 {
		if err := s.checkActions(ctx, lb.VpcID, "actions", acts); err != nil {
			return nil, err
		}
	}
	var out ListenerRule
	if in.RuleARN == defaultRuleARN(l.ARN) {
		if len(in.Conditions) > 0 {
			return nil, model.BadRequest(codeNotPermitted, "Conditions cannot be specified for the default rule") // UNVERIFIED: AWS's text
		}
		l.DefaultActions = acts
		out = listenerRules(l)[len(l.Rules)]
	} else {
		r := findRule(l, in.RuleARN)
		if r == nil {
			return nil, ruleNotFound()
		}
		if len(in.Conditions) > 0 {
			r.Conditions = cloneConditions(in.Conditions)
		}
		if len(acts) > 0 {
			r.Actions = acts
		}
		out = ListenerRule{Rule: *r, ListenerARN: l.ARN}
	}
	if err := s.saveListener(ctx, l, rev); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteRule deletes a rule; the default rule goes only with its listener.
func (s *Service) DeleteRule(ctx context.Context, arn string) error {
	s.opMu.Lock()
	defer s.opMu.Unlock()
	l, rev, err := s.listenerOfRule(ctx, arn)
	if err != nil {
		return err
	}
	if arn == defaultRuleARN(l.ARN) {
		return model.BadRequest(codeNotPermitted, "Default rule '%s' cannot be deleted", arn) // UNVERIFIED: AWS's text
	}
	if findRule(l, arn) == nil {
		return ruleNotFound()
	}
	l.Rules = slices.DeleteFunc(l.Rules, func(r model.Rule) bool { return r.ARN == arn })
	return s.saveListener(ctx, l, rev)
}

// SetRulePriorities gives rules new priorities at once, so that rules can
// swap places. The new priorities must be unique within each listener.
func (s *Service) SetRulePriorities(ctx context.Context, pairs []RulePriority) ([]ListenerRule, error) {
	if len(pairs) == 0 {
		return nil, notNull("rulePriorities")
	}
	given := map[int]bool{}
	for _, p := range pairs {
		if err := model.Range(codeValidation, "rulePriorities.member.priority", p.Priority, 1, maxPriority); err != nil {
			return nil, err
		}
		if given[p.Priority] {
			return nil, validationError("Priority '%d' was provided multiple times", p.Priority)
		}
		given[p.Priority] = true
	}
	s.opMu.Lock()
	defer s.opMu.Unlock()
	type loaded struct {
		l   *model.Listener
		rev int64
	}
	listeners := map[string]*loaded{}
	var order []string // listener ARNs, first seen first
	for _, p := range pairs {
		l, rev, err := s.listenerOfRule(ctx, p.RuleARN)
		if err != nil {
			return nil, err
		}
		if listeners[l.ARN] == nil {
			listeners[l.ARN] = &loaded{l, rev}
			order = append(order, l.ARN)
		}
		l = listeners[l.ARN].l
		if p.RuleARN == defaultRuleARN(l.ARN) {
			return nil, model.BadRequest(codeNotPermitted, "The default rule's priority cannot be changed") // UNVERIFIED: AWS's text
		}
		r := findRule(l, p.RuleARN)
		if r == nil {
			return nil, ruleNotFound()
		}
		r.Priority = p.Priority
	}
	for _, arn := range order {
		seen := map[int]bool{}
		for _, r := range listeners[arn].l.Rules {
			if seen[r.Priority] {
				return nil, priorityInUse()
			}
			seen[r.Priority] = true
		}
	}
	out := make([]ListenerRule, 0, len(pairs))
	for _, arn := range order {
		if err := s.saveListener(ctx, listeners[arn].l, listeners[arn].rev); err != nil {
			return nil, err
		}
	}
	for _, p := range pairs {
		l := listeners[ruleListenerARN(p.RuleARN)].l
		out = append(out, ListenerRule{Rule: *findRule(l, p.RuleARN), ListenerARN: l.ARN})
	}
	return out, nil
}
