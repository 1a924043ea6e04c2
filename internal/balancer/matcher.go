package balancer

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ALB accepts success codes from 200 to 499 in a health check matcher.
const (
	minMatcherCode = 200
	maxMatcherCode = 499
	// maxMatcherLen bounds the work a caller can make the parser do; a matcher
	// listing every code in the range as ranges fits easily.
	maxMatcherLen = 1024
)

// Matcher is a parsed health check success-code matcher ("200", "200,403",
// "200-299", or combinations such as "200-204,301,403").
type Matcher []codeRange

type codeRange struct{ lo, hi int }

// ErrEmptyMatcher is returned for an empty matcher string.
var ErrEmptyMatcher = errors.New("matcher is empty")

// ParseMatcher parses an HttpCode matcher. Codes must be three-digit numbers in
// 200–499; a range must not run backwards. Spaces are not allowed, as in ALB.
func ParseMatcher(s string) (Matcher, error) {
	if s == "" {
		return nil, ErrEmptyMatcher
	}
	if len(s) > maxMatcherLen {
		return nil, fmt.Errorf("matcher longer than %d characters", maxMatcherLen)
	}
	var m Matcher
	for item := range strings.SplitSeq(s, ",") {
		loS, hiS, isRange := strings.Cut(item, "-")
		lo, err := parseCode(loS)
		if err != nil {
			return nil, err
		}
		hi := lo
		if isRange {
			if hi, err = parseCode(hiS); err != nil {
				return nil, err
			}
			if hi < lo {
				return nil, fmt.Errorf("range %q runs backwards", item)
			}
		}
		m = append(m, codeRange{lo, hi})
	}
	return m, nil
}

func parseCode(s string) (int, error) {
	if len(s) != 3 {
		return 0, fmt.Errorf("code %q is not a three-digit number", s)
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("code %q is not a number", s)
		}
	}
	n, _ := strconv.Atoi(s)
	if n < minMatcherCode || n > maxMatcherCode {
		return 0, fmt.Errorf("code %d is outside %d-%d", n, minMatcherCode, maxMatcherCode)
	}
	return n, nil
}

// Match reports whether code is a success.
func (m Matcher) Match(code int) bool {
	for _, r := range m {
		if r.lo <= code && code <= r.hi {
			return true
		}
	}
	return false
}

// String returns the matcher in its canonical form.
func (m Matcher) String() string {
	var b strings.Builder
	for i, r := range m {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(r.lo))
		if r.hi != r.lo {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(r.hi))
		}
	}
	return b.String()
}
