package accelerator

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"gatehouse/internal/model"
)

// Tags. Global Accelerator tags accelerators; any other ARN names no accelerator.

// validateTags applies the Tag shape's limits (keys of 1–128 characters,
// values of at most 256; model.CheckTag) key by key, then the AWS-wide quota
// of 50 tags per resource. Keys starting with "aws:" pass, as they always
// have here: model.CheckTags would refuse them (it stops at a reserved key)
// and count before it checks keys, so it is not used.
// UNVERIFIED: the limits are the service model's and the AWS tag quota, the
// wording ours (kept; tests and users match "tag key"), with the key clipped
// so that an oversized one is not echoed back.
func validateTags(tags map[string]string) error {
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		switch model.CheckTag(k, tags[k]) {
		case model.TagKeyEmpty, model.TagKeyTooLong:
			return invalidArgument("Invalid tag key: %q. A tag key must be 1 to %d characters long.", model.Clip(k), model.MaxTagKeyLen)
		case model.TagValueTooLong:
			return invalidArgument("Invalid value for tag %q: a tag value can be at most %d characters long.", model.Clip(k), model.MaxTagValueLen)
		}
	}
	if len(tags) > model.MaxTags {
		return invalidArgument("A resource can have at most %d tags.", model.MaxTags)
	}
	return nil
}

// checkResourceARN applies the tagging calls' ResourceArn limit (1–1011). An
// ARN longer than an accelerator's can be (255) names no accelerator.
func checkResourceARN(arn string) error {
	if err := checkLength("resourceArn", arn, 1, maxResourceARN); err != nil {
		return err
	}
	if utf8.RuneCountInString(arn) > maxGenericString {
		return errAcceleratorNotFound()
	}
	return nil
}

// TagResource adds tags to the accelerator, replacing the values of keys it
// already has.
func (s *Service) TagResource(ctx context.Context, arn string, tags map[string]string) error {
	if err := checkResourceARN(arn); err != nil {
		return err
	}
	if err := validateTags(tags); err != nil {
		return err
	}
	_, err := s.updateAccelerator(ctx, arn, func(a *model.Accelerator) error {
		merged := maps.Clone(a.Tags)
		if merged == nil {
			merged = map[string]string{}
		}
		maps.Copy(merged, tags)
		if err := validateTags(merged); err != nil {
			return err
		}
		a.Tags = merged
		return nil
	})
	return err
}

// UntagResource removes the tags with the given keys; absent keys are no error.
func (s *Service) UntagResource(ctx context.Context, arn string, keys []string) error {
	if err := checkResourceARN(arn); err != nil {
		return err
	}
	if len(keys) > maxUntagKeys {
		return model.Violation(codeInvalidArgument, "tagKeys", "["+strings.Join(keys, ", ")+"]",
			fmt.Sprintf("Member must have length less than or equal to %d", maxUntagKeys))
	}
	for i, k := range keys {
		if err := checkLength(fmt.Sprintf("tagKeys.%d.member", i+1), k, 1, model.MaxTagKeyLen); err != nil {
			return err
		}
	}
	_, err := s.updateAccelerator(ctx, arn, func(a *model.Accelerator) error {
		for _, k := range keys {
			delete(a.Tags, k)
		}
		return nil
	})
	return err
}

// ListTagsForResource returns the accelerator's tags.
func (s *Service) ListTagsForResource(ctx context.Context, arn string) (map[string]string, error) {
	if err := checkResourceARN(arn); err != nil {
		return nil, err
	}
	acc, _, err := s.loadAccelerator(ctx, arn)
	if err != nil {
		return nil, err
	}
	return acc.Tags, nil
}
