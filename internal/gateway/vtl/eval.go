package vtl

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Control flow rides on errors: #break and #stop unwind to the directive
// that ends them.
var (
	errBreak = errors.New("#break")
	errStop  = errors.New("#stop")
)

// renderer is one rendering's state.
type renderer struct {
	ctx   context.Context
	t     *Template
	in    *Input
	out   []byte
	vars  map[string]any
	work  int // bytes of values the template may still build
	depth int // macro, #define and #evaluate nesting
	scope *foreachScope

	body       any // $input's parsed body
	bodyErr    error
	bodyParsed bool
	params     *Map
	// noStageVars is $stageVariables when the Input has none.
	noStageVars *Map
	// written records, per override map, the keys set in this rendering.
	written map[*Map]map[string]bool
}

// foreachScope is $foreach.
type foreachScope struct {
	index   int
	hasNext bool
	parent  *foreachScope
}

// block is a #define'd block: printing it renders its body.
type block struct {
	body   []node
	macros map[string]*macroDef
}

type (
	inputObj struct{}
	utilObj  struct{}
)

var (
	theInput = &inputObj{}
	theUtil  = &utilObj{}
)

func (r *renderer) errorf(pos int, cause error, format string, args ...any) error {
	e := r.t.src.errorf(pos, format, args...)
	e.Err = cause
	return e
}

func (r *renderer) write(s string) error {
	if len(r.out)+len(s) > MaxOutput {
		return ErrOutputTooLarge
	}
	r.out = append(r.out, s...)
	return nil
}

// spend charges n bytes of built values against the rendering's budget.
func (r *renderer) spend(pos, n int) error {
	r.work -= n
	if r.work < 0 {
		return r.errorf(pos, ErrTooMuchWork, "%v", ErrTooMuchWork)
	}
	return nil
}

func (r *renderer) checkCtx(pos int) error {
	if err := r.ctx.Err(); err != nil {
		return r.errorf(pos, err, "rendering stopped: %v", err)
	}
	return nil
}

func (r *renderer) block(nodes []node, macros map[string]*macroDef) error {
	for _, n := range nodes {
		if err := r.node(n, macros); err != nil {
			return err
		}
	}
	return nil
}

func (r *renderer) node(n node, macros map[string]*macroDef) error {
	switch n := n.(type) {
	case *textNode:
		if err := r.write(n.s); err != nil {
			return r.errorf(n.pos, err, "%v", err)
		}
	case *refNode:
		v, err := r.ref(n.ref)
		if err != nil {
			return err
		}
		if b, ok := v.(*block); ok {
			return r.renderBlock(b, n.ref.pos)
		}
		if err := r.write(display(v)); err != nil {
			return r.errorf(n.ref.pos, err, "%v", err)
		}
	case *setNode:
		return r.set(n)
	case *ifNode:
		for i, c := range n.conds {
			v, err := r.eval(c)
			if err != nil {
				return err
			}
			if truthy(v) {
				return r.block(n.bodies[i], macros)
			}
		}
		if n.els != nil {
			return r.block(n.els, macros)
		}
	case *foreachNode:
		return r.foreach(n, macros)
	case *breakNode:
		return errBreak
	case *stopNode:
		return errStop
	case *defineNode:
		r.setVar(n.name, &block{body: n.body, macros: macros})
	case *macroCallNode:
		return r.callMacro(n, macros)
	case *evaluateNode:
		return r.evaluate(n, macros)
	case *failNode:
		return r.errorf(n.pos, nil, "%s", n.msg)
	}
	return nil
}

func (r *renderer) enter(pos int, what string) error {
	r.depth++
	if r.depth > maxCallDepth {
		return r.errorf(pos, nil, "%s nested deeper than %d", what, maxCallDepth)
	}
	return r.checkCtx(pos)
}

func (r *renderer) renderBlock(b *block, pos int) error {
	if err := r.enter(pos, "#define blocks"); err != nil {
		return err
	}
	defer func() { r.depth-- }()
	err := r.block(b.body, b.macros)
	if errors.Is(err, errBreak) {
		return nil
	}
	return err
}

