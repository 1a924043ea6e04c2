package balancer

import (
	"context"
	"fmt"
	"maps"
	"regexp"
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
	s.opMu.Lock()
	defer s.opMu.Unlock()
	for _, arn := range arns {
		if _, err := s.tagsOf(ctx, arn); err != nil {
			return err
		}
	}
	for _, arn := range arns {
		var err error
		notFound := func() error { return notFoundFor(arn) }
		switch resourceKind(arn) {
		case model.KindLoadBalancer:
			_, err = store.UpdateOr(ctx, s.d.Store, model.Key(model.KindLoadBalancer, arn), notFound, func(lb *model.LoadBalancer) (err error) {
				lb.Tags, err = edit(lb.Tags)
				return err
			})
		case model.KindTargetGroup:
			_, err = store.UpdateOr(ctx, s.d.Store, model.Key(model.KindTargetGroup, arn), notFound, func(tg *model.TargetGroup) (err error) {
				tg.Tags, err = edit(tg.Tags)
				return err
			})
		case model.KindListener:
			_, err = store.UpdateOr(ctx, s.d.Store, model.Key(model.KindListener, arn), notFound, func(l *model.Listener) (err error) {
				l.Tags, err = edit(l.Tags)
				return err
			})
		case kindRule:
			_, err = store.UpdateOr(ctx, s.d.Store, model.Key(model.KindListener, ruleListenerARN(arn)), notFound, func(l *model.Listener) error {
				r := findRule(l, arn)
				if r == nil {
					return ruleNotFound()
				}
				var err error
				r.Tags, err = edit(r.Tags)
				return err
			})
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// kindRule names listener rules, which are stored inside their listener.
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
		var l *model.Listener
		if l, _, err = store.LoadOr[model.Listener](ctx, s.d.Store, model.Key(model.KindListener, ruleListenerARN(arn)), notFound); err == nil {
			r := findRule(l, arn)
			if r == nil {
				return nil, ruleNotFound()
			}
			tags = r.Tags
		}
	default:
		return nil, notFoundFor(arn)
	}
	return tags, err
}
