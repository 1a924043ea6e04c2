package certs

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"gatehouse/internal/model"
)

// AddTags adds or overwrites tags on the certificate.
func (s *Service) AddTags(ctx context.Context, arn string, tags map[string]string) error {
	if err := checkARN(arn); err != nil {
		return err
	}
	if len(tags) == 0 {
		return model.Violation(codeValidation, "tags", "[]", "Member must have length greater than or equal to 1")
	}
	if err := validateTags(tags); err != nil {
		return err
	}
	return s.updateTags(ctx, arn, func(cur map[string]string) error {
		maps.Copy(cur, tags)
		if len(cur) > model.MaxTags {
			return model.BadRequest(codeTooManyTags, "The certificate %s would have more than %d tags.", arn, model.MaxTags)
		}
		return nil
	})
}

// RemoveTags removes tags from the certificate: a key with a nil value is
// removed whatever its value, one with a value only if the value matches, as
// RemoveTagsFromCertificate does.
func (s *Service) RemoveTags(ctx context.Context, arn string, tags map[string]*string) error {
	if err := checkARN(arn); err != nil {
		return err
	}
	if len(tags) == 0 {
		return model.Violation(codeValidation, "tags", "[]", "Member must have length greater than or equal to 1")
	}
	if len(tags) > model.MaxTags {
		// The API model's TagList bound; the request names more keys than a
		// certificate can have.
		return sizeViolation("tags", fmt.Sprintf("Member must have length less than or equal to %d", model.MaxTags))
	}
	for k, v := range tags {
		val := ""
		if v != nil {
			val = *v
		}
		if err := validateTag(k, val); err != nil {
			return err
		}
	}
	return s.updateTags(ctx, arn, func(cur map[string]string) error {
		for k, v := range tags {
			if old, ok := cur[k]; ok && (v == nil || *v == old) {
				delete(cur, k)
			}
		}
		return nil
	})
}

// ListTags returns the certificate's tags.
func (s *Service) ListTags(ctx context.Context, arn string) (map[string]string, error) {
	c, _, err := s.load(ctx, arn)
	if err != nil {
		return nil, err
	}
	if c.Tags == nil {
		return map[string]string{}, nil
	}
	return c.Tags, nil
}

// updateTags applies fn to the certificate's tags, stored as nil when none remain.
func (s *Service) updateTags(ctx context.Context, arn string, fn func(map[string]string) error) error {
	_, err := s.update(ctx, arn, func(v *model.Certificate) error {
		if v.Tags == nil {
			v.Tags = map[string]string{}
		}
		if err := fn(v.Tags); err != nil {
			return err
		}
		if len(v.Tags) == 0 {
			v.Tags = nil
		}
		return nil
	})
	return err
}

// validateTags applies the API model's tag constraints, tag by tag in key
// order. Its own loop rather than model.CheckTags: ACM's key and value
// patterns are checked between the limits model.CheckTag applies, so a tag's
// first problem, and which tag's comes first, stay as ACM orders them.
func validateTags(tags map[string]string) error {
	if len(tags) > model.MaxTags {
		return model.BadRequest(codeTooManyTags, "The request contains too many tags: a certificate can have at most %d.", model.MaxTags)
	}
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		if err := validateTag(k, tags[k]); err != nil {
			return err
		}
	}
	return nil
}

// validateTag is one tag's first problem in ACM's words: the key's length
// and pattern, then the value's, then the reserved prefix.
func validateTag(k, v string) error {
	switch p := model.CheckTag(k, v); {
	case p == model.TagKeyEmpty || p == model.TagKeyTooLong:
		return model.Violation(codeValidation, "tags.member.key", k, fmt.Sprintf("Member must have length between 1 and %d", model.MaxTagKeyLen))
	case !tagPattern.MatchString(k):
		return model.Violation(codeValidation, "tags.member.key", k, "Member must satisfy regular expression pattern: "+tagPatternText)
	case p == model.TagValueTooLong:
		return model.Length(codeValidation, "tags.member.value", v, 0, model.MaxTagValueLen)
	case !tagPattern.MatchString(v):
		return model.Violation(codeValidation, "tags.member.value", v, "Member must satisfy regular expression pattern: "+tagPatternText)
	case p == model.TagKeyReserved:
		// Best match: ACM reserves the aws: prefix; its exact text is not documented.
		return model.BadRequest(codeInvalidTag, "The tag key %s is reserved: tag keys cannot start with aws:.", k)
	}
	return nil
}