func (r *renderer) callMacro(n *macroCallNode, macros map[string]*macroDef) error {
	def := macros[n.name]
	if err := r.enter(n.pos, "macro calls"); err != nil {
		return err
	}
	defer func() { r.depth-- }()
	args := make([]any, len(def.params))
	for i := range def.params {
		if i < len(n.args) {
			v, err := r.eval(n.args[i])
			if err != nil {
				return err
			}
			args[i] = v
		}
	}
	saved := make([]any, len(def.params))
	had := make([]bool, len(def.params))
	for i, name := range def.params {
		saved[i], had[i] = r.vars[name]
		r.setVar(name, args[i])
	}
	err := r.block(def.body, macros)
	for i, name := range def.params {
		if had[i] {
			r.setVar(name, saved[i])
		} else {
			delete(r.vars, name)
		}
	}
	if errors.Is(err, errBreak) {
		return nil
	}
	return err
}

func (r *renderer) evaluate(n *evaluateNode, macros map[string]*macroDef) error {
	v, err := r.eval(n.arg)
	if err != nil {
		return err
	}
	src := display(v)
	if len(src) > MaxTemplateSize {
		return r.errorf(n.pos, nil, "#evaluate: %d bytes, over the %d-byte limit", len(src), MaxTemplateSize)
	}
	if err := r.enter(n.pos, "#evaluate"); err != nil {
		return err
	}
	defer func() { r.depth-- }()
	inner := make(map[string]*macroDef, len(macros))
	for k, v := range macros {
		inner[k] = v
	}
	p := &parser{src: newSource(src), text: src, macros: inner}
	nodes, term, termAt, err := p.parseBlock()
	if err == nil && term != "" {
		err = p.errorf(termAt, "#%s without a matching directive", term)
	}
	if err != nil {
		return r.errorf(n.pos, err, "#evaluate: %v", err)
	}
	err = r.block(nodes, inner)
	if errors.Is(err, errBreak) {
		return nil
	}
	return err
}

func (r *renderer) foreach(n *foreachNode, macros map[string]*macroDef) error {
	var items []any
	var from, to int64
	lazyRange := false
	if rx, ok := n.iter.(*rangeExpr); ok {
		a, b, err := r.rangeBounds(rx)
		if err != nil {
			return err
		}
		if a == nil {
			return nil
		}
		from, to, lazyRange = *a, *b, true
	} else {
		v, err := r.eval(n.iter)
		if err != nil {
			return err
		}
		switch c := v.(type) {
		case *List:
			items = c.Items
		case *Map:
			items = c.vals
		case entry, nil:
		}
	}
	count := len(items)
	if lazyRange {
		d := to - from
		if d < 0 {
			d = -d
		}
		count = MaxForeach + 1
		if d < MaxForeach {
			count = int(d) + 1
		}
	}
	if count == 0 {
		return nil
	}
	savedVar, hadVar := r.vars[n.varName]
	savedCount, hadCount := r.vars["velocityCount"]
	savedHasNext, hadHasNext := r.vars["velocityHasNext"]
	scope := &foreachScope{parent: r.scope}
	r.scope = scope
	savedScope, hadScope := r.vars["foreach"]
	r.setVar("foreach", scope)
	restore := func() {
		r.scope = scope.parent
		put := func(k string, v any, had bool) {
			if had {
				r.setVar(k, v)
			} else {
				delete(r.vars, k)
			}
		}
		put(n.varName, savedVar, hadVar)
		put("velocityCount", savedCount, hadCount)
		put("velocityHasNext", savedHasNext, hadHasNext)
		put("foreach", savedScope, hadScope)
	}
	defer restore()
	for i := 0; i < count && i < MaxForeach; i++ {
		if err := r.checkCtx(n.pos); err != nil {
			return err
		}
		var item any
		if lazyRange {
			if from <= to {
				item = from + int64(i)
			} else {
				item = from - int64(i)
			}
		} else {
			item = items[i]
		}
		scope.index = i
		scope.hasNext = i+1 < count
		r.setVar(n.varName, item)
		r.setVar("velocityCount", int64(i+1))
		r.setVar("velocityHasNext", scope.hasNext)
		err := r.block(n.body, macros)
		if errors.Is(err, errBreak) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// rangeBounds evaluates [a..b]; nil bounds mean "not a range of integers"
// (Velocity logs and yields nothing).
func (r *renderer) rangeBounds(rx *rangeExpr) (*int64, *int64, error) {
	a, err := r.eval(rx.from)
	if err != nil {
		return nil, nil, err
	}
	b, err := r.eval(rx.to)
	if err != nil {
		return nil, nil, err
	}
	ai, ok1 := toInt(a)
	bi, ok2 := toInt(b)
	if !ok1 || !ok2 {
		return nil, nil, nil
	}
	return &ai, &bi, nil
}

// toInt converts an integer, an integral double or a numeric string.
func toInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x), true
		}
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		return n, err == nil
	}
	return 0, false
}

