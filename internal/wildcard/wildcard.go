// Package wildcard matches the '*' and '?' patterns AWS uses in IAM policies
// (actions, resources, StringLike), ALB rule conditions (path, host, headers,
// query strings) and EC2 filter values. One matcher serves them all.
//
// Matching is greedy with one backtrack point (the last '*'), so it takes
// O(len(pattern)·len(s)) at worst: a hostile pattern cannot make it
// exponential. It works on characters, not bytes, and allocates nothing.
package wildcard

import "unicode/utf8"

// Match reports whether s matches pattern, where '*' matches any run of
// characters (none included) and '?' exactly one.
func Match(pattern, s string) bool { return match(pattern, s, false) }

// MatchEscaped is Match where a backslash makes the next character literal,
// as in EC2 filter values ("a\*" matches only "a*").
func MatchEscaped(pattern, s string) bool { return match(pattern, s, true) }

func match(pattern, s string, escapes bool) bool {
	p, i := 0, 0
	star, mark := -1, 0 // just after the last '*', and where in s it began to match
	for i < len(s) {
		c, cw := utf8.DecodeRuneInString(s[i:])
		if p < len(pattern) {
			tok, tw, wild := token(pattern[p:], escapes)
			switch {
			case wild && tok == '*':
				p += tw
				star, mark = p, i
				continue
			case wild && tok == '?' || !wild && tok == c:
				p, i = p+tw, i+cw
				continue
			}
		}
		if star < 0 {
			return false
		}
		_, mw := utf8.DecodeRuneInString(s[mark:]) // the '*' takes one more character
		mark += mw
		p, i = star, mark
	}
	for p < len(pattern) {
		tok, tw, wild := token(pattern[p:], escapes)
		if !wild || tok != '*' {
			return false
		}
		p += tw
	}
	return true
}

// token reads the pattern's next character: its rune, its width in bytes and
// whether it is a wildcard. A trailing backslash is literal.
func token(p string, escapes bool) (r rune, width int, wild bool) {
	if escapes && p[0] == '\\' && len(p) > 1 {
		r, w := utf8.DecodeRuneInString(p[1:])
		return r, 1 + w, false
	}
	r, w := utf8.DecodeRuneInString(p)
	return r, w, r == '*' || r == '?'
}
