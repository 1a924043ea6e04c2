package vtl

import (
	"math"
	"strconv"
	"strings"
)

// Values a template handles are plain Go values standing in for the Java
// objects API Gateway's Velocity sees:
//
//	nil      null
//	string   java.lang.String
//	int64    Integer / Long
//	float64  Double
//	bool     Boolean
//	*List    ArrayList (literals, keySet()) or a JSON array (Json set)
//	*Map     LinkedHashMap: insertion-ordered, string keys
//	entry    Map.Entry from entrySet()
//
// and a few objects of the engine's own ($input, $util, $foreach, #define
// blocks).

// List is a Java List. A list parsed from JSON (Json) prints as compact JSON,
// as API Gateway's json-smart JSONArray does; any other prints as Java's
// ArrayList.toString ("[a, b]").
type List struct {
	Items []any
	Json  bool
}

// Map is an insertion-ordered map with string keys (Java's LinkedHashMap).
// Maps nested in $context (identity, requestOverride, …) are opaque: they
// print as nothing, as on AWS.
type Map struct {
	keys   []string
	vals   []any
	index  map[string]int
	opaque bool
	// override marks $context.requestOverride/responseOverride maps: each
	// key may be set once per rendering (API Gateway answers 5XX otherwise).
	override bool
}

// NewMap returns an empty map with room for n entries.
func NewMap(n int) *Map {
	return &Map{keys: make([]string, 0, n), vals: make([]any, 0, n)}
}

// indexAfter is the size past which a Map keeps a hash index; smaller maps
// (most JSON objects, and $context's 20 keys, built per request) are
// scanned, which allocates nothing and compares few strings.
const indexAfter = 24

func (m *Map) find(key string) int {
	if m.index != nil {
		if i, ok := m.index[key]; ok {
			return i
		}
		return -1
	}
	for i, k := range m.keys {
		if k == key {
			return i
		}
	}
	return -1
}

// Get returns the value under key and whether the key is present.
func (m *Map) Get(key string) (any, bool) {
	if m == nil {
		return nil, false
	}
	i := m.find(key)
	if i < 0 {
		return nil, false
	}
	return m.vals[i], true
}

// Set puts value under key (keeping the key's first position) and returns
// the previous value.
func (m *Map) Set(key string, value any) any {
	if i := m.find(key); i >= 0 {
		prev := m.vals[i]
		m.vals[i] = value
		return prev
	}
	m.keys = append(m.keys, key)
	m.vals = append(m.vals, value)
	if m.index != nil {
		m.index[key] = len(m.keys) - 1
	} else if len(m.keys) > indexAfter {
		m.reindex()
	}
	return nil
}

func (m *Map) reindex() {
	m.index = make(map[string]int, len(m.keys))
	for i, k := range m.keys {
		m.index[k] = i
	}
}

// Delete removes key and returns its value.
func (m *Map) Delete(key string) any {
	i := m.find(key)
	if i < 0 {
		return nil
	}
	prev := m.vals[i]
	m.keys = append(m.keys[:i], m.keys[i+1:]...)
	m.vals = append(m.vals[:i], m.vals[i+1:]...)
	if m.index != nil {
		m.reindex()
	}
	return prev
}

// Len is the number of entries.
func (m *Map) Len() int {
	if m == nil {
		return 0
	}
	return len(m.keys)
}

// Keys returns the keys in insertion order (the map's own slice: do not
// modify it).
func (m *Map) Keys() []string {
	if m == nil {
		return nil
	}
	return m.keys
}

// SetOpaque makes the map print as nothing (as $context.identity does on AWS).
func (m *Map) SetOpaque() { m.opaque = true }

// entry is a Map.Entry (entrySet()'s elements).
type entry struct {
	key string
	val any
}

// javaDouble formats f as Java's Double.toString does: "249.99", "1.0",
// "1.0E10", "1.0E-5", "NaN", "Infinity".
func javaDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	abs := math.Abs(f)
	if abs >= 1e-3 && abs < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	// Scientific: shortest digits, mantissa with at least one decimal.
	s := strconv.FormatFloat(f, 'E', -1, 64) // e.g. 1E+10, 1.5E-05
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}

// isNumber reports whether v is an int64 or float64.
func isNumber(v any) bool {
	switch v.(type) {
	case int64, float64:
		return true
	}
	return false
}

func toFloat(v any) float64 {
	switch n := v.(type) {
	case int64:
		return float64(n)
	case float64:
		return n
	}
	return 0
}

// truthy is Velocity's #if: only null and false are false.
func truthy(v any) bool {
	switch b := v.(type) {
	case nil:
		return false
	case bool:
		return b
	}
	return true
}

