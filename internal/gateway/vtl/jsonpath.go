package vtl

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// jsonPath is the JSONPath subset $input.json and $input.path take
// (Goessner's, as Jayway reads it): $, .name, ['name'], [0], [-1], [*], .*,
// ..name, [0,1], ['a','b'], [start:end:step] and filters [?(@.p > 1)].
// A definite path (names and single indexes only) gives one value; any
// other gives a list of the matches.
type jsonPath struct {
	steps    []pathStep
	definite bool
}

type pathStep struct {
	deep     bool // ".." before the selector
	wildcard bool
	names    []string
	indexes  []int
	slice    *[3]*int
	filter   filterExpr
}

const maxPathLength = 4096

func compilePath(s string) (*jsonPath, error) {
	s = strings.TrimSpace(s)
	if len(s) > maxPathLength {
		return nil, errors.New("JSONPath longer than 4096 characters")
	}
	switch {
	case strings.HasPrefix(s, "$"):
		s = s[1:]
	case strings.HasPrefix(s, "["):
	case s == "":
	default:
		s = "." + s // Jayway reads "a.b" as "$.a.b"
	}
	pp := pathParser{s: s}
	path := &jsonPath{definite: true}
	for pp.i < len(pp.s) {
		st, err := pp.step()
		if err != nil {
			return nil, fmt.Errorf("invalid JSONPath %q: %w", "$"+s, err)
		}
		if st.deep || st.wildcard || st.filter != nil || st.slice != nil || len(st.names)+len(st.indexes) > 1 {
			path.definite = false
		}
		path.steps = append(path.steps, st)
	}
	return path, nil
}

type pathParser struct {
	s     string
	i     int
	depth int
}

func (pp *pathParser) step() (pathStep, error) {
	var st pathStep
	s := pp.s
	switch {
	case strings.HasPrefix(s[pp.i:], ".."):
		st.deep = true
		pp.i += 2
		if pp.i < len(s) && s[pp.i] == '[' {
			return pp.bracket(st)
		}
	case s[pp.i] == '.':
		pp.i++
	case s[pp.i] == '[':
		return pp.bracket(st)
	default:
		return st, fmt.Errorf("unexpected %q at %d", s[pp.i], pp.i)
	}
	if pp.i < len(s) && s[pp.i] == '*' {
		pp.i++
		st.wildcard = true
		return st, nil
	}
	j := pp.i
	for j < len(s) && s[j] != '.' && s[j] != '[' {
		j++
	}
	name := strings.TrimSpace(s[pp.i:j])
	if name == "" {
		return st, fmt.Errorf("empty name at %d", pp.i)
	}
	pp.i = j
	st.names = []string{name}
	return st, nil
}

func (pp *pathParser) bracket(st pathStep) (pathStep, error) {
	s := pp.s
	pp.i++ // '['
	pp.space()
	if pp.i >= len(s) {
		return st, errors.New("unclosed [")
	}
	switch c := s[pp.i]; {
	case c == '*':
		pp.i++
		st.wildcard = true
	case c == '?':
		pp.i++
		pp.space()
		if pp.i >= len(s) || s[pp.i] != '(' {
			return st, errors.New("filter needs ?(…)")
		}
		pp.i++
		f, err := pp.filterOr()
		if err != nil {
			return st, err
		}
		pp.space()
		if pp.i >= len(s) || s[pp.i] != ')' {
			return st, errors.New("filter without ')'")
		}
		pp.i++
		st.filter = f
	case c == '\'' || c == '"':
		for {
			name, err := pp.quoted()
			if err != nil {
				return st, err
			}
			st.names = append(st.names, name)
			pp.space()
			if pp.i < len(s) && s[pp.i] == ',' {
				pp.i++
				pp.space()
				continue
			}
			break
		}
	default:
		var nums [3]*int
		part, colons := 0, 0
		for {
			pp.space()
			j := pp.i
			if j < len(s) && s[j] == '-' {
				j++
			}
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			if j > pp.i {
				n, err := strconv.Atoi(s[pp.i:j])
				if err != nil {
					return st, fmt.Errorf("invalid index %q", s[pp.i:j])
				}
				nums[part] = &n
				pp.i = j
			}
			pp.space()
			if pp.i < len(s) && s[pp.i] == ':' && part < 2 {
				pp.i++
				part++
				colons++
				continue
			}
			if pp.i < len(s) && s[pp.i] == ',' && colons == 0 {
				if nums[0] == nil {
					return st, errors.New("empty index")
				}
				st.indexes = append(st.indexes, *nums[0])
				nums[0] = nil
				pp.i++
				continue
			}
			break
		}
		if colons > 0 {
			st.slice = &nums
		} else {
			if nums[0] == nil {
				return st, fmt.Errorf("unexpected %q in brackets", s[pp.i:min(pp.i+1, len(s))])
			}
			st.indexes = append(st.indexes, *nums[0])
		}
	}
	pp.space()
	if pp.i >= len(s) || s[pp.i] != ']' {
		return st, errors.New("expected ']'")
	}
	pp.i++
	return st, nil
}

