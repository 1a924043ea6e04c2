package vtl

import (
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// call runs a Java-like method on cur. An unknown method gives null (stock
// Velocity would print the reference; AWS prints nothing); a Java exception
// (an index out of bounds, a bad pattern, a null argument) fails the
// template.
func (r *renderer) call(cur any, name string, args []any, pos int) (any, error) {
	switch c := cur.(type) {
	case string:
		return r.stringMethod(c, name, args, pos)
	case *List:
		return r.listMethod(c, name, args, pos)
	case *Map:
		return r.mapMethod(c, name, args, pos)
	case *inputObj:
		return r.inputMethod(name, args, pos)
	case *utilObj:
		return r.utilMethod(name, args, pos)
	case entry:
		switch name {
		case "getKey":
			return c.key, nil
		case "getValue":
			return c.val, nil
		case "toString":
			return display(c), nil
		}
	case *foreachScope:
		switch name {
		case "hasNext", "isFirst", "isLast", "getIndex", "getCount", "getParent", "getTopmost":
			prop := strings.TrimPrefix(strings.TrimPrefix(name, "get"), "is")
			if name != "hasNext" {
				prop = strings.ToLower(prop[:1]) + prop[1:]
			}
			return c.property(prop), nil
		}
	case int64, float64, bool:
		switch name {
		case "toString":
			return display(c), nil
		case "equals":
			if len(args) == 1 {
				return valuesEqual(c, args[0], 0) && typeName(c) == typeName(args[0]), nil
			}
		case "intValue", "longValue":
			if f, ok := c.(float64); ok {
				return int64(f), nil
			}
			if _, ok := c.(int64); ok {
				return c, nil
			}
		case "doubleValue":
			if isNumber(c) {
				return toFloat(c), nil
			}
		case "booleanValue":
			if b, ok := c.(bool); ok {
				return b, nil
			}
		case "compareTo":
			if len(args) == 1 && isNumber(c) && isNumber(args[0]) {
				return int64(compareNumbers(c, args[0])), nil
			}
		}
	}
	return nil, nil
}

// argString is a String argument: Java would throw on null.
func (r *renderer) argString(args []any, i int, pos int, method string) (string, error) {
	if i >= len(args) || args[i] == nil {
		return "", r.errorf(pos, nil, "%s: null argument", method)
	}
	return display(args[i]), nil
}

func (r *renderer) argInt(args []any, i int, pos int, method string) (int, error) {
	if i >= len(args) {
		return 0, r.errorf(pos, nil, "%s: missing argument", method)
	}
	n, ok := toInt(args[i])
	if !ok || n > 1<<31 || n < -1<<31 {
		return 0, r.errorf(pos, nil, "%s: %q is not an int", method, display(args[i]))
	}
	return int(n), nil
}

// javaString gives Java's view of s: UTF-16 code units, which length(),
// indexOf() and substring() count in.
type javaString []uint16

func toJava(s string) javaString { return utf16.Encode([]rune(s)) }

func (j javaString) String() string { return string(utf16.Decode(j)) }

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func javaLen(s string) int {
	if isASCII(s) {
		return len(s)
	}
	return len(toJava(s))
}

// substring is Java's, on UTF-16 units.
func (r *renderer) substring(s string, b, e int, pos int) (string, error) {
	n := javaLen(s)
	if b < 0 || e > n || b > e {
		return "", r.errorf(pos, nil, "substring: begin %d, end %d, length %d", b, e, n)
	}
	if isASCII(s) {
		return s[b:e], nil
	}
	return toJava(s)[b:e].String(), nil
}

func (r *renderer) stringMethod(s, name string, args []any, pos int) (any, error) {
	str := func(i int) (string, error) { return r.argString(args, i, pos, name) }
	num := func(i int) (int, error) { return r.argInt(args, i, pos, name) }
	switch name {
	case "length":
		return int64(javaLen(s)), nil
	case "isEmpty":
		return s == "", nil
	case "toString", "intern":
		return s, nil
	case "toLowerCase":
		return strings.ToLower(s), nil
	case "toUpperCase":
		return strings.ToUpper(s), nil
	case "trim":
		// Java's trim drops every char <= ' ' at both ends.
		return strings.TrimFunc(s, func(c rune) bool { return c <= ' ' }), nil
	case "substring":
		b, err := num(0)
		if err != nil {
			return nil, err
		}
		e := javaLen(s)
		if len(args) > 1 {
			if e, err = num(1); err != nil {
				return nil, err
			}
		}
		return r.substring(s, b, e, pos)
	case "charAt":
		i, err := num(0)
		if err != nil {
			return nil, err
		}
		return r.substring(s, i, i+1, pos)
	case "indexOf", "lastIndexOf":
		sub, err := str(0)
		if err != nil {
			return nil, err
		}
		from := 0
		if len(args) > 1 {
			if from, err = num(1); err != nil {
				return nil, err
			}
		}
		j := toJava(s)
		needle := toJava(sub)
		if name == "indexOf" {
			return int64(indexUnits(j, needle, max(from, 0))), nil
		}
		if len(args) < 2 {
			from = len(j)
		}
		return int64(lastIndexUnits(j, needle, from)), nil
	case "contains", "startsWith", "endsWith", "equals", "equalsIgnoreCase", "concat", "compareTo":
		if name == "equals" {
			o, ok := firstArg(args).(string)
			return ok && o == s, nil
		}
		if name == "equalsIgnoreCase" {
			o, ok := firstArg(args).(string)
			return ok && strings.EqualFold(o, s), nil
		}
		sub, err := str(0)
		if err != nil {
			return nil, err
		}
		switch name {
		case "contains":
			return strings.Contains(s, sub), nil
		case "startsWith":
			return strings.HasPrefix(s, sub), nil
		case "endsWith":
			return strings.HasSuffix(s, sub), nil
		case "compareTo":
			return int64(strings.Compare(s, sub)), nil
		}
		out := s + sub
		return out, r.spend(pos, len(out))
	case "replace":
		old, err := str(0)
		if err != nil {
			return nil, err
		}
		repl, err := str(1)
		if err != nil {
			return nil, err
		}
		out := strings.ReplaceAll(s, old, repl)
		return out, r.spend(pos, len(out))
	case "replaceAll", "replaceFirst":
		pattern, err := str(0)
		if err != nil {
			return nil, err
		}
		repl, err := str(1)
		if err != nil {
			return nil, err
		}
		re, err := r.t.regexp(pattern, false)
		if err != nil {
			return nil, r.errorf(pos, err, "%s: %v", name, err)
		}
		limit := -1
		if name == "replaceFirst" {
			limit = 1
		}
		out, err := javaReplace(re.FindAllStringSubmatchIndex(s, limit), s, repl)
		if err != nil {
			return nil, r.errorf(pos, err, "%s: %v", name, err)
		}
		return out, r.spend(pos, len(out))
	case "matches":
		pattern, err := str(0)
		if err != nil {
			return nil, err
		}
		re, err := r.t.regexp(pattern, true)
		if err != nil {
			return nil, r.errorf(pos, err, "matches: %v", err)
		}
		return re.MatchString(s), nil
	case "split":
		pattern, err := str(0)
		if err != nil {
			return nil, err
		}
		limit := 0
		if len(args) > 1 {
			if limit, err = num(1); err != nil {
				return nil, err
			}
		}
		re, err := r.t.regexp(pattern, false)
		if err != nil {
			return nil, r.errorf(pos, err, "split: %v", err)
		}
		parts := javaSplit(re.FindAllStringIndex(s, -1), s, limit)
		l := &List{Items: make([]any, len(parts))}
		for i, p := range parts {
			l.Items[i] = p
		}
		return l, r.spend(pos, 16*len(parts)+len(s))
	}
	return nil, nil
}

func firstArg(args []any) any {
	if len(args) == 0 {
		return nil
	}
	return args[0]
}

func indexUnits(s, sub javaString, from int) int {
	for i := from; i+len(sub) <= len(s); i++ {
		if equalUnits(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

func lastIndexUnits(s, sub javaString, from int) int {
	for i := min(from, len(s)-len(sub)); i >= 0; i-- {
		if equalUnits(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

func equalUnits(a, b javaString) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// javaReplace builds the result of Matcher.replaceAll: $n and ${name} are
// groups, \x is a literal x.
func javaReplace(matches [][]int, s, repl string) (string, error) {
	if len(matches) == 0 {
		return s, nil
	}
	var b strings.Builder
	last := 0
	for _, m := range matches {
		b.WriteString(s[last:m[0]])
		for i := 0; i < len(repl); i++ {
			c := repl[i]
			switch {
			case c == '\\':
				i++
				if i >= len(repl) {
					return "", errorString("character to be escaped is missing")
				}
				b.WriteByte(repl[i])
			case c == '$':
				i++
				if i >= len(repl) || !isDigit(repl[i]) {
					return "", errorString("illegal group reference")
				}
				// Java takes the longest group number that exists.
				g := int(repl[i] - '0')
				for i+1 < len(repl) && isDigit(repl[i+1]) {
					ng := g*10 + int(repl[i+1]-'0')
					if 2*ng+1 >= len(m) {
						break
					}
					g = ng
					i++
				}
				if 2*g+1 >= len(m) {
					return "", errorString("no group " + strconv.Itoa(g))
				}
				if m[2*g] >= 0 {
					b.WriteString(s[m[2*g]:m[2*g+1]])
				}
			default:
				b.WriteByte(c)
			}
		}
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String(), nil
}

type errorString string

func (e errorString) Error() string { return string(e) }

// javaSplit is String.split: limit 0 drops trailing empty strings, a
// positive limit caps the parts; a zero-width match at the start makes no
// leading empty string.
func javaSplit(matches [][]int, s string, limit int) []string {
	if len(matches) == 0 {
		return []string{s}
	}
	var parts []string
	last := 0
	for _, m := range matches {
		if limit > 0 && len(parts) == limit-1 {
			break
		}
		if m[1] == 0 && m[0] == 0 {
			continue
		}
		if m[0] == m[1] && m[0] == len(s) {
			continue
		}
		parts = append(parts, s[last:m[0]])
		last = m[1]
	}
	parts = append(parts, s[last:])
	if limit == 0 {
		for len(parts) > 0 && parts[len(parts)-1] == "" {
			parts = parts[:len(parts)-1]
		}
	}
	return parts
}

func (r *renderer) listMethod(l *List, name string, args []any, pos int) (any, error) {
	index := func(i int, n int) (int, error) {
		k, err := r.argInt(args, i, pos, name)
		if err != nil {
			return 0, err
		}
		if k < 0 || k >= n {
			return 0, r.errorf(pos, nil, "%s: index %d out of bounds for length %d", name, k, len(l.Items))
		}
		return k, nil
	}
	switch name {
	case "size":
		return int64(len(l.Items)), nil
	case "isEmpty":
		return len(l.Items) == 0, nil
	case "get":
		i, err := index(0, len(l.Items))
		if err != nil {
			return nil, err
		}
		return l.Items[i], nil
	case "contains", "indexOf":
		for i, item := range l.Items {
			if valuesEqual(item, firstArg(args), 0) && (item == nil) == (firstArg(args) == nil) {
				if name == "contains" {
					return true, nil
				}
				return int64(i), nil
			}
		}
		if name == "contains" {
			return false, nil
		}
		return int64(-1), nil
	case "add":
		if err := r.spend(pos, 16); err != nil {
			return nil, err
		}
		if len(args) == 2 {
			i, err := index(0, len(l.Items)+1)
			if err != nil {
				return nil, err
			}
			l.Items = append(l.Items, nil)
			copy(l.Items[i+1:], l.Items[i:])
			l.Items[i] = args[1]
			return nil, nil
		}
		l.Items = append(l.Items, firstArg(args))
		return true, nil
	case "addAll":
		if o, ok := firstArg(args).(*List); ok {
			if err := r.spend(pos, 16*len(o.Items)); err != nil {
				return nil, err
			}
			l.Items = append(l.Items, o.Items...)
			return true, nil
		}
		return false, nil
	case "set":
		i, err := index(0, len(l.Items))
		if err != nil {
			return nil, err
		}
		prev := l.Items[i]
		if len(args) > 1 {
			l.Items[i] = args[1]
		}
		return prev, nil
	case "remove":
		if n, ok := firstArg(args).(int64); ok {
			i, err := index(0, len(l.Items))
			if err != nil {
				return nil, err
			}
			prev := l.Items[i]
			l.Items = append(l.Items[:i], l.Items[i+1:]...)
			_ = n
			return prev, nil
		}
		for i, item := range l.Items {
			if valuesEqual(item, firstArg(args), 0) {
				l.Items = append(l.Items[:i], l.Items[i+1:]...)
				return true, nil
			}
		}
		return false, nil
	case "clear":
		l.Items = l.Items[:0]
		return nil, nil
	case "toString":
		return display(l), nil
	case "equals":
		return valuesEqual(l, firstArg(args), 0), nil
	}
	return nil, nil
}

func (r *renderer) mapMethod(m *Map, name string, args []any, pos int) (any, error) {
	key := func() string { return display(firstArg(args)) }
	switch name {
	case "get":
		v, _ := m.Get(key())
		return v, nil
	case "containsKey":
		_, ok := m.Get(key())
		return ok, nil
	case "containsValue":
		for _, v := range m.vals {
			if valuesEqual(v, firstArg(args), 0) {
				return true, nil
			}
		}
		return false, nil
	case "put":
		if len(args) < 2 {
			return nil, r.errorf(pos, nil, "put: needs a key and a value")
		}
		k := key()
		if err := r.checkOverride(m, k, pos); err != nil {
			return nil, err
		}
		if err := r.spend(pos, 32+len(k)); err != nil {
			return nil, err
		}
		return m.Set(k, args[1]), nil
	case "putAll":
		if o, ok := firstArg(args).(*Map); ok {
			if err := r.spend(pos, 32*o.Len()); err != nil {
				return nil, err
			}
			for i, k := range o.keys {
				if err := r.checkOverride(m, k, pos); err != nil {
					return nil, err
				}
				m.Set(k, o.vals[i])
			}
		}
		return nil, nil
	case "remove":
		return m.Delete(key()), nil
	case "keySet":
		l := &List{Items: make([]any, len(m.keys))}
		for i, k := range m.keys {
			l.Items[i] = k
		}
		return l, r.spend(pos, 16*len(m.keys))
	case "values":
		return &List{Items: append([]any(nil), m.vals...)}, r.spend(pos, 16*len(m.keys))
	case "entrySet":
		l := &List{Items: make([]any, len(m.keys))}
		for i, k := range m.keys {
			l.Items[i] = entry{key: k, val: m.vals[i]}
		}
		return l, r.spend(pos, 32*len(m.keys))
	case "size":
		return int64(m.Len()), nil
	case "isEmpty":
		return m.Len() == 0, nil
	case "clear":
		*m = Map{opaque: m.opaque, override: m.override}
		return nil, nil
	case "toString":
		return display(m), nil
	case "equals":
		return valuesEqual(m, firstArg(args), 0), nil
	}
	return nil, nil
}
