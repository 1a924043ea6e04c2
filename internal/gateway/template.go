package gateway

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"gatehouse/internal/gateway/vtl"
)

// Two kinds of templates live here. Mapping templates (integration request
// and response bodies) are Velocity, run by package vtl: templateSet. A
// gateway response's template is not: API Gateway only substitutes
// $context/$stageVariables references in it (vtl-reference §4, "error.*:
// gateway-response templates only, plain substitution, not VTL"), which is
// what template does.

// template is a gateway response template parsed once, when the table is
// compiled: its literal text and the plain references ($context.requestId,
// ${stageVariables.x}, $!{…}) a request fills in. A directive or method call
// is kept as err: the gateway response then answers its default body.
type template struct {
	parts []templatePart
	err   error
}

// templatePart is literal text, or a reference when ref is set.
type templatePart struct {
	text  string
	ref   string
	quiet bool // $!ref: nothing when unknown
}

// parseTemplate parses a mapping template; a template it cannot evaluate
// carries the reason in err.
func parseTemplate(tmpl string) *template {
	t := &template{}
	var b strings.Builder
	lit := func() {
		if b.Len() > 0 {
			t.parts = append(t.parts, templatePart{text: b.String()})
			b.Reset()
		}
	}
	for i := 0; i < len(tmpl); {
		c := tmpl[i]
		switch {
		case c == '#' && directiveAt(tmpl[i:]):
			return &template{err: fmt.Errorf("VTL directive at offset %d not supported", i)}
		case c == '\\' && i+1 < len(tmpl) && (tmpl[i+1] == '$' || tmpl[i+1] == '#'):
			b.WriteByte(tmpl[i+1]) // VTL escape of a reference
			i += 2
			continue
		case c == '$':
			name, n, quiet, ok := reference(tmpl[i:])
			if !ok {
				b.WriteByte(c)
				i++
				continue
			}
			if n < 0 {
				return &template{err: fmt.Errorf("VTL expression at offset %d not supported", i)}
			}
			lit()
			t.parts = append(t.parts, templatePart{ref: name, quiet: quiet})
			i += n
			continue
		}
		b.WriteByte(c)
		i++
	}
	lit()
	return t
}

// templateVars resolves a template reference, named as written after "$"
// ("context.requestId", "stageVariables.backend"), to its value; ok is false
// for a name it does not know. A request's are contextVar; a gateway
// response's add $context.error.
type templateVars func(name string) (value string, ok bool)

// render fills in the references from vars; an unknown one that is not quiet
// is an error.
func (t *template) render(vars templateVars) (string, error) {
	if t.err != nil {
		return "", t.err
	}
	var b strings.Builder
	for _, p := range t.parts {
		if p.ref == "" {
			b.WriteString(p.text)
			continue
		}
		v, found := vars(p.ref)
		if !found && !p.quiet {
			return "", fmt.Errorf("unknown reference $%s", p.ref)
		}
		b.WriteString(v)
	}
	return b.String(), nil
}

// templateSet is a method's mapping templates by content type, compiled with
// the table. A key is a media type in lower case; an empty template is kept
// as nil (a response template that is empty lets the body through).
type templateSet struct {
	byType map[string]*vtl.Template
	first  string // the key of the "first" template: the lowest key, as AWS's order is not stated
}

// compileTemplates compiles a content type → template map; nil when empty.
// A template that does not compile is an error naming its content type.
func compileTemplates(m map[string]string) (*templateSet, error) {
	if len(m) == 0 {
		return nil, nil
	}
	set := &templateSet{byType: make(map[string]*vtl.Template, len(m))}
	for _, ct := range slices.Sorted(maps.Keys(m)) {
		key := strings.ToLower(strings.TrimSpace(ct))
		if set.first == "" {
			set.first = key
		}
		if strings.TrimSpace(m[ct]) == "" {
			set.byType[key] = nil
			continue
		}
		t, err := vtl.Compile(m[ct])
		if err != nil {
			return nil, fmt.Errorf("mapping template for %s: %w", ct, err)
		}
		set.byType[key] = t
	}
	return set, nil
}

// forRequest picks the request template for a Content-Type header: its media
// type without parameters, application/json when absent (vtl-reference
// §5.1). ok is false when no template has that type.
func (s *templateSet) forRequest(contentType string) (t *vtl.Template, ok bool) {
	if s == nil {
		return nil, false
	}
	t, ok = s.byType[mediaType(contentType)]
	return t, ok
}

// forResponse picks the response template for an Accept header: its first
// media type, else the application/json template, else the first one
// (vtl-reference §5.2). ctype is the chosen key; t is nil when the body
// passes through (no templates, or an empty one).
func (s *templateSet) forResponse(accept string) (t *vtl.Template, ctype string) {
	if s == nil {
		return nil, ""
	}
	first, _, _ := strings.Cut(accept, ",")
	if first = strings.TrimSpace(first); first != "" {
		if t, ok := s.byType[mediaType(first)]; ok {
			return t, mediaType(first)
		}
	}
	if t, ok := s.byType["application/json"]; ok {
		return t, "application/json"
	}
	return s.byType[s.first], s.first
}

// mediaType is a Content-Type or Accept item's media type in lower case,
// without parameters; application/json when empty.
func mediaType(v string) string {
	mt, _, _ := strings.Cut(v, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	if mt == "" {
		return "application/json"
	}
	return mt
}

var directives = []string{"if", "elseif", "else", "end", "set", "foreach", "break", "stop", "macro", "define", "parse", "include", "evaluate", "{"}

func directiveAt(s string) bool {
	if strings.HasPrefix(s, "##") || strings.HasPrefix(s, "#*") {
		return true
	}
	for _, d := range directives {
		if rest, ok := strings.CutPrefix(s[1:], d); ok {
			if d == "{" || rest == "" || !isIdent(rest[0]) {
				return true
			}
		}
	}
	return false
}

// reference parses "$name.sub", "${name}", "$!name" or "$!{name}" at the start of
// s. ok is false when '$' starts no reference (it is then literal); n < 0 when
// the reference goes on to something render cannot evaluate (a call or index).
func reference(s string) (name string, n int, quiet, ok bool) {
	i := 1
	if i < len(s) && s[i] == '!' {
		quiet = true
		i++
	}
	braced := i < len(s) && s[i] == '{'
	if braced {
		i++
	}
	start := i
	for {
		if i >= len(s) || !isIdentStart(s[i]) {
			break
		}
		for i < len(s) && isIdent(s[i]) {
			i++
		}
		if i+1 < len(s) && s[i] == '.' && isIdentStart(s[i+1]) {
			i++
			continue
		}
		break
	}
	if i == start {
		return "", 0, false, false
	}
	name = s[start:i]
	if braced {
		if i >= len(s) || s[i] != '}' {
			return name, -1, quiet, true
		}
		i++
	} else if i < len(s) && (s[i] == '(' || s[i] == '[') {
		return name, -1, quiet, true
	}
	return name, i, quiet, true
}

func isIdentStart(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isIdent(c byte) bool {
	return isIdentStart(c) || c >= '0' && c <= '9' || c == '_' || c == '-'
}
