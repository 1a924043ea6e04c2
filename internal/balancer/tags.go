package balancer

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// Tag is a tag as the ELBv2 API lists them; TagMap turns a list into a
// resource's tags.
type Tag struct{ Key, Value string }

// maxTagARNs bounds the resources of one AddTags or RemoveTags call: no
// documented limit; bound: 20, DescribeTags' documented maximum.
const maxTagARNs = 20

// tagRE is the model's pattern of a tag key or value (letters, spaces, digits
// and _.:/=+-@); the lengths are AWS's common ones (model.MaxTagKeyLen and
// model.MaxTagValueLen).
var tagRE = regexp.MustCompile(`^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`)

// checkTagPart applies the model's length and pattern to a tag key or value.
func checkTagPart(field, v string, min, max int) error {
	if err := model.Length(codeValidation, field, v, min, max); err != nil {
		return err
	}
	if !tagRE.MatchString(v) {
		return model.Violation(codeValidation, field, v, "Member must satisfy regular expression pattern: "+tagRE.String())
	}
	return nil
}

// TagMap checks a tag list (keys 1–128 characters, values up to 256, each key
// once, at most 50) and returns it as a map.
func TagMap(tags []Tag) (map[string]string, error) {
	if len(tags) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(tags))
	for i, t := range tags {
		if err := checkTagPart(fmt.Sprintf("tags.%d.member.key", i+1), t.Key, 1, model.MaxTagKeyLen); err != nil {
			return nil, err
		}
		if err := checkTagPart(fmt.Sprintf("tags.%d.member.value", i+1), t.Value, 0, model.MaxTagValueLen); err != nil {
			return nil, err
		}
		if _, dup := m[t.Key]; dup {
			return nil, model.BadRequest("DuplicateTagKeys", "Tag key was specified more than once: %s", t.Key)
		}
		m[t.Key] = t.Value
	}
	if err := checkTagCount(m); err != nil {
		return nil, err
	}
	return m, nil
}

// checkTagCount applies the quota of tags per resource. Each tag's key and
// value were checked as they arrived, with their place in the request
// (TagMap); ELBv2 reserves no key prefix, so that is the only problem left.
func checkTagCount(tags map[string]string) error {
	return model.CheckTags(tags, model.MaxTags, func(p model.TagProblem, _, _ string) error {
		if p == model.TagsTooMany {
			return errTooManyTags()
		}
		return nil
	})
}

func errTooManyTags() error {
	return model.BadRequest("TooManyTags", "The quota for the number of tags that can be assigned to a load balancer has been reached")
}

// ResourceTags are one resource's tags, as DescribeTags reports them.
type ResourceTags struct {
	ARN  string
	Tags map[string]string
}

// AddTags adds or overwrites tags on load balancers, target groups, listeners
// and rules. Every resource must exist; none is changed otherwise.
func (s *Service) AddTags(ctx context.Context, arns []string, tags []Tag) error {
	add, err := TagMap(tags)
	if err != nil {
		return err
	}
	if len(add) == 0 {
		return notNull("tags")
	}
	return s.editTags(ctx, arns, func(m map[string]string) (map[string]string, error) {
		if m == nil {
			m = map[string]string{}
		}
		maps.Copy(m, add)
		if err := checkTagCount(m); err != nil {
			return nil, err
		}
		return m, nil
	})
}

// RemoveTags removes the tags with the given keys; a key that is not there is
// no error.
func (s *Service) RemoveTags(ctx context.Context, arns []string, keys []string) error {
	if len(keys) == 0 {
		return notNull("tagKeys")
	}
	for i, k := range keys {
		if err := checkTagPart(fmt.Sprintf("tagKeys.%d.member", i+1), k, 1, model.MaxTagKeyLen); err != nil {
			return err
		}
	}
	return s.editTags(ctx, arns, func(m map[string]string) (map[string]string, error) {
		for _, k := range keys {
			delete(m, k)
		}
		return m, nil
	})
}

// DescribeTags returns the tags of each resource, in the order asked.
func (s *Service) DescribeTags(ctx context.Context, arns []string) ([]ResourceTags, error) {
	if len(arns) == 0 {
		return nil, notNull("resourceArns")
	}
	if len(arns) > 20 {
		return nil, model.Violation(codeValidation, "resourceArns", "["+strings.Join(arns, ", ")+"]", "Member must have length less than or equal to 20")
	}
	out := make([]ResourceTags, 0, len(arns))
	for _, arn := range arns {
		tags, err := s.tagsOf(ctx, arn)
		if err != nil {
			return nil, err
		}
		out = append(out, ResourceTags{ARN: arn, Tags: tags})
	}
	return out, nil
}

// editTags checks that every resource exists, then applies edit to each.
func (s *Service) editTags(ctx context.Context, arns []string, edit func(map[string]string) (map[string]string, error)) error {
	if len(arns) == 0 {
		return notNull("resourceArns")
	}
	if len(arns) > maxTagARNs {
		return model.Violation(codeValidation, "resourceArns", "["+strings.Join(arns, ", ")+"]",
			fmt.Sprintf("Member must have length less than or equal to %d", maxTagARNs))
	}
	for _, arn := range arns {
		if _, err := s.tagsOf(ctx, arn); err != nil {
			return err // a resource that is not there is reported before any edit's error
		}
	}
	// No mutex: every resource is written over its revision as read, in
	// one Txn, so all change or none does, on any node.
	_, err := retryOnConflict(ctx, func() (struct{}, error) {
		var conds []store.Cond
		var ops []store.Op
		for _, arn := range arns {
			key, rev, value, err := s.retag(ctx, arn, edit)
			if err != nil {
				return struct{}{}, err
			}
			if slices.ContainsFunc(ops, func(o store.Op) bool { return o.Key == key }) {
				continue // named twice: the first edit stands for both
			}
			conds = append(conds, store.KeyIs(key, rev))
			ops = append(ops, store.Put(key, value))
		}
		_, err := s.d.Store.Txn(ctx, conds, ops)
		return struct{}{}, err
	})
	return err
}

