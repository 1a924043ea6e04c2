package vtl

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"sync"
)

// Limits. MaxTemplateSize and MaxForeach are API Gateway's documented quotas;
// the others bound what a template can cost gatehouse.
const (
	// MaxTemplateSize is API Gateway's limit on a mapping template (300 KB).
	MaxTemplateSize = 300 * 1024
	// MaxForeach is the most iterations one #foreach runs; the loop stops
	// there quietly (Velocity's directive.foreach.maxloops, 1,000 on AWS).
	MaxForeach = 1000
	// MaxOutput bounds a rendering (API Gateway's payload limit, 10 MB).
	MaxOutput = 10 << 20
	// maxCallDepth bounds nested macro calls, #define blocks and #evaluate
	// (Velocity's velocimacro.max.depth default is 20).
	maxCallDepth = 20
	// maxWork bounds the bytes a rendering may build in strings and
	// collections besides its output.
	maxWork = 64 << 20
)

// Sentinel causes a caller can test with errors.Is on a render error.
var (
	// ErrOutputTooLarge: the rendering passed MaxOutput.
	ErrOutputTooLarge = errors.New("output larger than 10 MB")
	// ErrTooMuchWork: the template built more than the engine allows.
	ErrTooMuchWork = errors.New("template built more than 64 MB of values")
	// ErrInvalidPayload: $input.json/$input.path met a body that starts
	// like JSON ('{' or '[') but is not (API Gateway answers 400 "Could not
	// process payload").
	ErrInvalidPayload = errors.New("body is not valid JSON")
)

// Error is a compile or run-time failure at a place in the template.
type Error struct {
	Line, Col int
	Msg       string
	Err       error // the cause, if any (ErrOutputTooLarge, context.DeadlineExceeded, …)
}

func (e *Error) Error() string {
	return fmt.Sprintf("line %d:%d: %s", e.Line, e.Col, e.Msg)
}

func (e *Error) Unwrap() error { return e.Err }

// Template is a compiled mapping template, immutable and safe for
// concurrent Render calls.
type Template struct {
	src    *source
	nodes  []node
	macros map[string]*macroDef

	regexMu sync.Mutex
	regexps map[string]*regexp.Regexp
}

// Compile parses a mapping template. It refuses templates over
// MaxTemplateSize and syntax errors, with the line and column.
func Compile(src string) (*Template, error) {
	if len(src) > MaxTemplateSize {
		return nil, &Error{Line: 1, Col: 1, Msg: fmt.Sprintf("template is %d bytes, over the %d-byte limit", len(src), MaxTemplateSize)}
	}
	s := newSource(src)
	p := &parser{src: s, text: src, macros: map[string]*macroDef{}}
	nodes, term, termAt, err := p.parseBlock()
	if err != nil {
		return nil, err
	}
	if term != "" {
		return nil, p.errorf(termAt, "#%s without a matching #if, #foreach, #macro or #define", term)
	}
	return &Template{src: s, nodes: nodes, macros: p.macros}, nil
}

// maxCachedRegexps bounds the per-template cache of compiled patterns
// (patterns may come from request data).
const maxCachedRegexps = 64

// regexp compiles a Java pattern (RE2 accepts the common subset: a Java-only
// construct is a run-time error). whole anchors it for String.matches.
func (t *Template) regexp(pattern string, whole bool) (*regexp.Regexp, error) {
	key := pattern
	if whole {
		key = "\x00" + pattern
	}
	t.regexMu.Lock()
	re, ok := t.regexps[key]
	t.regexMu.Unlock()
	if ok {
		return re, nil
	}
	expr := pattern
	if whole {
		expr = `^(?:` + pattern + `)$`
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("regular expression %q: %w", pattern, err)
	}
	t.regexMu.Lock()
	if t.regexps == nil {
		t.regexps = map[string]*regexp.Regexp{}
	}
	if len(t.regexps) < maxCachedRegexps {
		t.regexps[key] = re
	}
	t.regexMu.Unlock()
	return re, nil
}

