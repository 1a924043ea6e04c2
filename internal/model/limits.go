package model

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Violation is AWS's Coral validation message for one field, the text every
// JSON and Query service of AWS answers a constraint failure with:
//
//	1 validation error detected: Value 'x' at 'name' failed to satisfy constraint: Member must …
//
// code is the service's error code (ValidationException, ValidationError,
// InvalidInput, …). A value longer than 128 characters is cut in the message,
// so an oversized field is never echoed back whole.
func Violation(code, field, value, constraint string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: code, Message: fmt.Sprintf(
		"1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", Clip(value), field, constraint)}
}

// Length checks that value has between min and max characters (AWS counts
// characters, not bytes) and returns the Violation AWS gives otherwise; nil when
// it fits. max < 0 means no upper bound.
func Length(code, field, value string, min, max int) *Error {
	n := utf8.RuneCountInString(value)
	switch {
	case n < min:
		return Violation(code, field, value, fmt.Sprintf("Member must have length greater than or equal to %d", min))
	case max >= 0 && n > max:
		return Violation(code, field, value, fmt.Sprintf("Member must have length less than or equal to %d", max))
	}
	return nil
}

// Clip shortens s for an error message: what a client sent may be megabytes.
func Clip(s string) string {
	const keep = 128
	if len(s) <= keep {
		return s
	}
	i := keep
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "..."
}

// ClipArgs returns args with every string shortened by Clip, for messages
// formatted from what a client sent.
func ClipArgs(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		if s, ok := a.(string); ok {
			a = Clip(s)
		}
		out[i] = a
	}
	return out
}

// Enum is the Violation of a value outside its enum, listing the allowed
// values in the order the model gives them.
func Enum(code, field, value string, allowed []string) *Error {
	return Violation(code, field, value, "Member must satisfy enum value set: ["+strings.Join(allowed, ", ")+"]")
}

// Range checks that n lies between min and max and returns the Violation AWS
// gives otherwise; nil when it does.
func Range(code, field string, n, min, max int) *Error {
	switch {
	case n < min:
		return Violation(code, field, strconv.Itoa(n), fmt.Sprintf("Member must have value greater than or equal to %d", min))
	case n > max:
		return Violation(code, field, strconv.Itoa(n), fmt.Sprintf("Member must have value less than or equal to %d", max))
	}
	return nil
}

// Null is Coral's message for a required member that is missing: there is no
// value to quote, so it is not a Violation.
func Null(code, field string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: code, Message: fmt.Sprintf(
		"1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", field)}
}