func (r *renderer) set(n *setNode) error {
	v, err := r.eval(n.value)
	if err != nil {
		return err
	}
	if v == nil {
		// Velocity 1.x: "If the RHS evaluates to null, it is not assigned
		// to the LHS" (directive.set.null.allowed = false).
		return nil
	}
	ref := n.target
	if len(ref.mods) == 0 {
		r.setVar(ref.root, v)
		return nil
	}
	container, err := r.resolve(ref, len(ref.mods)-1)
	if err != nil {
		return err
	}
	last := ref.mods[len(ref.mods)-1]
	var key any
	switch last.kind {
	case modProp:
		key = last.name
	case modIndex:
		if key, err = r.eval(last.index); err != nil {
			return err
		}
	}
	switch c := container.(type) {
	case *Map:
		k := display(key)
		if err := r.checkOverride(c, k, last.pos); err != nil {
			return err
		}
		if err := r.spend(last.pos, 32+len(k)); err != nil {
			return err
		}
		c.Set(k, v)
	case *List:
		i, ok := toInt(key)
		if !ok {
			return nil
		}
		if i < 0 {
			i += int64(len(c.Items))
		}
		if i < 0 || i >= int64(len(c.Items)) {
			return r.errorf(last.pos, nil, "#set: index %d out of bounds for length %d", i, len(c.Items))
		}
		c.Items[i] = v
	}
	// Anything else (null, a String, …): Velocity logs and leaves it.
	return nil
}

// checkOverride enforces API Gateway's "an override can be set only once".
func (r *renderer) checkOverride(m *Map, key string, pos int) error {
	if !m.override {
		return nil
	}
	if r.written == nil {
		r.written = map[*Map]map[string]bool{}
	}
	keys := r.written[m]
	if keys == nil {
		keys = map[string]bool{}
		r.written[m] = keys
	}
	if keys[key] {
		return r.errorf(pos, nil, "override %q set twice (API Gateway allows each override once)", key)
	}
	keys[key] = true
	return nil
}

// lookup is the variable name: one the template set (or a macro's or
// #foreach's), else the built-in objects, which a template may shadow.
func (r *renderer) lookup(name string) (any, bool) {
	if v, ok := r.vars[name]; ok {
		return v, true
	}
	switch name {
	case "input":
		return theInput, true
	case "util":
		return theUtil, true
	case "context":
		return r.context(), true
	case "stageVariables":
		return r.stageVariables(), true
	}
	return nil, false
}

// setVar sets a template variable, making the map on first use.
func (r *renderer) setVar(name string, v any) {
	if r.vars == nil {
		r.vars = make(map[string]any, 8)
	}
	r.vars[name] = v
}

// ref evaluates a whole reference.
func (r *renderer) ref(ref *refExpr) (any, error) {
	return r.resolve(ref, len(ref.mods))
}

// resolve evaluates $root and the first n modifiers. A null anywhere yields
// null (AWS prints it as nothing).
func (r *renderer) resolve(ref *refExpr, n int) (any, error) {
	cur, ok := r.lookup(ref.root)
	if !ok {
		return nil, nil
	}
	for _, m := range ref.mods[:n] {
		if cur == nil {
			return nil, nil
		}
		var err error
		switch m.kind {
		case modProp:
			cur = r.property(cur, m.name)
		case modIndex:
			var idx any
			if idx, err = r.eval(m.index); err != nil {
				return nil, err
			}
			if cur, err = r.index(cur, idx, m.pos); err != nil {
				return nil, err
			}
		case modMethod:
			args := make([]any, len(m.args))
			for i, a := range m.args {
				if args[i], err = r.eval(a); err != nil {
					return nil, err
				}
			}
			if cur, err = r.call(cur, m.name, args, m.pos); err != nil {
				return nil, err
			}
		}
	}
	return cur, nil
}