// Param is one request parameter (path, query string or header).
type Param struct {
	Name, Value string
}

// Input is what a template may read for one rendering. Render writes into
// Context ($context.requestOverride, $context.responseOverride and anything
// a #set puts there): build one Context per request, and pass the same one to
// the response template so that overrides and keys set by the request
// template carry over, as on AWS.
type Input struct {
	// Body is the payload $input.body/json/path read: the method request's
	// in a request template, the endpoint's response in a response template.
	Body []byte
	// Path, Query and Header are the method request's parameters
	// ($input.params(), looked up in that order by $input.params('x')).
	Path, Query, Header []Param
	// Context is $context. Maps nested in it print as nothing.
	Context *Map
	// StageVariables is $stageVariables.
	StageVariables *Map
	// Loader, when set, fills in Context, StageVariables and the parameters
	// the first time a rendering reads them, so that a template that never
	// reads $context (most MOCK request templates) costs no $context.
	Loader Loader

	paramsLoaded bool // Loader.LoadParams ran
}

// Loader builds the parts of an Input that cost the most to gather, on
// demand. Each method is called at most once per Input, and only while the
// part is unset.
type Loader interface {
	// LoadContext returns $context, called the first time a rendering reads
	// $context while Input.Context is nil; the result is kept in
	// Input.Context (nil: an empty map).
	LoadContext() *Map
	// LoadStageVariables returns $stageVariables, likewise kept in
	// Input.StageVariables.
	LoadStageVariables() *Map
	// LoadParams fills in in.Path, in.Query and in.Header, called the first
	// time a rendering reads the request parameters ($input.params).
	LoadParams(in *Input)
}

// Field is one override a template set: a header, query string or path
// parameter. A list value gives several Values (a multi-value header is
// them joined with commas).
type Field struct {
	Name   string
	Values []string
}

// Overrides are what a template set under $context.requestOverride and
// $context.responseOverride.
type Overrides struct {
	// Status is responseOverride.status, 0 when not set.
	Status          int
	ResponseHeaders []Field
	RequestHeaders  []Field
	Query           []Field
	Path            []Field
}

// Output is the result of a rendering.
type Output struct {
	// Body is the rendered text. Render appends to Body[:0], so a caller
	// may reuse an Output to save allocations.
	Body      []byte
	Overrides Overrides
}

// Render runs the template on in. It stops with an error when ctx ends, when
// the output passes MaxOutput, and when the template fails (an *Error with
// the line and column and why): API Gateway answers such failures with 500.
func (t *Template) Render(ctx context.Context, in *Input, out *Output) error {
	if in.Context != nil {
		prepareContext(in.Context)
	}
	// $input, $util, $context and $stageVariables are not in vars: lookup
	// falls back to them, so a rendering that sets no variable allocates no
	// map, and $context is built only when read.
	r := &renderer{
		ctx:  ctx,
		t:    t,
		in:   in,
		out:  out.Body[:0],
		work: maxWork,
	}
	err := r.block(t.nodes, t.macros)
	if errors.Is(err, errStop) || errors.Is(err, errBreak) {
		err = nil
	}
	out.Body = r.out
	if err != nil {
		return err
	}
	out.Overrides = Overrides{}
	if in.Context == nil {
		return nil // nothing read $context, so nothing set an override
	}
	ov, err := overridesOf(in.Context)
	if err != nil {
		return &Error{Line: 1, Col: 1, Msg: err.Error()}
	}
	out.Overrides = ov
	return nil
}

// context is $context, built (through the Loader) when first read.
func (r *renderer) context() *Map {
	in := r.in
	if in.Context == nil {
		if in.Loader != nil {
			in.Context = in.Loader.LoadContext()
		}
		if in.Context == nil {
			in.Context = NewMap(4)
		}
		prepareContext(in.Context)
	}
	return in.Context
}

