package elbv2

import (
	"context"
	"fmt"

	"gatehouse/internal/balancer"
)

type rulesResult struct {
	Rules      []ruleOut `xml:"Rules>member"`
	NextMarker string    `xml:"NextMarker,omitempty"`
}

type createRuleIn struct {
	ListenerArn string        `query:"ListenerArn" required:"true"`
	Conditions  []conditionIn `query:"Conditions" required:"true"`
	Priority    *int          `query:"Priority" required:"true"`
	Actions     []actionIn    `query:"Actions" required:"true"`
	Tags        []tagIn       `query:"Tags"`
}

func (a api) createRule(ctx context.Context, in *createRuleIn) (any, error) {
	conds, err := conditions(in.Conditions)
	if err != nil {
		return nil, err
	}
	acts, err := actions(in.Actions)
	if err != nil {
		return nil, err
	}
	tags, err := tagMap(in.Tags)
	if err != nil {
		return nil, err
	}
	r, err := a.b.CreateRule(ctx, balancer.CreateRuleInput{ListenerARN: in.ListenerArn, Priority: *in.Priority,
		Conditions: conds, Actions: acts, Tags: tags})
	if err != nil {
		return nil, err
	}
	return rulesResult{Rules: rulesOut([]balancer.ListenerRule{*r})}, nil
}

type describeRulesIn struct {
	ListenerArn string   `query:"ListenerArn"`
	RuleArns    []string `query:"RuleArns"`
	pageIn
}

func (a api) describeRules(ctx context.Context, in *describeRulesIn) (any, error) {
	rs, err := a.b.DescribeRules(ctx, in.ListenerArn, in.RuleArns)
	if err != nil {
		return nil, err
	}
	// A listener's rules by priority, the default rule last.
	byPriority := func(r balancer.ListenerRule) string {
		if r.IsDefault {
			return "default"
		}
		return fmt.Sprintf("%05d", r.Priority)
	}
	key := byPriority
	if len(in.RuleArns) > 0 {
		key = inPlace(rs, func(r balancer.ListenerRule) string { return r.ARN })
	}
	pg, next, err := page(in.pageIn, rs, key)
	if err != nil {
		return nil, err
	}
	return rulesResult{Rules: rulesOut(pg), NextMarker: next}, nil
}

type modifyRuleIn struct {
	RuleArn    string        `query:"RuleArn" required:"true"`
	Conditions []conditionIn `query:"Conditions"`
	Actions    []actionIn    `query:"Actions"`
}

func (a api) modifyRule(ctx context.Context, in *modifyRuleIn) (any, error) {
	conds, err := conditions(in.Conditions)
	if err != nil {
		return nil, err
	}
	acts, err := actions(in.Actions)
	if err != nil {
		return nil, err
	}
	r, err := a.b.ModifyRule(ctx, balancer.ModifyRuleInput{RuleARN: in.RuleArn, Conditions: conds, Actions: acts})
	if err != nil {
		return nil, err
	}
	return rulesResult{Rules: rulesOut([]balancer.ListenerRule{*r})}, nil
}

type deleteRuleIn struct {
	RuleArn string `query:"RuleArn" required:"true"`
}

func (a api) deleteRule(ctx context.Context, in *deleteRuleIn) (any, error) {
	return nil, a.b.DeleteRule(ctx, in.RuleArn)
}

type setRulePrioritiesIn struct {
	RulePriorities []struct {
		RuleArn  string `query:"RuleArn" required:"true"`
		Priority *int   `query:"Priority" required:"true"`
	} `query:"RulePriorities" required:"true"`
}

func (a api) setRulePriorities(ctx context.Context, in *setRulePrioritiesIn) (any, error) {
	pairs := make([]balancer.RulePriority, len(in.RulePriorities))
	for i, p := range in.RulePriorities {
		pairs[i] = balancer.RulePriority{RuleARN: p.RuleArn, Priority: *p.Priority}
	}
	rs, err := a.b.SetRulePriorities(ctx, pairs)
	if err != nil {
		return nil, err
	}
	return rulesResult{Rules: rulesOut(rs)}, nil
}
