package vtl

import (
	"encoding/base64"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// inputBody is $input.body: the payload as text, "{}" when empty (AWS).
func (r *renderer) inputBody() string {
	if len(r.in.Body) == 0 {
		return "{}"
	}
	return string(r.in.Body)
}

// parsedBody parses the body once per rendering. A body that is not JSON is
// one string (as json-smart's permissive mode reads it), unless it starts
// like a JSON object or array: then it is ErrInvalidPayload.
func (r *renderer) parsedBody() (any, error) {
	if r.bodyParsed {
		return r.body, r.bodyErr
	}
	r.bodyParsed = true
	text := r.inputBody()
	v, err := parseJSON(text)
	if err != nil {
		trimmed := strings.TrimLeft(text, " \t\r\n")
		if strings.HasPrefix(trimmed, "{") || strings.HasPrefix(trimmed, "[") {
			r.bodyErr = err
			return nil, err
		}
		v = text
	}
	r.body = v
	return v, nil
}

func (r *renderer) inputMethod(name string, args []any, pos int) (any, error) {
	switch name {
	case "json", "path":
		if len(args) != 1 || args[0] == nil {
			return nil, r.errorf(pos, nil, "$input.%s takes one JSONPath", name)
		}
		path, err := compilePath(display(args[0]))
		if err != nil {
			return nil, r.errorf(pos, err, "$input.%s: %v", name, err)
		}
		body, err := r.parsedBody()
		if err != nil {
			return nil, r.errorf(pos, ErrInvalidPayload, "$input.%s: %v: %v", name, ErrInvalidPayload, err)
		}
		v, found := path.eval(body)
		if name == "path" {
			return v, nil
		}
		// $input.json: the match as JSON text; a path that matches nothing
		// gives "" (two quotes), JSON null gives null.
		if !found {
			return `""`, nil
		}
		var b strings.Builder
		writeJSON(&b, v, 0)
		return b.String(), r.spend(pos, b.Len())
	case "params":
		if len(args) == 0 {
			return r.allParams(), nil
		}
		if args[0] == nil {
			return "", nil
		}
		want := display(args[0])
		path, query, header := r.requestParams()
		for _, ps := range [][]Param{path, query} {
			for _, p := range ps {
				if p.Name == want {
					return p.Value, nil
				}
			}
		}
		for _, p := range header {
			if strings.EqualFold(p.Name, want) {
				return p.Value, nil
			}
		}
		return "", nil
	case "getBody":
		return r.inputBody(), nil
	}
	return nil, nil
}

// allParams is $input.params(): {path, querystring, header}, each name → one
// string.
func (r *renderer) allParams() *Map {
	if r.params != nil {
		return r.params
	}
	m := NewMap(3)
	path, query, header := r.requestParams()
	for _, k := range []struct {
		name string
		ps   []Param
	}{{"path", path}, {"querystring", query}, {"header", header}} {
		sub := NewMap(len(k.ps))
		for _, p := range k.ps {
			sub.Set(p.Name, p.Value)
		}
		m.Set(k.name, sub)
	}
	r.params = m
	return m
}

func (r *renderer) utilMethod(name string, args []any, pos int) (any, error) {
	if len(args) != 1 {
		return nil, r.errorf(pos, nil, "$util.%s takes one argument", name)
	}
	if args[0] == nil {
		return nil, nil // prints as nothing, as $util.urlEncode($missing) does on AWS
	}
	s := display(args[0])
	var out string
	switch name {
	case "escapeJavaScript":
		out = escapeJavaScript(s)
	case "urlEncode":
		out = urlEncode(s)
	case "urlDecode":
		d, err := urlDecode(s)
		if err != nil {
			return nil, r.errorf(pos, nil, "$util.urlDecode: %v", err)
		}
		out = d
	case "base64Encode":
		out = base64.StdEncoding.EncodeToString([]byte(s))
	case "base64Decode":
		d, err := base64Decode(s)
		if err != nil {
			return nil, r.errorf(pos, nil, "$util.base64Decode: %v", err)
		}
		out = d
	case "parseJson":
		v, err := parseJSON(s)
		if err != nil {
			return nil, r.errorf(pos, nil, "$util.parseJson: %v", err)
		}
		return v, r.spend(pos, 2*len(s))
	default:
		return nil, nil
	}
	return out, r.spend(pos, len(out))
}

// escapeJavaScript is commons-lang 2's StringEscapeUtils.escapeJavaScript,
// per UTF-16 unit: ' " \ / escaped with a backslash, \b \t \n \f \r, other
// control characters and everything past 0x7f as \uXXXX (uppercase hex).
func escapeJavaScript(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	hex4 := func(u uint16) {
		b.WriteString(`\u`)
		b.WriteByte(hexDigits[u>>12])
		b.WriteByte(hexDigits[u>>8&0xf])
		b.WriteByte(hexDigits[u>>4&0xf])
		b.WriteByte(hexDigits[u&0xf])
	}
	for _, c := range s {
		if c >= 0x80 {
			if c > 0xffff {
				hi, lo := utf16.EncodeRune(c)
				hex4(uint16(hi))
				hex4(uint16(lo))
			} else {
				hex4(uint16(c))
			}
			continue
		}
		switch c {
		case '\b':
			b.WriteString(`\b`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\f':
			b.WriteString(`\f`)
		case '\r':
			b.WriteString(`\r`)
		case '\'':
			b.WriteString(`\'`)
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '/':
			b.WriteString(`\/`)
		default:
			if c < 0x20 {
				hex4(uint16(c))
				continue
			}
			b.WriteRune(c)
		}
	}
	return b.String()
}

// urlEncode is java.net.URLEncoder.encode(s, "UTF-8"): A-Z a-z 0-9 . - * _
// kept, space as +, every other byte %XX.
func urlEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isAlpha(c) || isDigit(c) || c == '.' || c == '-' || c == '*' || c == '_':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xf])
		}
	}
	return b.String()
}

// urlDecode is java.net.URLDecoder.decode(s, "UTF-8"): + is a space, %XX a
// byte; a malformed escape fails.
func urlDecode(s string) (string, error) {
	var b []byte
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '+':
			b = append(b, ' ')
		case '%':
			if i+2 >= len(s) || unhex(s[i+1]) < 0 || unhex(s[i+2]) < 0 {
				return "", errorString("incomplete or illegal % escape")
			}
			b = append(b, byte(unhex(s[i+1])<<4|unhex(s[i+2])))
			i += 2
		default:
			b = append(b, c)
		}
	}
	return strings.ToValidUTF8(string(b), string(utf8.RuneError)), nil
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// base64Decode is java.util.Base64's basic decoder: standard alphabet,
// padding optional; the bytes are read as UTF-8.
func base64Decode(s string) (string, error) {
	d, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		d, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
		if err != nil {
			return "", errorString("illegal base64 input")
		}
	}
	return strings.ToValidUTF8(string(d), string(utf8.RuneError)), nil
}