// retag loads the resource arn names and returns its key, revision and value
// with edit applied to its tags, or its not-found error. A rule stored inside
// its listener by an older gatehouse is moved into a record first.
func (s *Service) retag(ctx context.Context, arn string, edit func(map[string]string) (map[string]string, error)) (string, int64, []byte, error) {
	notFound := func() error { return notFoundFor(arn) }
	switch resourceKind(arn) {
	case model.KindLoadBalancer:
		return retagged(ctx, s.d.Store, model.Key(model.KindLoadBalancer, arn), notFound, func(v *model.LoadBalancer) *map[string]string { return &v.Tags }, edit)
	case model.KindTargetGroup:
		return retagged(ctx, s.d.Store, model.Key(model.KindTargetGroup, arn), notFound, func(v *model.TargetGroup) *map[string]string { return &v.Tags }, edit)
	case model.KindListener:
		return retagged(ctx, s.d.Store, model.Key(model.KindListener, arn), notFound, func(v *model.Listener) *map[string]string { return &v.Tags }, edit)
	case kindRule:
		if _, _, err := s.listenerOfRule(ctx, arn); err != nil {
			return "", 0, nil, err
		}
		return retagged(ctx, s.d.Store, ruleKey(arn), ruleNotFound, func(v *model.Rule) *map[string]string { return &v.Tags }, edit)
	}
	return "", 0, nil, notFoundFor(arn)
}

// retagged is retag for one record of type T, whose tags tags points at.
func retagged[T any](ctx context.Context, st store.Store, key string, notFound func() error, tags func(*T) *map[string]string,
	edit func(map[string]string) (map[string]string, error)) (string, int64, []byte, error) {
	v, rev, err := store.LoadOr[T](ctx, st, key, notFound)
	if err != nil {
		return "", 0, nil, err
	}
	t := tags(v)
	if *t, err = edit(*t); err != nil {
		return "", 0, nil, err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", 0, nil, fmt.Errorf("encode %s: %w", key, err)
	}
	return key, rev, b, nil
}

// kindRule is the resource type of rule ARNs ("listener-rule"); rules are
// stored as model.KindRule records.
const kindRule model.Kind = "listener-rule"

// resourceKind tells an ELBv2 ARN's resource type from its resource part,
// e.g. "…:loadbalancer/app/name/id"; "" when it is none of them.
func resourceKind(arn string) model.Kind {
	_, res, _ := strings.Cut(strings.TrimPrefix(arn, "arn:aws:elasticloadbalancing:"), ":")
	_, res, _ = strings.Cut(res, ":")
	typ, _, _ := strings.Cut(res, "/")
	switch typ {
	case "loadbalancer":
		return model.KindLoadBalancer
	case "targetgroup":
		return model.KindTargetGroup
	case "listener":
		return model.KindListener
	case "listener-rule":
		return kindRule
	}
	return ""
}

// notFoundFor is the not-found error of the ARN's resource type.
func notFoundFor(arn string) error {
	switch resourceKind(arn) {
	case model.KindLoadBalancer:
		return lbNotFound()
	case model.KindTargetGroup:
		return tgNotFound()
	case model.KindListener:
		return listenerNotFound()
	case kindRule:
		return ruleNotFound()
	}
	// UNVERIFIED: AWS's text for an ARN of no ELBv2 resource type.
	return validationError("'%s' is not a valid load balancer, target group, listener or rule ARN", arn)
}

// tagsOf returns a resource's tags, or its not-found error.
func (s *Service) tagsOf(ctx context.Context, arn string) (map[string]string, error) {
	var tags map[string]string
	var err error
	notFound := func() error { return notFoundFor(arn) }
	switch resourceKind(arn) {
	case model.KindLoadBalancer:
		var lb *model.LoadBalancer
		if lb, _, err = store.LoadOr[model.LoadBalancer](ctx, s.d.Store, model.Key(model.KindLoadBalancer, arn), notFound); err == nil {
			tags = lb.Tags
		}
	case model.KindTargetGroup:
		var tg *model.TargetGroup
		if tg, _, err = store.LoadOr[model.TargetGroup](ctx, s.d.Store, model.Key(model.KindTargetGroup, arn), notFound); err == nil {
			tags = tg.Tags
		}
	case model.KindListener:
		var l *model.Listener
		if l, _, err = store.LoadOr[model.Listener](ctx, s.d.Store, model.Key(model.KindListener, arn), notFound); err == nil {
			tags = l.Tags
		}
	case kindRule:
		var r *model.Rule
		if r, _, err = s.loadRule(ctx, arn); err == nil {
			tags = r.Tags
		}
	default:
		return nil, notFoundFor(arn)
	}
	return tags, err
}
