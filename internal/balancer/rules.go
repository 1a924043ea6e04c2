package balancer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
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
func listenerRules(l *model.Listener, rules []model.Rule) []ListenerRule {
	out := make([]ListenerRule, 0, len(rules)+1)
	for _, r := range rules {
		out = append(out, ListenerRule{Rule: r, ListenerARN: l.ARN})
	}
	slices.SortFunc(out, func(a, b ListenerRule) int { return a.Priority - b.Priority })
	return append(out, defaultRule(l))
}

// defaultRule is the listener's default rule: its default actions.
func defaultRule(l *model.Listener) ListenerRule {
	return ListenerRule{ListenerARN: l.ARN, IsDefault: true,
		Rule: model.Rule{ARN: defaultRuleARN(l.ARN), Actions: l.DefaultActions}}
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

// listenerOfRule loads the listener a rule ARN belongs to, its rules moved
// into records of their own (migrateRules); RuleNotFound when there is none.
func (s *Service) listenerOfRule(ctx context.Context, ruleARN string) (*model.Listener, int64, error) {
	if resourceKind(ruleARN) != kindRule {
		return nil, 0, ruleNotFound()
	}
	return s.migrateRules(ctx, ruleListenerARN(ruleARN), ruleNotFound)
}

// writeListener writes l back over revision rev, conditioned too on the
// target groups it forwards to (groupsExist) and on extra; ErrConflict if any
// changed.
func (s *Service) writeListener(ctx context.Context, l *model.Listener, rev int64, extra ...store.Cond) error {
	conds, err := s.groupsExist(ctx, l.TargetGroupARNs())
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
	// No mutex: the rule's put is conditioned on its listener as read (a
	// DeleteListener in between fails it, or deletes it along), on no rule
	// of the listener changed since the priority and quota checks, and on
	// the target groups it forwards to: on every node at once.
	return retryOnConflict(ctx, func() (*ListenerRule, error) { return s.createRule(ctx, in) })
}

func (s *Service) createRule(ctx context.Context, in CreateRuleInput) (*ListenerRule, error) {
	l, lrev, err := s.migrateRules(ctx, in.ListenerARN, listenerNotFound)
	if err != nil {
		return nil, err
	}
	lb, err := s.loadLB(ctx, l.LoadBalancerARN)
	if err != nil {
		return nil, err
	}
	r := model.Rule{ListenerARN: l.ARN, Priority: in.Priority, Conditions: cloneConditions(in.Conditions), Actions: cloneActions(in.Actions), Tags: in.Tags}
	if err := s.checkActions(ctx, lb.VpcID, "actions", r.Actions); err != nil {
		return nil, err
	}
	rules, rulesRev, err := s.rulesOf(ctx, l)
	if err != nil {
		return nil, err
	}
	if slices.ContainsFunc(rules, func(o model.Rule) bool { return o.Priority == r.Priority }) {
		return nil, priorityInUse()
	}
	if len(rules) >= maxRules {
		return nil, model.BadRequest("TooManyRules", "You've reached the limit on the number of rules per load balancer") // UNVERIFIED: AWS's text
	}
	conds, err := s.groupsExist(ctx, r.TargetGroupARNs())
	if err != nil {
		return nil, err
	}
	r.ARN = model.RuleARNPrefix(l.ARN) + model.RandomHex(16)
	op, err := store.SaveOp(ruleKey(r.ARN), r)
	if err != nil {
		return nil, err
	}
	conds = append(conds,
		store.KeyIs(model.Key(model.KindListener, l.ARN), lrev),
		store.NoneAfter(model.RulesPrefix(l.ARN), rulesRev),
		store.KeyIs(ruleKey(r.ARN), 0))
	if _, err := s.d.Store.Txn(ctx, conds, []store.Op{op}); err != nil {
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
		rules, _, err := s.rulesOf(ctx, l)
		if err != nil {
			return nil, err
		}
		return listenerRules(l, rules), nil
	}
	out := make([]ListenerRule, 0, len(ruleARNs))
	for _, arn := range ruleARNs {
		if resourceKind(arn) == kindRule && arn == defaultRuleARN(ruleListenerARN(arn)) {
			l, _, err := store.LoadOr[model.Listener](ctx, s.d.Store, model.Key(model.KindListener, ruleListenerARN(arn)), ruleNotFound)
			if err != nil {
				return nil, err
			}
			out = append(out, defaultRule(l))
			continue
		}
		r, _, err := s.loadRule(ctx, arn)
		if err != nil {
			return nil, err
		}
		out = append(out, ListenerRule{Rule: *r, ListenerARN: r.ListenerARN})
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
	return retryOnConflict(ctx, func() (*ListenerRule, error) { return s.modifyRule(ctx, in) })
}

func (s *Service) modifyRule(ctx context.Context, in ModifyRuleInput) (*ListenerRule, error) {
	l, lrev, err := s.listenerOfRule(ctx, in.RuleARN)
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
	if in.RuleARN == defaultRuleARN(l.ARN) {
		if len(in.Conditions) > 0 {
			return nil, model.BadRequest(codeNotPermitted, "Conditions cannot be specified for the default rule") // UNVERIFIED: AWS's text
		}
		l.DefaultActions = acts
		if err := s.writeListener(ctx, l, lrev); err != nil {
			return nil, err
		}
		out := defaultRule(l)
		return &out, nil
	}
	r, rev, err := store.LoadOr[model.Rule](ctx, s.d.Store, ruleKey(in.RuleARN), ruleNotFound)
	if err != nil {
		return nil, err
	}
	if len(in.Conditions) > 0 {
		r.Conditions = cloneConditions(in.Conditions)
	}
	if len(acts) > 0 {
		r.Actions = acts
	}
	conds, err := s.groupsExist(ctx, r.TargetGroupARNs())
	if err != nil {
		return nil, err
	}
	op, err := store.SaveOp(ruleKey(r.ARN), r)
	if err != nil {
		return nil, err
	}
	// The rule as read: a DeleteListener in between deleted it, and the
	// retry answers RuleNotFound.
	if _, err := s.d.Store.Txn(ctx, append(conds, store.KeyIs(ruleKey(r.ARN), rev)), []store.Op{op}); err != nil {
		return nil, err
	}
	return &ListenerRule{Rule: *r, ListenerARN: l.ARN}, nil
}

// DeleteRule deletes a rule; the default rule goes only with its listener.
func (s *Service) DeleteRule(ctx context.Context, arn string) error {
	l, _, err := s.listenerOfRule(ctx, arn)
	if err != nil {
		return err
	}
	if arn == defaultRuleARN(l.ARN) {
		return model.BadRequest(codeNotPermitted, "Default rule '%s' cannot be deleted", arn) // UNVERIFIED: AWS's text
	}
	_, err = s.d.Store.Delete(ctx, ruleKey(arn), store.Any)
	if errors.Is(err, store.ErrNotFound) {
		return ruleNotFound()
	}
	return err
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
	if len(pairs) > maxRules {
		// Every pair names a rule of some listener with distinct
		// priorities; more pairs than a listener's rules are one Txn too
		// many. UNVERIFIED: AWS's limit and text.
		return nil, validationError("At most %d rule priorities can be set at once", maxRules)
	}
	return retryOnConflict(ctx, func() ([]ListenerRule, error) { return s.setRulePriorities(ctx, pairs) })
}

func (s *Service) setRulePriorities(ctx context.Context, pairs []RulePriority) ([]ListenerRule, error) {
	type loaded struct {
		l     *model.Listener
		lrev  int64 // the listener's
		rules []model.Rule
		revs  map[string]int64 // each rule's
		rev   int64            // of the rules' listing
	}
	listeners := map[string]*loaded{}
	var order []string // listener ARNs, first seen first
	changed := map[string]*model.Rule{}
	for _, p := range pairs {
		arn := ruleListenerARN(p.RuleARN)
		ld := listeners[arn]
		if ld == nil || resourceKind(p.RuleARN) != kindRule {
			l, lrev, err := s.listenerOfRule(ctx, p.RuleARN)
			if err != nil {
				return nil, err
			}
			rules, revs, rev, err := s.ruleRecordsOf(ctx, l.ARN)
			if err != nil {
				return nil, err
			}
			ld = &loaded{l, lrev, rules, revs, rev}
			listeners[arn] = ld
			order = append(order, arn)
		}
		if p.RuleARN == defaultRuleARN(ld.l.ARN) {
			return nil, model.BadRequest(codeNotPermitted, "The default rule's priority cannot be changed") // UNVERIFIED: AWS's text
		}
		i := slices.IndexFunc(ld.rules, func(r model.Rule) bool { return r.ARN == p.RuleARN })
		if i < 0 {
			return nil, ruleNotFound()
		}
		ld.rules[i].Priority = p.Priority
		changed[p.RuleARN] = &ld.rules[i]
	}
	var conds []store.Cond
	for _, arn := range order {
		seen := map[int]bool{}
		for _, r := range listeners[arn].rules {
			if seen[r.Priority] {
				return nil, priorityInUse()
			}
			seen[r.Priority] = true
		}
		// No rule added or changed meanwhile (priorities stay unique), and
		// neither the listener (a DeleteListener would otherwise see its
		// rules written back after it) nor any rule set here deleted.
		conds = append(conds, store.NoneAfter(model.RulesPrefix(arn), listeners[arn].rev),
			store.KeyIs(model.Key(model.KindListener, arn), listeners[arn].lrev))
	}
	var ops []store.Op
	for _, p := range pairs {
		conds = append(conds, store.KeyIs(ruleKey(p.RuleARN), listeners[ruleListenerARN(p.RuleARN)].revs[p.RuleARN]))
		op, err := store.SaveOp(ruleKey(p.RuleARN), changed[p.RuleARN])
		if err != nil {
			return nil, err
		}
		ops = append(ops, op)
	}
	if _, err := s.d.Store.Txn(ctx, conds, ops); err != nil {
		return nil, err
	}
	out := make([]ListenerRule, 0, len(pairs))
	for _, p := range pairs {
		r := changed[p.RuleARN]
		out = append(out, ListenerRule{Rule: *r, ListenerARN: r.ListenerARN})
	}
	return out, nil
}