func (pp *pathParser) space() {
	for pp.i < len(pp.s) && pp.s[pp.i] == ' ' {
		pp.i++
	}
}

func (pp *pathParser) quoted() (string, error) {
	s := pp.s
	if pp.i >= len(s) || (s[pp.i] != '\'' && s[pp.i] != '"') {
		return "", errors.New("expected a quoted name")
	}
	q := s[pp.i]
	var b strings.Builder
	for j := pp.i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			if j+1 < len(s) {
				j++
				b.WriteByte(s[j])
			}
		case q:
			pp.i = j + 1
			return b.String(), nil
		default:
			b.WriteByte(s[j])
		}
	}
	return "", errors.New("unterminated quoted name")
}

// eval applies the path to root. found is false when a definite path
// matches nothing.
func (p *jsonPath) eval(root any) (any, bool) {
	cur := []any{root}
	for _, st := range p.steps {
		var next []any
		for _, v := range cur {
			if st.deep {
				for _, d := range descendants(v, nil, 0) {
					next = st.apply(d, root, next, true)
				}
				continue
			}
			next = st.apply(v, root, next, false)
		}
		cur = next
	}
	if p.definite {
		if len(cur) != 1 {
			return nil, false
		}
		return cur[0], true
	}
	return &List{Items: cur, Json: true}, true
}

// descendants lists v and everything under it, depth first.
func descendants(v any, acc []any, depth int) []any {
	acc = append(acc, v)
	if depth > maxJSONDepth {
		return acc
	}
	switch c := v.(type) {
	case *Map:
		for _, x := range c.vals {
			acc = descendants(x, acc, depth+1)
		}
	case *List:
		for _, x := range c.Items {
			acc = descendants(x, acc, depth+1)
		}
	}
	return acc
}

// apply appends what the step selects in v. In a deep scan, a node that
// lacks the name contributes nothing.
func (st *pathStep) apply(v, root any, out []any, deep bool) []any {
	switch {
	case st.wildcard:
		switch c := v.(type) {
		case *Map:
			out = append(out, c.vals...)
		case *List:
			out = append(out, c.Items...)
		}
	case st.filter != nil:
		switch c := v.(type) {
		case *List:
			for _, x := range c.Items {
				if truthy(st.filter.eval(x, root)) {
					out = append(out, x)
				}
			}
		case *Map:
			if !deep && truthy(st.filter.eval(c, root)) {
				out = append(out, c)
			}
		}
	case st.slice != nil:
		if l, ok := v.(*List); ok {
			out = append(out, slice(l.Items, st.slice)...)
		}
	case len(st.names) > 0:
		if m, ok := v.(*Map); ok {
			for _, n := range st.names {
				if x, ok := m.Get(n); ok {
					out = append(out, x)
				}
			}
		}
	default:
		if l, ok := v.(*List); ok {
			for _, i := range st.indexes {
				if i < 0 {
					i += len(l.Items)
				}
				if i >= 0 && i < len(l.Items) {
					out = append(out, l.Items[i])
				}
			}
		}
	}
	return out
}

func slice(items []any, s *[3]*int) []any {
	n := len(items)
	step := 1
	if s[2] != nil && *s[2] > 0 {
		step = *s[2]
	}
	bound := func(p *int, def int) int {
		if p == nil {
			return def
		}
		i := *p
		if i < 0 {
			i += n
		}
		return max(0, min(i, n))
	}
	from, to := bound(s[0], 0), bound(s[1], n)
	var out []any
	for i := from; i < to; i += step {
		out = append(out, items[i])
	}
	return out
}

// Filters: || && ! comparisons (== != < <= > >=) of @-paths, $-paths and
// literals; a bare path tests that it exists.

type filterExpr interface {
	eval(current, root any) any
}

type (
	filterOr  struct{ l, r filterExpr }
	filterAnd struct{ l, r filterExpr }
	filterNot struct{ x filterExpr }
	filterCmp struct {
		op   string
		l, r filterExpr
	}
	filterLit  struct{ v any }
	filterPath struct {
		relative bool
		path     *jsonPath
	}
)

// missing marks a filter path that matched nothing.
type missingValue struct{}

var missing = missingValue{}

func (f filterOr) eval(c, r any) any  { return truthy(f.l.eval(c, r)) || truthy(f.r.eval(c, r)) }
func (f filterAnd) eval(c, r any) any { return truthy(f.l.eval(c, r)) && truthy(f.r.eval(c, r)) }
func (f filterNot) eval(c, r any) any { return !truthy(f.x.eval(c, r)) }
func (f filterLit) eval(c, r any) any { return f.v }

func (f filterPath) eval(c, r any) any {
	base := r
	if f.relative {
		base = c
	}
	v, ok := f.path.eval(base)
	if !ok {
		return missing
	}
	return v
}