func (r *renderer) index(cur, idx any, pos int) (any, error) {
	switch c := cur.(type) {
	case *List:
		i, ok := toInt(idx)
		if !ok {
			return nil, r.errorf(pos, nil, "list index %q is not a number", display(idx))
		}
		if i < 0 { // Velocity 1.7 counts a negative index from the end
			i += int64(len(c.Items))
		}
		if i < 0 || i >= int64(len(c.Items)) {
			return nil, r.errorf(pos, nil, "index %s out of bounds for length %d", display(idx), len(c.Items))
		}
		return c.Items[i], nil
	case *Map:
		v, _ := c.Get(display(idx))
		return v, nil
	}
	return nil, nil
}

// property is $x.name: Map.get, else a getter (getName()/isName()).
func (r *renderer) property(cur any, name string) any {
	switch c := cur.(type) {
	case *Map:
		v, _ := c.Get(name)
		return v
	case string:
		if name == "empty" {
			return c == ""
		}
	case *List:
		if name == "empty" {
			return len(c.Items) == 0
		}
	case entry:
		switch name {
		case "key":
			return c.key
		case "value":
			return c.val
		}
	case *foreachScope:
		return c.property(name)
	case *inputObj:
		if name == "body" {
			return r.inputBody()
		}
	}
	return nil
}

func (s *foreachScope) property(name string) any {
	switch name {
	case "index":
		return int64(s.index)
	case "count":
		return int64(s.index + 1)
	case "hasNext":
		return s.hasNext
	case "first":
		return s.index == 0
	case "last":
		return !s.hasNext
	case "parent":
		if s.parent != nil {
			return s.parent
		}
	case "topmost":
		t := s
		for t.parent != nil {
			t = t.parent
		}
		return t
	}
	return nil
}

// eval evaluates an expression.
func (r *renderer) eval(x expr) (any, error) {
	switch x := x.(type) {
	case *litExpr:
		return x.v, nil
	case *refExpr:
		v, err := r.ref(x)
		if b, ok := v.(*block); ok && err == nil {
			return r.renderToString(x.pos, func() error { return r.renderBlock(b, x.pos) })
		}
		return v, err
	case *interpExpr:
		return r.renderToString(x.pos, func() error { return r.block(x.nodes, x.macros) })
	case *listExpr:
		l := &List{Items: make([]any, 0, len(x.items))}
		for _, item := range x.items {
			v, err := r.eval(item)
			if err != nil {
				return nil, err
			}
			l.Items = append(l.Items, v)
		}
		return l, r.spend(0, 16*len(l.Items))
	case *rangeExpr:
		a, b, err := r.rangeBounds(x)
		if err != nil || a == nil {
			return nil, err
		}
		n := *b - *a
		if n < 0 {
			n = -n
		}
		if err := r.spend(x.pos, int(min(n+1, maxWork))*16); err != nil {
			return nil, err
		}
		l := &List{Items: make([]any, 0, n+1)}
		for i := int64(0); i <= n; i++ {
			if *a <= *b {
				l.Items = append(l.Items, *a+i)
			} else {
				l.Items = append(l.Items, *a-i)
			}
		}
		return l, nil
	case *mapExpr:
		m := NewMap(len(x.keys))
		for i := range x.keys {
			k, err := r.eval(x.keys[i])
			if err != nil {
				return nil, err
			}
			v, err := r.eval(x.vals[i])
			if err != nil {
				return nil, err
			}
			m.Set(display(k), v)
		}
		return m, r.spend(0, 32*m.Len())
	case *notExpr:
		v, err := r.eval(x.x)
		return !truthy(v), err
	case *negExpr:
		v, err := r.eval(x.x)
		if err != nil {
			return nil, err
		}
		switch n := v.(type) {
		case int64:
			return -n, nil
		case float64:
			return -n, nil
		}
		return nil, nil
	case *binExpr:
		return r.binary(x)
	}
	return nil, fmt.Errorf("vtl: unknown expression %T", x)
}

// renderToString renders into a fresh buffer (string interpolation).
func (r *renderer) renderToString(pos int, f func() error) (any, error) {
	saved := r.out
	r.out = nil
	err := f()
	s := string(r.out)
	r.out = saved
	if err != nil {
		return nil, err
	}
	return s, r.spend(pos, len(s))
}

