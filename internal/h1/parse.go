package h1

import (
	"bufio"
	"bytes"
	"errors"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"

	"golang.org/x/net/http/httpguts"
)

var (
	// ErrIncomplete: the bytes hold no whole head yet; read more.
	ErrIncomplete = errors.New("h1: incomplete request head")
	// ErrUnsupported: a head ParseHead does not take, valid or not; net/http
	// decides what it is.
	ErrUnsupported = errors.New("h1: request head for net/http")
)

// ParseHead reads the request head at the start of b into req, as net/http's
// server would have read it (but for RemoteAddr, TLS and the context, which
// belong to the connection: the caller's WithContext makes the request it
// serves, so req may be a template it reuses). It returns the head's
// length, or ErrIncomplete, or ErrUnsupported for anything but the common
// case: an
// HTTP/1.1 request line with an origin-form target, header fields of token
// names and visible values on CRLF lines, exactly one valid Host, no body
// (no Content-Length but 0), no Transfer-Encoding, Trailer, Expect or
// Upgrade, and a Connection of keep-alive or close only.
func ParseHead(b []byte, req *http.Request) (int, error) {
	h, header, n, err := scanHead(b, true, nil)
	if err != nil {
		return 0, err
	}
	return n, h.build(req, header)
}

// Head is a request head ParseHead takes, before a request is built from it
// (Conn.Direct): its strings are pieces of one copy of the head.
type Head struct {
	Method, Target, Host string
	// Close: the client's Connection says close.
	Close bool
	// Fields are the header fields in the order sent, Host included, names
	// canonical.
	Fields []Field
	line   string // the request line, CRLF included
	host   int    // Fields[host] is Host
}

// RequestLine is the request line as it came, CRLF included: Method,
// Target and HTTP/1.1 with one space between, as a proxy sends it on.
func (h *Head) RequestLine() string { return h.line }

// HostField is the Host field, the one a head has.
func (h *Head) HostField() *Field { return &h.Fields[h.host] }

// Field is a header field, its name canonical.
type Field struct {
	Name, Value string
	// line is the field's line as it came, CRLF included, when it reads
	// Name + ": " + Value + CRLF; else empty.
	line string
}

// WriteField writes f as "Name: value\r\n": the line it came in when that
// reads so, in one piece.
func WriteField(bw *bufio.Writer, f *Field) {
	if f.line != "" {
		_, _ = bw.WriteString(f.line)
		return
	}
	_, _ = bw.WriteString(f.Name)
	_, _ = bw.WriteString(": ")
	_, _ = bw.WriteString(f.Value)
	_, _ = bw.WriteString("\r\n")
}

// scanHead checks the head at the start of b as ParseHead takes it and
// returns its fields but Host as net/http's header map when withHeader, else
// all of them in Head.Fields (appended to list, which it reuses).
func scanHead(b []byte, withHeader bool, list []Field) (Head, http.Header, int, error) {
	fields, n, err := headEnd(b)
	if err != nil {
		return Head{}, nil, 0, err
	}
	s := string(b[:n])
	line, rest := nextLine(s)
	method, target, ok := requestLine(line)
	if !ok {
		return Head{}, nil, 0, ErrUnsupported
	}
	h := Head{Method: method, Target: target, line: s[:len(line)+2]}
	var header http.Header
	if withHeader {
		header = make(http.Header, fields-1)
	}
	hosts, lengths := 0, 0
	// The fields of the head list held last, which the visit below
	// overwrites only at positions eachField has passed.
	prev := list[:cap(list)]
	taken := eachField(rest, prev, func(f Field) bool {
		key, value := f.Name, f.Value
		if !withHeader {
			list = append(list, f)
		}
		switch key {
		case "Host":
			hosts++
			h.Host = value
			h.host = len(list) - 1 // Fields' index; only Direct's heads (!withHeader) have Fields
			return true            // net/http keeps Host out of the header map
		case "Content-Length":
			lengths++
			if lengths > 1 || value != "0" {
				return false
			}
		case "Transfer-Encoding", "Trailer", "Expect", "Upgrade":
			return false
		case "Connection":
			c, ok := connectionClose(value)
			if !ok {
				return false
			}
			h.Close = h.Close || c
		}
		if withHeader {
			header[key] = append(header[key], value)
		}
		return true
	})
	if !taken || hosts != 1 || !httpguts.ValidHostHeader(h.Host) {
		return Head{}, nil, 0, ErrUnsupported
	}
	h.Fields = list
	return h, header, n, nil
}

// build makes req from the head and its header map; a target that does not
// parse as a request URI is ErrUnsupported.
func (h *Head) build(req *http.Request, header http.Header) error {
	u, err := url.ParseRequestURI(h.Target)
	if err != nil {
		return ErrUnsupported
	}
	*req = http.Request{
		Method:     h.Method,
		URL:        u,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     header,
		Body:       http.NoBody,
		Host:       h.Host,
		RequestURI: h.Target,
		Close:      h.Close,
	}
	return nil
}

// header is the head's fields but Host as net/http's header map.
func (h *Head) header() http.Header {
	header := make(http.Header, len(h.Fields))
	for _, f := range h.Fields {
		if f.Name != "Host" {
			header[f.Name] = append(header[f.Name], f.Value)
		}
	}
	return header
}

// headEnd finds the end of the head at the start of b, counting its lines
// (the request or status line included): a header map is then made at its
// size, an incomplete head costs nothing, and the head becomes one string
// whose pieces are the message's strings.
func headEnd(b []byte) (lines, n int, err error) {
	for p := b; ; lines++ {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			return 0, 0, ErrIncomplete
		}
		if i == 0 || p[i-1] != '\r' {
			return 0, 0, ErrUnsupported // a bare LF: net/http takes it; nothing common sends it
		}
		n += i + 1
		if i == 1 {
			return lines, n, nil
		}
		p = p[i+1:]
	}
}

