package gateway

import (
	"fmt"
	"strings"
)

// template is a mapping template parsed once, when the table is compiled: its
// literal text and the plain references ($context.requestId,
// ${stageVariables.x}, $!{…}) a request fills in. Anything else VTL can do —
// directives (#if, #set, #foreach, comments) and method calls ($input.json(…),
// $util.…) — is kept as err: a request that uses the template answers 500
// rather than pretend (full VTL is the gateway/vtl package's job).
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
// for a name it does not know. A request's are contextVars; a gateway
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

// parseTemplates parses a content type → template map.
func parseTemplates(m map[string]string) map[string]*template {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]*template, len(m))
	for ct, tmpl := range m {
		out[ct] = parseTemplate(tmpl)
	}
	return out
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