func (f filterCmp) eval(c, r any) any {
	a := f.l.eval(c, r)
	if f.op == "exists" {
		return a != missing
	}
	b := f.r.eval(c, r)
	if a == missing || b == missing {
		return f.op == "!="
	}
	switch f.op {
	case "==":
		return filterEqual(a, b)
	case "!=":
		return !filterEqual(a, b)
	}
	if isNumber(a) && isNumber(b) {
		return compareResult(f.op, compareNumbers(a, b))
	}
	as, ok1 := a.(string)
	bs, ok2 := b.(string)
	if ok1 && ok2 {
		return compareResult(f.op, strings.Compare(as, bs))
	}
	return false
}

func filterEqual(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if isNumber(a) != isNumber(b) {
		return false
	}
	if _, ok := a.(string); ok {
		if _, ok := b.(string); !ok {
			return false
		}
	}
	return valuesEqual(a, b, 0)
}

// A bare path in a filter is true when it exists (and is not false).
func existence(f filterExpr) filterExpr {
	if p, ok := f.(filterPath); ok {
		return filterCmp{op: "exists", l: p, r: filterLit{}}
	}
	return f
}

func (pp *pathParser) filterOr() (filterExpr, error) {
	pp.depth++
	defer func() { pp.depth-- }()
	if pp.depth > 50 {
		return nil, errors.New("filter nested too deeply")
	}
	l, err := pp.filterAnd()
	if err != nil {
		return nil, err
	}
	for {
		pp.space()
		if !strings.HasPrefix(pp.s[pp.i:], "||") {
			return l, nil
		}
		pp.i += 2
		r, err := pp.filterAnd()
		if err != nil {
			return nil, err
		}
		l = filterOr{l, r}
	}
}

func (pp *pathParser) filterAnd() (filterExpr, error) {
	l, err := pp.filterUnary()
	if err != nil {
		return nil, err
	}
	for {
		pp.space()
		if !strings.HasPrefix(pp.s[pp.i:], "&&") {
			return l, nil
		}
		pp.i += 2
		r, err := pp.filterUnary()
		if err != nil {
			return nil, err
		}
		l = filterAnd{l, r}
	}
}

func (pp *pathParser) filterUnary() (filterExpr, error) {
	pp.space()
	s := pp.s
	if pp.i < len(s) && s[pp.i] == '!' && !strings.HasPrefix(s[pp.i:], "!=") {
		pp.i++
		x, err := pp.filterUnary()
		if err != nil {
			return nil, err
		}
		return filterNot{existence(x)}, nil
	}
	if pp.i < len(s) && s[pp.i] == '(' {
		pp.i++
		x, err := pp.filterOr()
		if err != nil {
			return nil, err
		}
		pp.space()
		if pp.i >= len(s) || s[pp.i] != ')' {
			return nil, errors.New("filter: expected ')'")
		}
		pp.i++
		return x, nil
	}
	l, err := pp.operand()
	if err != nil {
		return nil, err
	}
	pp.space()
	for _, op := range []string{"==", "!=", "<=", ">=", "<", ">"} {
		if strings.HasPrefix(s[pp.i:], op) {
			pp.i += len(op)
			r, err := pp.operand()
			if err != nil {
				return nil, err
			}
			return filterCmp{op: op, l: l, r: r}, nil
		}
	}
	return existence(l), nil
}

func (pp *pathParser) operand() (filterExpr, error) {
	pp.space()
	s := pp.s
	if pp.i >= len(s) {
		return nil, errors.New("filter: expected a value")
	}
	switch c := s[pp.i]; {
	case c == '@' || c == '$':
		j := pp.i + 1
		for j < len(s) {
			if s[j] == '[' {
				k := strings.IndexByte(s[j:], ']')
				if k < 0 {
					return nil, errors.New("filter: unclosed [")
				}
				j += k + 1
				continue
			}
			if s[j] == '.' || isWordChar(s[j]) || s[j] == '-' || s[j] == '*' {
				j++
				continue
			}
			break
		}
		sub, err := compilePath("$" + s[pp.i+1:j])
		if err != nil {
			return nil, err
		}
		pp.i = j
		return filterPath{relative: c == '@', path: sub}, nil
	case c == '\'' || c == '"':
		str, err := pp.quoted()
		return filterLit{str}, err
	case c == '-' || isDigit(c):
		j := pp.i + 1
		for j < len(s) && (isDigit(s[j]) || s[j] == '.' || s[j] == 'e' || s[j] == 'E') {
			j++
		}
		text := s[pp.i:j]
		pp.i = j
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return filterLit{n}, nil
		}
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return nil, fmt.Errorf("filter: invalid number %q", text)
		}
		return filterLit{f}, nil
	}
	for _, w := range []struct {
		word string
		v    any
	}{{"true", true}, {"false", false}, {"null", nil}} {
		if strings.HasPrefix(s[pp.i:], w.word) {
			pp.i += len(w.word)
			return filterLit{w.v}, nil
		}
	}
	return nil, fmt.Errorf("filter: unexpected %q", s[pp.i])
}