// stageVariables is $stageVariables, built (through the Loader) when first
// read; without any, an empty map of this rendering's own.
func (r *renderer) stageVariables() *Map {
	in := r.in
	if in.StageVariables == nil && in.Loader != nil {
		in.StageVariables = in.Loader.LoadStageVariables()
	}
	if in.StageVariables != nil {
		return in.StageVariables
	}
	if r.noStageVars == nil {
		r.noStageVars = NewMap(0)
	}
	return r.noStageVars
}

// requestParams returns the request parameters, gathered (through the Loader) when
// first read.
func (r *renderer) requestParams() (path, query, header []Param) {
	in := r.in
	if !in.paramsLoaded {
		in.paramsLoaded = true
		if in.Loader != nil {
			in.Loader.LoadParams(in)
		}
	}
	return in.Path, in.Query, in.Header
}

// prepareContext adds the override maps a template may write to, and makes
// every map under $context opaque (AWS prints $context.identity and the
// override maps as nothing).
func prepareContext(c *Map) {
	req := childMap(c, "requestOverride")
	for _, k := range []string{"header", "querystring", "path"} {
		childMap(req, k).override = true
	}
	resp := childMap(c, "responseOverride")
	resp.override = true
	childMap(resp, "header").override = true
	markOpaque(c, 0)
}

func childMap(m *Map, key string) *Map {
	if v, ok := m.Get(key); ok {
		if cm, ok := v.(*Map); ok {
			return cm
		}
	}
	cm := NewMap(2)
	m.Set(key, cm)
	return cm
}

func markOpaque(m *Map, depth int) {
	if depth > 8 {
		return
	}
	for _, v := range m.vals {
		if cm, ok := v.(*Map); ok {
			cm.opaque = true
			markOpaque(cm, depth+1)
		}
	}
}

func overridesOf(c *Map) (Overrides, error) {
	var ov Overrides
	req := childMap(c, "requestOverride")
	resp := childMap(c, "responseOverride")
	ov.RequestHeaders = fieldsOf(childMap(req, "header"))
	ov.Query = fieldsOf(childMap(req, "querystring"))
	ov.Path = fieldsOf(childMap(req, "path"))
	ov.ResponseHeaders = fieldsOf(childMap(resp, "header"))
	if v, ok := resp.Get("status"); ok && v != nil {
		status, err := statusOf(v)
		if err != nil {
			return ov, err
		}
		ov.Status = status
	}
	return ov, nil
}

func statusOf(v any) (int, error) {
	switch x := v.(type) {
	case int64:
		if x > 0 && x < 1000 {
			return int(x), nil
		}
	case float64:
		if x == float64(int64(x)) && x > 0 && x < 1000 {
			return int(x), nil
		}
	case string:
		if n, err := strconv.Atoi(x); err == nil && n > 0 && n < 1000 {
			return n, nil
		}
	}
	return 0, fmt.Errorf("$context.responseOverride.status is %q, not an HTTP status code", display(v))
}

func fieldsOf(m *Map) []Field {
	var fs []Field
	for i, k := range m.keys {
		v := m.vals[i]
		if v == nil {
			continue
		}
		f := Field{Name: k}
		if l, ok := v.(*List); ok {
			for _, item := range l.Items {
				f.Values = append(f.Values, display(item))
			}
		} else {
			f.Values = []string{display(v)}
		}
		fs = append(fs, f)
	}
	return fs
}

// CompilePattern compiles an integration response's selectionPattern: a
// Java regular expression matched against the whole string (the status code
// or the error message), "." not matching a newline. Java-only constructs
// (possessive quantifiers, lookaround) are refused.
func CompilePattern(pattern string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(`^(?:` + pattern + `)$`)
	if err != nil {
		return nil, fmt.Errorf("selection pattern %q: %w", pattern, err)
	}
	return re, nil
}
