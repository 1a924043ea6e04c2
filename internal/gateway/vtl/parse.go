package vtl

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// The syntax tree. Positions are byte offsets into the template's source;
// Error turns them into line:column.

type node any

type (
	textNode struct {
		s   string
		pos int
	}
	// refNode prints a reference; null prints as nothing (API Gateway's
	// rule, whether or not the reference is quiet).
	refNode struct{ ref *refExpr }
	setNode struct {
		target *refExpr
		value  expr
		pos    int
	}
	ifNode struct {
		conds  []expr
		bodies [][]node
		els    []node
	}
	foreachNode struct {
		varName string
		iter    expr
		body    []node
		pos     int
	}
	breakNode  struct{ pos int }
	stopNode   struct{ pos int }
	defineNode struct {
		name string
		body []node
	}
	macroCallNode struct {
		name string
		args []expr
		pos  int
	}
	evaluateNode struct {
		arg expr
		pos int
	}
	// failNode is a directive that parses but cannot run (#parse, #include:
	// a mapping template has nothing to load).
	failNode struct {
		msg string
		pos int
	}
)

type macroDef struct {
	name   string
	params []string
	body   []node
}

type expr any

type (
	// refExpr is $root followed by .prop, .method(args) and [index].
	refExpr struct {
		root  string
		mods  []modifier
		quiet bool
		pos   int
		src   string // the reference as written, for escapes
	}
	modifier struct {
		kind  modKind
		name  string
		args  []expr
		index expr
		pos   int
	}
	litExpr    struct{ v any }
	interpExpr struct {
		nodes  []node
		macros map[string]*macroDef // the macros the string's calls resolve in
		pos    int
	}
	listExpr  struct{ items []expr }
	rangeExpr struct {
		from, to expr
		pos      int
	}
	mapExpr struct{ keys, vals []expr }
	binExpr struct {
		op   string
		l, r expr
		pos  int
	}
	notExpr struct{ x expr }
	negExpr struct {
		x   expr
		pos int
	}
)

type modKind uint8

const (
	modProp modKind = iota
	modMethod
	modIndex
)

// maxParseDepth bounds nesting (parentheses, literals, blocks, strings in
// strings) so that a hostile template cannot exhaust the stack.
const maxParseDepth = 200

// source maps offsets of a template to line:column.
type source struct {
	text  string
	lines []int // offset of each line's first byte
}

func newSource(text string) *source {
	s := &source{text: text, lines: []int{0}}
	for i := 0; i < len(text); i++ {
		if text[i] == '\n' {
			s.lines = append(s.lines, i+1)
		}
	}
	return s
}

// position returns the 1-based line and column (in bytes) of offset.
func (s *source) position(off int) (line, col int) {
	if off < 0 {
		off = 0
	}
	if off > len(s.text) {
		off = len(s.text)
	}
	i := sort.Search(len(s.lines), func(i int) bool { return s.lines[i] > off }) - 1
	return i + 1, off - s.lines[i] + 1
}