// eachField calls visit with each field of a whole head after its first line,
// the name canonical (CanonicalMIMEHeaderKey returns a common name from its
// table: no allocation for the names the common fields have). It reports
// false when a line is no field ParseHead takes, or visit returned false.
//
// prev are fields an earlier head of the same connection had, each at its
// line's position: a line that came in again, byte for byte, is that field
// again, without reading it anew (a target's responses and a client's
// requests repeat most of their lines: Server, Content-Type, Host...). Only
// a field whose line is kept (Field.line) can be known again so, and any
// field prev holds came out of nextField: what it checked holds of the
// same bytes.
func eachField(rest string, prev []Field, visit func(f Field) bool) bool {
	for k := 0; rest != "\r\n"; k++ {
		if k < len(prev) {
			if p := prev[k]; p.line != "" && strings.HasPrefix(rest, p.line) {
				if !visit(p) {
					return false
				}
				rest = rest[len(p.line):]
				continue
			}
		}
		f, r, canonical, ok := nextField(rest)
		if !ok {
			return false
		}
		if !canonical {
			f.Name = textproto.CanonicalMIMEHeaderKey(f.Name)
		}
		if !visit(f) {
			return false
		}
		rest = r
	}
	return true
}

// Byte classes of a header field (headChars).
const (
	tokenChar = 1 << iota // tchar: a name's byte
	lowerChar             // a to z
	upperChar             // A to Z
	valueChar             // a value's: visible, space, tab, obs-text
)

// headChars classes every byte, so that nextField reads a line in one pass.
var headChars = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		if httpguts.IsTokenRune(rune(c)) {
			t[c] |= tokenChar
		}
		if c == '\t' || c >= ' ' && c != 0x7f {
			t[c] |= valueChar
		}
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] |= lowerChar
		t[c-'a'+'A'] |= upperChar
	}
	return t
}()

// nextField reads the field line at the start of s (every line of a whole
// head ends in CRLF: headEnd checked) in one pass: a token name right before
// the colon, whether it is canonical (as CanonicalMIMEHeaderKey would leave
// it), the value without the spaces and tabs around it, of visible
// characters, spaces, tabs and obs-text (httpguts.ValidHeaderFieldValue), and
// the rest after the line. A line starting with a space or tab (obs-fold)
// fails: its name is no token.
func nextField(s string) (f Field, rest string, canonical, ok bool) {
	i := 0
	canonical = true
	notAt := uint8(lowerChar) // at a word's start a lower-case letter is not canonical, elsewhere an upper-case one
	for ; i < len(s); i++ {
		k := headChars[s[i]]
		if k&tokenChar == 0 {
			break
		}
		if k&notAt != 0 {
			canonical = false
		}
		notAt = upperChar
		if s[i] == '-' {
			notAt = lowerChar
		}
	}
	if i == 0 || i == len(s) || s[i] != ':' {
		return Field{}, "", false, false
	}
	name := s[:i]
	i++
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	start := i
	for i < len(s) && headChars[s[i]]&valueChar != 0 {
		i++
	}
	if i+1 >= len(s) || s[i] != '\r' || s[i+1] != '\n' {
		return Field{}, "", false, false // a control character in the value
	}
	end := i
	for end > start && (s[end-1] == ' ' || s[end-1] == '\t') {
		end--
	}
	f = Field{Name: name, Value: s[start:end]}
	if canonical && start == len(name)+2 && s[len(name)+1] == ' ' && end == i {
		f.line = s[:i+2]
	}
	return f, s[i+2:], canonical, true
}

// nextLine splits a whole head after its first line, the line without its
// CRLF (ParseHead checked that every line ends in one).
func nextLine(s string) (line, rest string) {
	i := strings.IndexByte(s, '\n')
	return s[:i-1], s[i+1:]
}

// requestLine splits "METHOD /target HTTP/1.1". The target is printable
// ASCII without spaces, in origin form.
func requestLine(line string) (method, target string, ok bool) {
	line, ok = strings.CutSuffix(line, " HTTP/1.1")
	if !ok {
		return "", "", false
	}
	method, target, ok = strings.Cut(line, " ")
	if !ok || method == "" || target == "" || target[0] != '/' {
		return "", "", false
	}
	if !httpguts.ValidHeaderFieldName(method) { // a method is a token, as a field name
		return "", "", false
	}
	for i := 0; i < len(target); i++ {
		if c := target[i]; c <= ' ' || c >= 0x7f {
			return "", "", false
		}
	}
	if method == "CONNECT" || method == "PRI" {
		return "", "", false
	}
	return method, target, true
}

// trimSpaceTab is strings.Trim(s, " \t") without building its set of
// characters on every call.
func trimSpaceTab(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// connectionClose reads a Connection value of keep-alive and close tokens
// only: whether it says close, and false for any other option (a hop-by-hop
// header it names is net/http's and the proxy's business).
func connectionClose(v string) (closeConn, ok bool) {
	switch v { // what nearly every client and target sends
	case "keep-alive":
		return false, true
	case "close":
		return true, true
	}
	for tok := range strings.SplitSeq(v, ",") {
		tok = trimSpaceTab(tok)
		switch {
		case tok == "":
		case strings.EqualFold(tok, "close"):
			closeConn = true
		case strings.EqualFold(tok, "keep-alive"):
		default:
			return false, false
		}
	}
	return closeConn, true
}