func (r *renderer) binary(x *binExpr) (any, error) {
	l, err := r.eval(x.l)
	if err != nil {
		return nil, err
	}
	switch x.op {
	case "&&":
		if !truthy(l) {
			return false, nil
		}
		rv, err := r.eval(x.r)
		return truthy(rv), err
	case "||":
		if truthy(l) {
			return true, nil
		}
		rv, err := r.eval(x.r)
		return truthy(rv), err
	}
	rv, err := r.eval(x.r)
	if err != nil {
		return nil, err
	}
	switch x.op {
	case "==":
		return valuesEqual(l, rv, 0), nil
	case "!=":
		return !valuesEqual(l, rv, 0), nil
	case "<", "<=", ">", ">=":
		if !isNumber(l) || !isNumber(rv) {
			if ls, ok := l.(string); ok {
				if rs, ok := rv.(string); ok {
					return compareResult(x.op, strings.Compare(ls, rs)), nil
				}
			}
			return false, nil // Velocity logs and says false
		}
		return compareResult(x.op, compareNumbers(l, rv)), nil
	case "+":
		_, ls := l.(string)
		_, rs := rv.(string)
		if (ls || rs) && l != nil && rv != nil {
			s := display(l) + display(rv)
			return s, r.spend(x.pos, len(s))
		}
	}
	return arith(x.op, l, rv), nil
}

func compareResult(op string, c int) bool {
	switch op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	}
	return c >= 0
}

func compareNumbers(a, b any) int {
	ai, aInt := a.(int64)
	bi, bInt := b.(int64)
	if aInt && bInt {
		switch {
		case ai < bi:
			return -1
		case ai > bi:
			return 1
		}
		return 0
	}
	af, bf := toFloat(a), toFloat(b)
	switch {
	case af < bf:
		return -1
	case af > bf:
		return 1
	}
	return 0
}

// arith is Velocity's + - * / % on numbers: integers stay integers
// (division truncates), a decimal makes a Double computed in decimal as
// Velocity's BigDecimal does (0.1 + 0.2 = 0.3); division by zero and
// non-numbers give null.
func arith(op string, l, r any) any {
	if !isNumber(l) || !isNumber(r) {
		return nil
	}
	li, lInt := l.(int64)
	ri, rInt := r.(int64)
	if lInt && rInt {
		switch op {
		case "+":
			if s := li + ri; (s > li) == (ri > 0) {
				return s
			}
		case "-":
			if s := li - ri; (s < li) == (ri > 0) {
				return s
			}
		case "*":
			if li == 0 || ri == 0 {
				return int64(0)
			}
			if p := li * ri; p/ri == li && !(li == -1 && ri == math.MinInt64) && !(ri == -1 && li == math.MinInt64) {
				return p
			}
		case "/":
			if ri == 0 {
				return nil
			}
			if !(li == math.MinInt64 && ri == -1) {
				return li / ri
			}
		case "%":
			if ri == 0 {
				return nil
			}
			if ri == -1 {
				return int64(0)
			}
			return li % ri
		}
		// Overflow: Java would widen to BigInteger; a Double is close enough.
	}
	lf, rf := toFloat(l), toFloat(r)
	switch op {
	case "+", "-", "*":
		a, b := decimal(lf), decimal(rf)
		if a == nil || b == nil {
			break
		}
		var z big.Rat
		switch op {
		case "+":
			z.Add(a, b)
		case "-":
			z.Sub(a, b)
		case "*":
			z.Mul(a, b)
		}
		f, _ := z.Float64()
		return f
	case "/":
		if rf == 0 {
			return nil
		}
		return lf / rf
	case "%":
		if rf == 0 {
			return nil
		}
		return math.Mod(lf, rf)
	}
	switch op {
	case "+":
		return lf + rf
	case "-":
		return lf - rf
	}
	return lf * rf
}

// decimal is f's shortest decimal form as an exact rational (Java's
// new BigDecimal(Double.toString(f))).
func decimal(f float64) *big.Rat {
	if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e300 || (f != 0 && math.Abs(f) < 1e-300) {
		return nil
	}
	z, ok := new(big.Rat).SetString(strconv.FormatFloat(f, 'g', -1, 64))
	if !ok {
		return nil
	}
	return z
}