func (s *source) errorf(off int, format string, args ...any) *Error {
	line, col := s.position(off)
	return &Error{Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

type parser struct {
	src    *source
	text   string // what this parser reads: the template, or a string literal's content
	base   int    // offset of text[0] in src
	i      int
	depth  int
	macros map[string]*macroDef
}

func (p *parser) errorf(at int, format string, args ...any) *Error {
	return p.src.errorf(p.base+at, format, args...)
}

func (p *parser) off() int { return p.base + p.i }

func (p *parser) enter(at int) error {
	p.depth++
	if p.depth > maxParseDepth {
		return p.errorf(at, "template nested deeper than %d levels", maxParseDepth)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

// parseBlock reads text and directives until #end, #else, #elseif or the end
// of input; term says which ("" for the end of input) and termAt where.
func (p *parser) parseBlock() (nodes []node, term string, termAt int, err error) {
	var text []byte
	textAt := 0 // where the pending text starts
	seg := 0    // start of the text since the last directive or reference
	flush := func() {
		if len(text) > 0 {
			nodes = append(nodes, &textNode{s: string(text), pos: p.base + textAt})
			text = text[:0]
		}
		seg = 0
	}
	for p.i < len(p.text) {
		c := p.text[p.i]
		if len(text) == 0 {
			textAt = p.i
		}
		switch c {
		case '#':
			start := p.i
			n, term, handled, err := p.hash(&text, &seg)
			if err != nil {
				return nil, "", 0, err
			}
			if term != "" {
				flush()
				return nodes, term, start, nil
			}
			if n != nil {
				flush()
				nodes = append(nodes, n)
				seg = len(text)
			}
			if !handled {
				text = append(text, '#')
				p.i++
			}
			continue
		case '$':
			ref, ok, err := p.parseRef()
			if err != nil {
				return nil, "", 0, err
			}
			if !ok {
				text = append(text, '$')
				p.i++
				continue
			}
			flush()
			nodes = append(nodes, &refNode{ref: ref})
			continue
		case '\\':
			n, lit, err := p.escape()
			if err != nil {
				return nil, "", 0, err
			}
			text = append(text, lit...)
			if n != nil {
				flush()
				nodes = append(nodes, n)
			} else {
				seg = len(text)
			}
			continue
		}
		j := p.i
		for j < len(p.text) && p.text[j] != '#' && p.text[j] != '$' && p.text[j] != '\\' {
			j++
		}
		text = append(text, p.text[p.i:j]...)
		p.i = j
	}
	flush()
	return nodes, "", p.i, nil
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool {
	return isAlpha(c) || c == '_'
}

// isIdentChar: Velocity 1.x identifiers may contain '-'
// ($context.requestOverride.header.X-Amz-Target).
func isIdentChar(c byte) bool { return isAlpha(c) || isDigit(c) || c == '_' || c == '-' }

func isWordChar(c byte) bool { return isAlpha(c) || isDigit(c) || c == '_' }

// directiveName reads "name" or "{name}" at i (just after '#'); n is the
// length read, 0 when there is no name.
func directiveName(s string, i int) (name string, n int) {
	if i < len(s) && s[i] == '{' {
		j := i + 1
		if j >= len(s) || !isIdentStart(s[j]) {
			return "", 0
		}
		for j < len(s) && isWordChar(s[j]) {
			j++
		}
		if j >= len(s) || s[j] != '}' {
			return "", 0
		}
		return s[i+1 : j], j + 1 - i
	}
	j := i
	if j >= len(s) || !isIdentStart(s[j]) {
		return "", 0
	}
	for j < len(s) && isWordChar(s[j]) {
		j++
	}
	return s[i:j], j - i
}

var directives = map[string]bool{
	"set": true, "if": true, "elseif": true, "else": true, "end": true, "foreach": true,
	"break": true, "stop": true, "define": true, "macro": true, "evaluate": true,
	"parse": true, "include": true,
}

// gobbleNewline eats spaces and tabs and one newline after a directive, as
// Velocity 1.x does after a directive's ')' and after #else / #end; without
// a newline it eats nothing.
func (p *parser) gobbleNewline() {
	j := p.i
	for j < len(p.text) && (p.text[j] == ' ' || p.text[j] == '\t') {
		j++
	}
	switch {
	case j < len(p.text) && p.text[j] == '\n':
		p.i = j + 1
	case j < len(p.text) && p.text[j] == '\r':
		p.i = j + 1
		if p.i < len(p.text) && p.text[p.i] == '\n' {
			p.i++
		}
	}
}

// hash handles '#' at p.i: a comment, an unparsed block, a directive or a
// macro call. handled is false when the '#' is plain text; term is set for
// #end, #else and #elseif (the caller's block ends there).
func (p *parser) hash(text *[]byte, seg *int) (n node, term string, handled bool, err error) {
	s := p.text
	start := p.i
	if strings.HasPrefix(s[p.i:], "##") {
		j := strings.IndexByte(s[p.i:], '\n')
		if j < 0 {
			p.i = len(s)
		} else {
			p.i += j + 1
		}
		*seg = len(*text)
		return nil, "", true, nil
	}
	if strings.HasPrefix(s[p.i:], "#*") {
		j := strings.Index(s[p.i+2:], "*#")
		if j < 0 {
			return nil, "", false, p.errorf(start, "unterminated #* comment")
		}
		p.i += 2 + j + 2
		*seg = len(*text)
		return nil, "", true, nil
	}
	if strings.HasPrefix(s[p.i:], "#[[") {
		j := strings.Index(s[p.i+3:], "]]#")
		if j < 0 {
			return nil, "", false, p.errorf(start, "unterminated #[[ block")
		}
		*text = append(*text, s[p.i+3:p.i+3+j]...)
		p.i += 3 + j + 3
		*seg = len(*text)
		return nil, "", true, nil
	}
	name, nlen := directiveName(s, p.i+1)
	if nlen == 0 {
		return nil, "", false, nil
	}
	_, isMacro := p.macros[name]
	if !directives[name] && !isMacro {
		return nil, "", false, nil
	}
	p.i += 1 + nlen
	switch name {
	case "end", "else":
		p.gobbleNewline()
		return nil, name, true, nil
	case "elseif":
		return nil, name, true, nil
	case "set":
		// Velocity's #set token swallows the spaces and tabs before it when
		// they start a token (indentation after a directive or comment line).
		if strings.Trim(string((*text)[*seg:]), " \t") == "" {
			*text = (*text)[:*seg]
		}
		n, err := p.parseSet(start)
		return n, "", true, err
	case "if":
		n, err := p.parseIf(start)
		return n, "", true, err
	case "foreach":
		n, err := p.parseForeach(start)
		return n, "", true, err
	case "break", "stop":
		if p.i < len(s) && s[p.i] == '(' {
			if _, err := p.parseArgs(start, "#"+name); err != nil {
				return nil, "", true, err
			}
			p.gobbleNewline()
		}
		if name == "break" {
			return &breakNode{pos: p.base + start}, "", true, nil
		}
		return &stopNode{pos: p.base + start}, "", true, nil
	case "define":
		n, err := p.parseDefine(start)
		return n, "", true, err
	case "macro":
		err := p.parseMacro(start)
		if err == nil {
			*seg = len(*text)
		}
		return nil, "", true, err
	case "evaluate":
		args, err := p.parseArgs(start, "#evaluate")
		if err != nil {
			return nil, "", true, err
		}
		if len(args) != 1 {
			return nil, "", true, p.errorf(start, "#evaluate takes one argument, got %d", len(args))
		}
		p.gobbleNewline()
		return &evaluateNode{arg: args[0], pos: p.base + start}, "", true, nil
	case "parse", "include":
		if _, err := p.parseArgs(start, "#"+name); err != nil {
			return nil, "", true, err
		}
		p.gobbleNewline()
		return &failNode{msg: "#" + name + " has nothing to load in a mapping template", pos: p.base + start}, "", true, nil
	}
	// A macro call: arguments in parentheses, or none.
	call := &macroCallNode{name: name, pos: p.base + start}
	if p.peekParen() {
		args, err := p.parseArgs(start, "#"+name)
		if err != nil {
			return nil, "", true, err
		}
		call.args = args
		p.gobbleNewline()
	}
	return call, "", true, nil
}

// peekParen reports whether '(' follows, after optional whitespace (as
// Velocity's isLeftParenthesis); it moves p.i to the '(' when it does.
func (p *parser) peekParen() bool {
	j := p.i
	for j < len(p.text) && strings.IndexByte(" \t\r\n", p.text[j]) >= 0 {
		j++
	}
	if j < len(p.text) && p.text[j] == '(' {
		p.i = j
		return true
	}
	return false
}

func (p *parser) expectParen(start int, what string) error {
	if !p.peekParen() {
		return p.errorf(start, "%s needs '('", what)
	}
	p.i++
	return nil
}

func (p *parser) expectClose(start int, what string) error {
	p.ws()
	if p.i >= len(p.text) || p.text[p.i] != ')' {
		return p.errorf(p.i, "%s: expected ')'", what)
	}
	p.i++
	return nil
}

func (p *parser) parseSet(start int) (node, error) {
	if err := p.expectParen(start, "#set"); err != nil {
		return nil, err
	}
	p.ws()
	if p.i >= len(p.text) || p.text[p.i] != '$' {
		return nil, p.errorf(p.i, "#set: expected a reference to assign to")
	}
	ref, ok, err := p.parseRef()
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, p.errorf(p.i, "#set: expected a reference to assign to")
	}
	if n := len(ref.mods); n > 0 && ref.mods[n-1].kind == modMethod {
		return nil, p.errorf(ref.mods[n-1].pos-p.base, "#set: cannot assign to a method call")
	}
	p.ws()
	if p.i >= len(p.text) || p.text[p.i] != '=' {
		return nil, p.errorf(p.i, "#set: expected '='")
	}
	p.i++
	value, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	if err := p.expectClose(start, "#set"); err != nil {
		return nil, err
	}
	p.gobbleNewline()
	return &setNode{target: ref, value: value, pos: p.base + start}, nil
}

func (p *parser) parseCond(start int, what string) (expr, error) {
	if err := p.expectParen(start, what); err != nil {
		return nil, err
	}
	cond, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	if err := p.expectClose(start, what); err != nil {
		return nil, err
	}
	p.gobbleNewline()
	return cond, nil
}

func (p *parser) parseIf(start int) (node, error) {
	if err := p.enter(start); err != nil {
		return nil, err
	}
	defer p.leave()
	n := &ifNode{}
	cond, err := p.parseCond(start, "#if")
	if err != nil {
		return nil, err
	}
	for {
		body, term, termAt, err := p.parseBlock()
		if err != nil {
			return nil, err
		}
		n.conds = append(n.conds, cond)
		n.bodies = append(n.bodies, body)
		switch term {
		case "":
			return nil, p.errorf(start, "#if without #end")
		case "end":
			return n, nil
		case "elseif":
			if cond, err = p.parseCond(termAt, "#elseif"); err != nil {
				return nil, err
			}
			continue
		case "else":
			els, term, _, err := p.parseBlock()
			if err != nil {
				return nil, err
			}
			if term != "end" {
				return nil, p.errorf(termAt, "#else without #end")
			}
			n.els = els
			if n.els == nil {
				n.els = []node{}
			}
			return n, nil
		}
	}
}

func (p *parser) parseBody(start int, what string) ([]node, error) {
	if err := p.enter(start); err != nil {
		return nil, err
	}
	defer p.leave()
	body, term, termAt, err := p.parseBlock()
	if err != nil {
		return nil, err
	}
	if term != "end" {
		if term == "" {
			return nil, p.errorf(start, "%s without #end", what)
		}
		return nil, p.errorf(termAt, "#%s inside %s", term, what)
	}
	return body, nil
}

func (p *parser) parseForeach(start int) (node, error) {
	if err := p.expectParen(start, "#foreach"); err != nil {
		return nil, err
	}
	p.ws()
	ref, ok, err := p.parseRef()
	if err != nil {
		return nil, err
	}
	if !ok || len(ref.mods) > 0 {
		return nil, p.errorf(p.i, "#foreach: expected a variable ($name)")
	}
	p.ws()
	if !strings.HasPrefix(p.text[p.i:], "in") || (p.i+2 < len(p.text) && isWordChar(p.text[p.i+2])) {
		return nil, p.errorf(p.i, "#foreach: expected 'in'")
	}
	p.i += 2
	iter, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	if err := p.expectClose(start, "#foreach"); err != nil {
		return nil, err
	}
	p.gobbleNewline()
	body, err := p.parseBody(start, "#foreach")
	if err != nil {
		return nil, err
	}
	return &foreachNode{varName: ref.root, iter: iter, body: body, pos: p.base + start}, nil
}

func (p *parser) parseDefine(start int) (node, error) {
	if err := p.expectParen(start, "#define"); err != nil {
		return nil, err
	}
	p.ws()
	ref, ok, err := p.parseRef()
	if err != nil {
		return nil, err
	}
	if !ok || len(ref.mods) > 0 {
		return nil, p.errorf(p.i, "#define: expected a variable ($name)")
	}
	if err := p.expectClose(start, "#define"); err != nil {
		return nil, err
	}
	p.gobbleNewline()
	body, err := p.parseBody(start, "#define")
	if err != nil {
		return nil, err
	}
	return &defineNode{name: ref.root, body: body}, nil
}

func (p *parser) parseMacro(start int) error {
	if err := p.expectParen(start, "#macro"); err != nil {
		return err
	}
	p.ws()
	name, n := directiveName(p.text, p.i)
	if n == 0 || strings.HasPrefix(p.text[p.i:], "{") {
		return p.errorf(p.i, "#macro: expected a name")
	}
	if directives[name] {
		return p.errorf(p.i, "#macro: %q is a directive", name)
	}
	p.i += n
	def := &macroDef{name: name}
	for {
		p.ws()
		if p.i < len(p.text) && p.text[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.text) && p.text[p.i] == ')' {
			p.i++
			break
		}
		if p.i >= len(p.text) || p.text[p.i] != '$' {
			return p.errorf(p.i, "#macro %s: expected a parameter ($name) or ')'", name)
		}
		ref, ok, err := p.parseRef()
		if err != nil {
			return err
		}
		if !ok || len(ref.mods) > 0 {
			return p.errorf(p.i, "#macro %s: expected a parameter ($name)", name)
		}
		def.params = append(def.params, ref.root)
	}
	p.gobbleNewline()
	// Registered before the body so that a macro may call itself (the
	// evaluator bounds the depth).
	p.macros[name] = def
	body, err := p.parseBody(start, "#macro")
	if err != nil {
		return err
	}
	def.body = body
	return nil
}

// parseArgs reads "(a, b c)": arguments separated by commas or spaces.
func (p *parser) parseArgs(start int, what string) ([]expr, error) {
	if err := p.expectParen(start, what); err != nil {
		return nil, err
	}
	var args []expr
	for {
		p.ws()
		if p.i >= len(p.text) {
			return nil, p.errorf(start, "%s: expected ')'", what)
		}
		if p.text[p.i] == ')' {
			p.i++
			return args, nil
		}
		if p.text[p.i] == ',' && len(args) > 0 {
			p.i++
			continue
		}
		a, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		args = append(args, a)
	}
}

// escape handles a run of backslashes at p.i. Before a reference or a
// directive an odd count escapes it (printed as written) and half the
// backslashes print; otherwise the backslashes are text.
func (p *parser) escape() (n node, lit []byte, err error) {
	j := p.i
	for j < len(p.text) && p.text[j] == '\\' {
		j++
	}
	count := j - p.i
	if j < len(p.text) && p.text[j] == '$' {
		save := p.i
		p.i = j
		ref, ok, err := p.parseRef()
		if err != nil {
			return nil, nil, err
		}
		if ok {
			lit = []byte(strings.Repeat(`\`, count/2))
			if count%2 == 1 {
				return nil, append(lit, ref.src...), nil
			}
			return &refNode{ref: ref}, lit, nil
		}
		p.i = save
	}
	if j < len(p.text) && p.text[j] == '#' {
		name, nlen := directiveName(p.text, j+1)
		_, isMacro := p.macros[name]
		if nlen > 0 && (directives[name] || isMacro) {
			lit = []byte(strings.Repeat(`\`, count/2))
			if count%2 == 1 {
				p.i = j + 1 + nlen
				return nil, append(lit, p.text[j:p.i]...), nil
			}
			p.i = j // the directive is parsed next
			return nil, lit, nil
		}
	}
	p.i = j
	return nil, []byte(p.text[j-count : j]), nil
}

// ws skips whitespace inside a directive or an argument list.
func (p *parser) ws() {
	for p.i < len(p.text) {
		switch p.text[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// parseRef reads a reference at p.i ('$'). ok is false (p.i unchanged) when
// what follows the '$' is not a reference: then the '$' is text.
func (p *parser) parseRef() (*refExpr, bool, error) {
	s := p.text
	start := p.i
	j := p.i + 1
	quiet, formal := false, false
	if j < len(s) && s[j] == '!' {
		quiet = true
		j++
	}
	if j < len(s) && s[j] == '{' {
		formal = true
		j++
	}
	if j >= len(s) || !isIdentStart(s[j]) {
		return nil, false, nil
	}
	k := j
	for k < len(s) && isIdentChar(s[k]) {
		k++
	}
	ref := &refExpr{root: s[j:k], quiet: quiet, pos: p.base + start}
	p.i = k
	if err := p.enter(start); err != nil {
		return nil, false, err
	}
	defer p.leave()
	for p.i < len(s) {
		c := s[p.i]
		if c == '.' && p.i+1 < len(s) && isAlpha(s[p.i+1]) {
			at := p.i
			k := p.i + 1
			for k < len(s) && isIdentChar(s[k]) {
				k++
			}
			m := modifier{kind: modProp, name: s[p.i+1 : k], pos: p.base + at}
			p.i = k
			if p.i < len(s) && s[p.i] == '(' {
				m.kind = modMethod
				args, err := p.callArgs(at)
				if err != nil {
					return nil, false, err
				}
				m.args = args
			}
			ref.mods = append(ref.mods, m)
			continue
		}
		if c == '[' {
			at := p.i
			p.i++
			index, err := p.parseExpr()
			if err != nil {
				return nil, false, err
			}
			p.ws()
			if p.i >= len(s) || s[p.i] != ']' {
				return nil, false, p.errorf(p.i, "expected ']' after an index")
			}
			p.i++
			ref.mods = append(ref.mods, modifier{kind: modIndex, index: index, pos: p.base + at})
			continue
		}
		break
	}
	if formal {
		if p.i >= len(s) || s[p.i] != '}' {
			return nil, false, p.errorf(p.i, "expected '}' to close ${")
		}
		p.i++
	}
	ref.src = s[start:p.i]
	return ref, true, nil
}

// callArgs reads a method call's "(a, b)" at p.i.
func (p *parser) callArgs(at int) ([]expr, error) {
	p.i++ // '('
	var args []expr
	p.ws()
	if p.i < len(p.text) && p.text[p.i] == ')' {
		p.i++
		return args, nil
	}
	for {
		a, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		args = append(args, a)
		p.ws()
		if done, err := p.next(at, ')', "method call"); done || err != nil {
			return args, err
		}
	}
}

// Expressions, lowest precedence first: || && (== !=) (< <= > >=) (+ -)
// (* / %) unary (! not -).

func (p *parser) parseExpr() (expr, error) {
	if err := p.enter(p.i); err != nil {
		return nil, err
	}
	defer p.leave()
	return p.binary(0)
}

var precedence = [][]string{
	{"||", "or"},
	{"&&", "and"},
	{"==", "!=", "eq", "ne"},
	{"<=", ">=", "<", ">", "le", "ge", "lt", "gt"},
	{"+", "-"},
	{"*", "/", "%"},
}

var wordOps = map[string]string{"or": "||", "and": "&&", "eq": "==", "ne": "!=", "le": "<=", "ge": ">=", "lt": "<", "gt": ">"}

// operator reports the operator of the given level at p.i, if any.
func (p *parser) operator(level int) (string, int) {
	p.ws()
	rest := p.text[p.i:]
	for _, op := range precedence[level] {
		if !strings.HasPrefix(rest, op) {
			continue
		}
		if isAlpha(op[0]) {
			if len(rest) > len(op) && isWordChar(rest[len(op)]) {
				continue
			}
			return wordOps[op], len(op)
		}
		// "=" alone is assignment, "==" equality; "!" alone is not.
		if (op == "<" || op == ">") && len(rest) > 1 && rest[1] == '=' {
			continue
		}
		return op, len(op)
	}
	return "", 0
}

func (p *parser) binary(level int) (expr, error) {
	if level == len(precedence) {
		return p.unary()
	}
	l, err := p.binary(level + 1)
	if err != nil {
		return nil, err
	}
	for {
		op, n := p.operator(level)
		if n == 0 {
			return l, nil
		}
		at := p.off()
		p.i += n
		r, err := p.binary(level + 1)
		if err != nil {
			return nil, err
		}
		l = &binExpr{op: op, l: l, r: r, pos: at}
	}
}

func (p *parser) unary() (expr, error) {
	if err := p.enter(p.i); err != nil {
		return nil, err
	}
	defer p.leave()
	p.ws()
	rest := p.text[p.i:]
	switch {
	case strings.HasPrefix(rest, "!") && !strings.HasPrefix(rest, "!="):
		p.i++
		x, err := p.unary()
		return &notExpr{x: x}, err
	case strings.HasPrefix(rest, "not") && (len(rest) == 3 || !isWordChar(rest[3])):
		p.i += 3
		x, err := p.unary()
		return &notExpr{x: x}, err
	case strings.HasPrefix(rest, "-"):
		at := p.off()
		p.i++
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		if lit, ok := x.(*litExpr); ok {
			switch v := lit.v.(type) {
			case int64:
				return &litExpr{v: -v}, nil
			case float64:
				return &litExpr{v: -v}, nil
			}
		}
		return &negExpr{x: x, pos: at}, nil
	}
	return p.primary()
}

func (p *parser) primary() (expr, error) {
	p.ws()
	if p.i >= len(p.text) {
		return nil, p.errorf(p.i, "expected a value, found the end of the template")
	}
	s := p.text
	c := s[p.i]
	switch {
	case c == '$':
		ref, ok, err := p.parseRef()
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, p.errorf(p.i, "expected a reference after '$'")
		}
		return ref, nil
	case c == '"' || c == '\'':
		return p.stringLiteral()
	case isDigit(c) || (c == '.' && p.i+1 < len(s) && isDigit(s[p.i+1])):
		return p.number()
	case c == '(':
		p.i++
		x, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		p.ws()
		if p.i >= len(s) || s[p.i] != ')' {
			return nil, p.errorf(p.i, "expected ')'")
		}
		p.i++
		return x, nil
	case c == '[':
		return p.listLiteral()
	case c == '{':
		return p.mapLiteral()
	}
	word, _ := directiveName(s, p.i)
	switch word {
	case "true":
		p.i += 4
		return &litExpr{v: true}, nil
	case "false":
		p.i += 5
		return &litExpr{v: false}, nil
	}
	return nil, p.errorf(p.i, "unexpected %q", s[p.i])
}

func (p *parser) number() (expr, error) {
	s := p.text
	start := p.i
	for p.i < len(s) && isDigit(s[p.i]) {
		p.i++
	}
	float := false
	// "1..3" is a range, not the decimal "1." followed by ".3".
	if p.i < len(s) && s[p.i] == '.' && !strings.HasPrefix(s[p.i:], "..") {
		float = true
		p.i++
		for p.i < len(s) && isDigit(s[p.i]) {
			p.i++
		}
	}
	if p.i < len(s) && (s[p.i] == 'e' || s[p.i] == 'E') {
		j := p.i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && isDigit(s[j]) {
			float = true
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			p.i = j
		}
	}
	text := s[start:p.i]
	if !float {
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return &litExpr{v: n}, nil
		}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return nil, p.errorf(start, "invalid number %q", text)
	}
	return &litExpr{v: f}, nil
}

// stringLiteral reads '…' (no interpolation, ” is a quote) or "…"
// (references and directives interpolate, "" is a quote). Backslashes are
// not escapes: Velocity 1.x keeps them.
func (p *parser) stringLiteral() (expr, error) {
	s := p.text
	q := s[p.i]
	start := p.i
	p.i++
	// Offsets inside the string drift by one after each "" (a quote);
	// errors still point into the string.
	var b strings.Builder
	for {
		j := strings.IndexByte(s[p.i:], q)
		if j < 0 {
			return nil, p.errorf(start, "unterminated string")
		}
		b.WriteString(s[p.i : p.i+j])
		p.i += j + 1
		if p.i < len(s) && s[p.i] == q {
			b.WriteByte(q)
			p.i++
			continue
		}
		break
	}
	content := b.String()
	if q == '\'' || !strings.ContainsAny(content, "$#") {
		return &litExpr{v: content}, nil
	}
	sub := &parser{src: p.src, text: content, base: p.base + start + 1, depth: p.depth, macros: p.macros}
	if err := sub.enter(0); err != nil {
		return nil, err
	}
	nodes, term, termAt, err := sub.parseBlock()
	if err != nil {
		return nil, err
	}
	if term != "" {
		return nil, sub.errorf(termAt, "#%s without a matching directive in a string", term)
	}
	if len(nodes) == 1 {
		if t, ok := nodes[0].(*textNode); ok {
			return &litExpr{v: t.s}, nil
		}
	}
	if len(nodes) == 0 {
		return &litExpr{v: ""}, nil
	}
	return &interpExpr{nodes: nodes, macros: p.macros, pos: p.base + start}, nil
}

func (p *parser) listLiteral() (expr, error) {
	start := p.i
	p.i++
	p.ws()
	l := &listExpr{}
	if p.i < len(p.text) && p.text[p.i] == ']' {
		p.i++
		return l, nil
	}
	for {
		x, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		p.ws()
		if len(l.items) == 0 && strings.HasPrefix(p.text[p.i:], "..") {
			p.i += 2
			to, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			p.ws()
			if p.i >= len(p.text) || p.text[p.i] != ']' {
				return nil, p.errorf(p.i, "range: expected ']'")
			}
			p.i++
			return &rangeExpr{from: x, to: to, pos: p.base + start}, nil
		}
		l.items = append(l.items, x)
		if done, err := p.next(start, ']', "list"); done || err != nil {
			return l, err
		}
	}
}

// next steps over the separator after an item of a comma-separated
// sequence that opened at start (a call's arguments, a list, a map): done
// when it was the closing delimiter.
func (p *parser) next(start int, closing byte, what string) (done bool, err error) {
	if p.i >= len(p.text) {
		return false, p.errorf(start, "%s without '%c'", what, closing)
	}
	switch p.text[p.i] {
	case ',':
		p.i++
		return false, nil
	case closing:
		p.i++
		return true, nil
	}
	return false, p.errorf(p.i, "%s: expected ',' or '%c'", what, closing)
}

func (p *parser) mapLiteral() (expr, error) {
	start := p.i
	p.i++
	p.ws()
	m := &mapExpr{}
	if p.i < len(p.text) && p.text[p.i] == '}' {
		p.i++
		return m, nil
	}
	for {
		k, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		p.ws()
		if p.i >= len(p.text) || p.text[p.i] != ':' {
			return nil, p.errorf(p.i, "map: expected ':'")
		}
		p.i++
		v, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		m.keys = append(m.keys, k)
		m.vals = append(m.vals, v)
		p.ws()
		if done, err := p.next(start, '}', "map"); done || err != nil {
			return m, err
		}
	}
}
