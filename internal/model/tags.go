package model

import (
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// AWS's tag limits, the same in every service gatehouse serves: 50 user tags
// per resource, keys of 1–128 characters, values of at most 256, and keys
// starting with "aws:" reserved.
const (
	MaxTags        = 50
	MaxTagKeyLen   = 128
	MaxTagValueLen = 256
)

// TagProblem is what is wrong with a tag set; each service names it in its
// own words (its AWS error code and message).
type TagProblem int

const (
	TagsTooMany     TagProblem = iota + 1 // more than MaxTags
	TagKeyEmpty                           // a key of no characters
	TagKeyTooLong                         // over MaxTagKeyLen characters
	TagValueTooLong                       // over MaxTagValueLen characters
	TagKeyReserved                        // starts with "aws:", any case
)

// CheckTags applies the tag limits to a resource's tags, the count first,
// then key by key in order (the same request always gets the same answer),
// and returns the first error refuse makes of a problem; nil when there is
// none. max is the count limit (MaxTags unless the service differs); refuse
// gets the offending key ("" for TagsTooMany) and its value, and returns nil
// for a problem its service does not have (Route 53 reserves no prefix).
func CheckTags(tags map[string]string, max int, refuse func(p TagProblem, key, value string) error) error {
	if len(tags) > max {
		if err := refuse(TagsTooMany, "", ""); err != nil {
			return err
		}
	}
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		if p := CheckTag(k, tags[k]); p != 0 {
			if err := refuse(p, k, tags[k]); err != nil {
				return err
			}
		}
	}
	return nil
}

// CheckTag is the problem with one tag, or 0.
func CheckTag(key, value string) TagProblem {
	switch {
	case key == "":
		return TagKeyEmpty
	case utf8.RuneCountInString(key) > MaxTagKeyLen:
		return TagKeyTooLong
	case utf8.RuneCountInString(value) > MaxTagValueLen:
		return TagValueTooLong
	case len(key) >= 4 && strings.EqualFold(key[:4], "aws:"):
		return TagKeyReserved
	}
	return 0
}