// valuesEqual is Velocity's ==, with API Gateway's null rule: null equals
// null and the empty string. Numbers compare by value, values of the same
// kind by Java's equals, others by their toString().
func valuesEqual(a, b any, depth int) bool {
	if a == nil || b == nil {
		if a == nil && b == nil {
			return true
		}
		other := a
		if a == nil {
			other = b
		}
		s, ok := other.(string)
		return ok && s == ""
	}
	if isNumber(a) && isNumber(b) {
		ai, aInt := a.(int64)
		bi, bInt := b.(int64)
		if aInt && bInt {
			return ai == bi
		}
		return toFloat(a) == toFloat(b)
	}
	if depth > maxValueDepth {
		return false
	}
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return x == y
		}
	case bool:
		if y, ok := b.(bool); ok {
			return x == y
		}
	case *List:
		if y, ok := b.(*List); ok {
			if len(x.Items) != len(y.Items) {
				return false
			}
			for i := range x.Items {
				if !valuesEqual(x.Items[i], y.Items[i], depth+1) {
					return false
				}
			}
			return true
		}
	case *Map:
		if y, ok := b.(*Map); ok {
			if x.Len() != y.Len() {
				return false
			}
			for i, k := range x.keys {
				yv, ok := y.Get(k)
				if !ok || !valuesEqual(x.vals[i], yv, depth+1) {
					return false
				}
			}
			return true
		}
	}
	var sa, sb strings.Builder
	writeValue(&sa, a, 0)
	writeValue(&sb, b, 0)
	return sa.String() == sb.String()
}

// maxValueDepth bounds recursion through nested values (printing, equality,
// JSON): a list that contains itself must fail, not overflow the stack.
const maxValueDepth = 200

// display returns v as the template output shows it.
func display(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	var b strings.Builder
	writeValue(&b, v, 0)
	return b.String()
}

// writeValue writes v's Java toString(): the form that output, string
// interpolation and toString() use. Java prints a null inside a collection
// as "null"; a null at the top prints as nothing (display).
func writeValue(b *strings.Builder, v any, depth int) {
	if depth > maxValueDepth {
		b.WriteString("...")
		return
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		b.WriteString(x)
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		b.WriteString(javaDouble(x))
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case *List:
		if x.Json {
			writeJSON(b, x, depth)
			return
		}
		b.WriteByte('[')
		for i, item := range x.Items {
			if i > 0 {
				b.WriteString(", ")
			}
			writeValue(b, item, depth+1)
		}
		b.WriteByte(']')
	case *Map:
		if x.opaque {
			return
		}
		b.WriteByte('{')
		for i, k := range x.keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(k)
			b.WriteByte('=')
			writeValue(b, x.vals[i], depth+1)
		}
		b.WriteByte('}')
	case entry:
		b.WriteString(x.key)
		b.WriteByte('=')
		writeValue(b, x.val, depth+1)
	case *foreachScope, *inputObj, *utilObj:
		// Engine objects print as nothing rather than a Java identity hash.
	case *block:
		// A #define block prints its body; display handles it with the
		// render state, so here it is nothing.
	}
}

// writeJSON writes v as compact JSON (json-smart's JSONValue.toJSONString:
// no spaces, strings escaped, numbers as Java prints them).
func writeJSON(b *strings.Builder, v any, depth int) {
	if depth > maxValueDepth {
		b.WriteString("null")
		return
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		writeJSONString(b, x)
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			b.WriteString("null")
			return
		}
		b.WriteString(javaDouble(x))
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case *List:
		b.WriteByte('[')
		for i, item := range x.Items {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSON(b, item, depth+1)
		}
		b.WriteByte(']')
	case *Map:
		b.WriteByte('{')
		for i, k := range x.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, k)
			b.WriteByte(':')
			writeJSON(b, x.vals[i], depth+1)
		}
		b.WriteByte('}')
	default:
		var s strings.Builder
		writeValue(&s, v, depth)
		writeJSONString(b, s.String())
	}
}

const hexDigits = "0123456789ABCDEF"

func writeJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if c < 0x20 {
				b.WriteString(`\u00`)
				b.WriteByte(hexDigits[c>>4])
				b.WriteByte(hexDigits[c&0xf])
				continue
			}
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}

// typeName names v's Java class for error messages.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "String"
	case int64:
		return "Integer"
	case float64:
		return "Double"
	case bool:
		return "Boolean"
	case *List:
		return "List"
	case *Map:
		return "Map"
	case entry:
		return "Map.Entry"
	case *foreachScope:
		return "$foreach"
	case *inputObj:
		return "$input"
	case *utilObj:
		return "$util"
	case *block:
		return "#define block"
	}
	return "object"
}
