package vtl

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestLanguage covers each construct of the subset, beyond the reference's
// cases.
func TestLanguage(t *testing.T) {
	stage := NewMap(1)
	stage.Set("backend", "b.example")
	cases := []struct {
		name string
		src  string
		req  request
		want string
	}{
		// #set, references
		{"set and print", `#set($a = "x")$a`, request{}, "x"},
		{"formal reference", `#set($a = "x")${a}y`, request{}, "xy"},
		{"quiet reference", `[$!missing]`, request{}, "[]"},
		{"missing reference prints nothing", `[$missing]`, request{}, "[]"},
		{"set null keeps the old value", `#set($a = 1)#set($a = $missing)$a`, request{}, "1"},
		{"set a map property", `#set($m = {})#set($m.k = 2)$m.k`, request{}, "2"},
		{"set a list element", `#set($l = [1, 2])#set($l[1] = 5)$l`, request{}, "[1, 5]"},
		{"dollar not followed by a name is text", `'$.pets' costs $5 and $`, request{}, `'$.pets' costs $5 and $`},
		{"hash not a directive is text", `#notadirective #1`, request{}, `#notadirective #1`},
		{"identifier with a dash", `#set($a-b = 1)$a-b`, request{}, "1"},
		{"escaped reference", `#set($a = 1)\$a \\$a`, request{}, `$a \1`},
		{"escaped directive", `\#if`, request{}, `#if`},
		{"getter property", `#set($s = "")$s.empty`, request{}, "true"},
		// strings
		{"double quotes interpolate", `#set($n = "w")#set($s = "a $n ${n}z")$s`, request{}, "a w wz"},
		{"single quotes do not", `#set($n = "w")#set($s = 'a $n')$s`, request{}, "a $n"},
		{"doubled quotes", `#set($s = "say ""hi""")#set($t = 'it''s')$s $t`, request{}, `say "hi" it's`},
		{"backslashes are kept", `#set($s = "a\nb")$s`, request{}, `a\nb`},
		{"directive inside a string", `#set($s = "#if(true)yes#end")$s`, request{}, "yes"},
		// literals and operators
		{"integer arithmetic", `#set($a = 7)$a + 1 = #set($b = $a + 1)$b, #set($c = $a / 2)$c, #set($d = $a % 4)$d, #set($e = $a * -2)$e`, request{}, "7 + 1 = 8, 3, 3, -14"},
		{"decimal arithmetic", `#set($x = 0.1 + 0.2)$x|#set($y = 1.5 * 2)$y|#set($z = 10 / 4.0)$z`, request{}, "0.3|3.0|2.5"},
		{"set eats the spaces after a reference", `#set($x = 1)$x   #set($y = 2)$y`, request{}, "12"},
		{"division by zero is null", `[#set($x = 1)#set($x = 1 / 0)$x]`, request{}, "[1]"},
		{"string concatenation", `#set($s = "a" + 1)$s`, request{}, "a1"},
		{"comparisons", `#if(1 < 2 && 2 <= 2 && 3 > 2 && 3 >= 3 && 1 != 2)ok#end`, request{}, "ok"},
		{"word operators", `#if(1 lt 2 and not false and (2 eq 2 or false) and 1 ne 2 and 2 gt 1 and 2 ge 2 and 1 le 1)ok#end`, request{}, "ok"},
		{"number equals its string", `#if("5" == 5)eq#end`, request{}, "eq"},
		{"empty string is true", `#if("")t#{else}f#end`, request{}, "t"},
		{"zero is true", `#if(0)t#{else}f#end`, request{}, "t"},
		{"negation", `#if(!$missing)none#end`, request{}, "none"},
		{"elseif", `#set($a = 2)#if($a == 1)one#elseif($a == 2)two#{else}many#end`, request{}, "two"},
		{"list literal prints Java style", `#set($l = [1, "a", true, 2.5])$l`, request{}, "[1, a, true, 2.5]"},
		{"map literal prints Java style", `#set($m = {"a": 1, "b": [1, 2]})$m`, request{}, "{a=1, b=[1, 2]}"},
		{"range", `#foreach($i in [1..3])$i#end`, request{}, "123"},
		{"range from references", `#set($n = 2)#foreach($i in [$n..0])$i#end`, request{}, "210"},
		// #foreach
		{"foreach variables", `#foreach($x in ["a", "b", "c"])$foreach.index$foreach.count$x#if($foreach.first)F#end#if($foreach.last)L#end#if($foreach.hasNext),#end#end`, request{}, "01aF,12b,23cL"},
		{"velocityCount", `#foreach($x in ["a", "b"])$velocityCount#end`, request{}, "12"},
		{"foreach over a map walks its values", `#set($m = {"a": 1, "b": 2})#foreach($v in $m)$v#end`, request{}, "12"},
		{"foreach over keySet and entrySet", `#set($m = {"a": 1, "b": 2})#foreach($k in $m.keySet())$k=$m.get($k);#end#foreach($e in $m.entrySet())$e.key:$e.value;#end`, request{}, "a=1;b=2;a:1;b:2;"},
		{"foreach over null does nothing", `#foreach($x in $missing)x#end.`, request{}, "."},
		{"break", `#foreach($i in [1..5])#if($i == 3)#break#end$i#end`, request{}, "12"},
		{"loop variable restored", `#set($x = "outer")#foreach($x in [1, 2])#end$x`, request{}, "outer"},
		{"nested foreach parent", `#foreach($a in [1, 2])#foreach($b in [3])$foreach.parent.count$b#end#end`, request{}, "1323"},
		{"foreach stops quietly at 1000", `#set($n = 0)#foreach($i in [1..5000])#set($n = $n + 1)#end$n`, request{}, "1000"},
		// #stop, #define, #macro, #evaluate, comments
		{"stop", `a#stop b`, request{}, "a"},
		{"define", `#define($blk)hello $name#end#set($name = "bob")$blk`, request{}, "hello bob"},
		{"macro", `#macro(greet $who)hi $who;#end#greet("ann")#greet("bo")`, request{}, "hi ann;hi bo;"},
		{"macro with comma args", `#macro(pair $a $b)$a,$b#end#pair(1, 2)`, request{}, "1,2"},
		{"a dash continues a name", `#set($a = 1)#set($b = 2)$a-$b`, request{}, "2"},
		{"evaluate", `#set($t = "#set($x = 3)$x")#evaluate($t)`, request{}, "3"},
		{"macro called from a string in #evaluate", `#evaluate('#macro(m)M#end#set($s = "<#m()>")$s')`, request{}, "<M>"},
		{"line comment", "a## comment\nb", request{}, "ab"},
		{"block comment", "a#* many\nlines *#b", request{}, "ab"},
		{"unparsed block", `#[[$notparsed #if]]#`, request{}, "$notparsed #if"},
		// whitespace, as Velocity 1.7
		{"directive lines vanish", "#set($a = 1)\n#if($a == 1)\none\n#end\ndone", request{}, "one\ndone"},
		{"set eats its indentation after a directive line", "#if(true)\n    #set($a = 1)\n    x$a\n#end", request{}, "    x1\n"},
		{"text keeps indentation before set", "{\n  #set($a = 1)\n  \"a\": $a\n}", request{}, "{\n    \"a\": 1\n}"},
		{"else eats its newline", "#if(false)\na\n#else\nb\n#end", request{}, "b\n"},
		// String methods
		{"string methods", `#set($s = " Hello World ")$s.trim().toLowerCase()|$s.length()|$s.indexOf("o")|$s.substring(1, 6)|$s.contains("World")|$s.startsWith(" H")|$s.endsWith("d ")|$s.replace("o", "0")|$s.charAt(1)|$s.toUpperCase().trim()`, request{},
			"hello world|13|5|Hello|true|true|true| Hell0 W0rld |H|HELLO WORLD"},
		{"replaceAll with groups", `#set($s = "a1b22")$s.replaceAll("([a-z])(\d+)", "$2$1")|$s.replaceFirst("\d", "#")|$s.matches("[a-z0-9]+")|$s.matches("[a-z]+")`, request{}, "1a22b|a#b22|true|false"},
		{"split drops trailing empties", `#set($s = "a,b,,c,,")#set($p = $s.split(","))$p.size() $p.get(3)`, request{}, "4 c"},
		{"equals", `#set($s = "abc")$s.equals("abc") $s.equalsIgnoreCase("ABC") $s.isEmpty()`, request{}, "true true false"},
		{"UTF-16 length", `#set($s = "é😀")$s.length()`, request{}, "3"},
		// List and Map methods
		{"list methods", `#set($l = [1, 2])$l.add(3) $l.size() $l.get(2) $l.contains(2) $l.isEmpty() $l`, request{}, "true 3 3 true false [1, 2, 3]"},
		{"list negative index", `#set($l = ["a", "b"])$l[-1]`, request{}, "b"},
		{"map methods", `#set($m = {"a": 1})#set($x = $m.put("b", 2))$m.containsKey("b") $m.size() $m.keySet() $m.values() $m.entrySet() $m.remove("a") $m $m.isEmpty()`, request{}, "true 2 [a, b] [1, 2] [a=1, b=2] 1 {b=2} false"},
		{"map index", `#set($m = {"a b": 1})$m["a b"]`, request{}, "1"},
		// $input
		{"json of the whole body", `$input.json('$')`, request{body: `{"a": [1, 2.50, "x"], "b": {"c": null}}`}, `{"a":[1,2.5,"x"],"b":{"c":null}}`},
		{"json of a string", `$input.json('$.a')`, request{body: `{"a": "q\"uote"}`}, `"q\"uote"`},
		{"json of null", `$input.json('$.a')`, request{body: `{"a": null}`}, `null`},
		{"path values navigate", `#set($p = $input.path('$'))$p.a[1] $p.b.c $p.a.size()`, request{body: `{"a": [1, 2], "b": {"c": true}}`}, "2 true 2"},
		{"numbers print as Java", `$input.path('$.a') $input.path('$.b') $input.path('$.c') $input.path('$.d')`, request{body: `{"a": 1.0, "b": 1e21, "c": 0.0001, "d": 12345678901}`}, "1.0 1.0E21 1.0E-4 12345678901"},
		{"params", `$input.params('id') $input.params('q') $input.params('X-H') $input.params('x-h') [$input.params('none')]`,
			request{path: []Param{{"id", "p"}}, query: []Param{{"q", "v"}, {"id", "shadowed"}}, header: []Param{{"X-H", "h"}}}, "p v h h []"},
		{"params map", `#set($all = $input.params())#foreach($type in $all.keySet())$type:#foreach($n in $all.get($type).keySet())$n=$all.get($type).get($n);#end#end`,
			request{path: []Param{{"id", "1"}}, query: []Param{{"q", "2"}}, header: []Param{{"h", "3"}}}, "path:id=1;querystring:q=2;header:h=3;"},
		{"params header get", `$input.params().header.get('Accept')`, request{header: []Param{{"Accept", "text/plain"}}}, "text/plain"},
		{"stage variables", `$stageVariables.backend ${stageVariables['backend']} $stageVariables.get('backend') [$stageVariables.none]`, request{stage: stage}, "b.example b.example b.example []"},
		// JSONPath
		{"jsonpath bracket names", `$input.json("$['a b'].c")`, request{body: `{"a b": {"c": 1}}`}, "1"},
		{"jsonpath wildcard", `$input.json('$.items[*].id')`, request{body: `{"items": [{"id": 1}, {"id": 2}]}`}, "[1,2]"},
		{"jsonpath deep scan", `$input.json('$..id')`, request{body: `{"items": [{"id": 1}, {"x": {"id": 2}}]}`}, "[1,2]"},
		{"jsonpath slice", `$input.json('$.a[1:3]')`, request{body: `{"a": [0, 1, 2, 3]}`}, "[1,2]"},
		{"jsonpath filter", `$input.json('$.a[?(@.p > 1)].n')`, request{body: `{"a": [{"p": 1, "n": "x"}, {"p": 2, "n": "y"}, {"p": 3, "n": "z"}]}`}, `["y","z"]`},
		{"jsonpath filter on strings and existence", `$input.json("$.a[?(@.t == 'k' && @.n)].n")`, request{body: `{"a": [{"t": "k", "n": 1}, {"t": "k"}, {"t": "j", "n": 3}]}`}, `[1]`},
		{"jsonpath missing in indefinite path", `$input.json('$.a[*].zz')`, request{body: `{"a": [{"b": 1}]}`}, `[]`},
		{"jsonpath missing definite", `$input.json('$.a.b')`, request{body: `{"a": 1}`}, `""`},
		{"plain text body is one string", `$input.json('$')`, request{body: `hello`}, `"hello"`},
		// $util
		{"urlDecode", `$util.urlDecode("a+b%26c%C3%A9")`, request{}, "a b&cé"},
		{"base64Decode", `$util.base64Decode("aGk=")$util.base64Decode("aGk")`, request{}, "hihi"},
		{"escapeJavaScript controls and astral", "$util.escapeJavaScript(\"\t\u0001\\\u007f😀\")", request{}, `\t\u0001\\` + "\u007f" + `\uD83D\uDE00`},
		{"escapeJavaScript of a number", `$util.escapeJavaScript(5)`, request{}, "5"},
		{"util on null prints nothing", `[$util.escapeJavaScript($missing)$util.base64Encode($missing)]`, request{}, "[]"},
		// $context
		{"context values", `$context.requestId $context.identity.sourceIp [$context.identity]`, request{}, "req-1 10.0.0.1 []"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := c.req.input()
			in.Context = testContext()
			got, _, err := render(t, c.src, in)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func testContext() *Map {
	c := NewMap(8)
	c.Set("requestId", "req-1")
	id := NewMap(2)
	id.Set("sourceIp", "10.0.0.1")
	c.Set("identity", id)
	return c
}

// TestCompileErrors: syntax errors name the line and column.
func TestCompileErrors(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"if without end", "a\n#if($x)b", "line 2:1: #if without #end"},
		{"stray end", "ab\n  #end", "line 2:3: #end without a matching"},
		{"set without paren", "#set $a = 1", "line 1:1: #set needs '('"},
		{"set without equals", "#set($a 1)", "line 1:9: #set: expected '='"},
		{"unterminated string", "\n\n#set($a = \"abc)", "line 3:11: unterminated string"},
		{"unterminated comment", "x #* y", "line 1:3: unterminated #* comment"},
		{"bad formal reference", "${a", "line 1:4: expected '}'"},
		{"foreach without in", "#foreach($a of $b)#end", "line 1:13: #foreach: expected 'in'"},
		{"method call without close", "$a.b(1", "method call"},
		{"assign to a method", "#set($a.b() = 1)", "cannot assign to a method call"},
		{"nesting too deep", "#set($a = " + strings.Repeat("(", 300) + "1" + strings.Repeat(")", 300) + ")", "nested deeper"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Compile(c.src)
			if err == nil {
				t.Fatalf("Compile(%q): got no error, want %q", c.src, c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %q, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestTemplateSizeLimit(t *testing.T) {
	if _, err := Compile(strings.Repeat("a", MaxTemplateSize)); err != nil {
		t.Errorf("a template of exactly %d bytes: got %v, want it accepted", MaxTemplateSize, err)
	}
	_, err := Compile(strings.Repeat("a", MaxTemplateSize+1))
	if err == nil || !strings.Contains(err.Error(), "over the") {
		t.Errorf("a template of %d bytes: got %v, want the size refused", MaxTemplateSize+1, err)
	}
}

// TestRuntimeErrors: failures at render time say where and why.
func TestRuntimeErrors(t *testing.T) {
	cases := []struct {
		name, src, body string
		want            string
		cause           error
	}{
		{"list index out of bounds", "\n  $input.path('$.a')[5]", `{"a": [1]}`, "line 2:21: index 5 out of bounds for length 1", nil},
		{"bad base64", `$util.base64Decode("!!")`, "", "line 1:6: $util.base64Decode: illegal base64 input", nil},
		{"bad url escape", `$util.urlDecode("%zz")`, "", "$util.urlDecode", nil},
		{"parseJson of invalid JSON", `$util.parseJson("{x")`, "", "$util.parseJson: invalid JSON", nil},
		{"malformed JSON body", `$input.json('$.a')`, `{"a": `, "body is not valid JSON", ErrInvalidPayload},
		{"bad JSONPath", `$input.path('$.a[')`, `{}`, "invalid JSONPath", nil},
		{"substring out of range", `#set($s = "ab")$s.substring(3)`, "", "substring", nil},
		{"Java-only regex", `#set($s = "ab")$s.replaceAll("a*+", "")`, "", "regular expression", nil},
		{"parse has nothing to load", `#parse("x.vm")`, "", "#parse has nothing to load", nil},
		{"macro recursion", `#macro(f $n)#f($n)#end#f(1)`, "", "macro calls nested deeper than 20", nil},
		{"override set twice", `#set($context.responseOverride.status = 400)#set($context.responseOverride.status = 401)`, "", `override "status" set twice`, nil},
		{"status not a number", `#set($context.responseOverride.status = "teapot")`, "", "not an HTTP status code", nil},
		{"one string past 10 MB", `#set($s = "xxxxxxxxxxxxxxxx")#foreach($i in [1..40])#set($s = "$s$s")#end`, "", "larger than 10 MB", ErrOutputTooLarge},
		{"building values runs out of work", `#set($s = "xxxxxxxxxxxxxxxx")#foreach($i in [1..16])#set($s = "$s$s")#end#foreach($i in [1..100])#set($u = "$s$s")#end`, "", "64 MB", ErrTooMuchWork},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := render(t, c.src, &Input{Body: []byte(c.body)})
			if err == nil {
				t.Fatalf("got no error, want %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %q, want it to contain %q", err, c.want)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Errorf("got %T, want a *vtl.Error with the position", err)
			}
			if c.cause != nil && !errors.Is(err, c.cause) {
				t.Errorf("got %v, want errors.Is(err, %v)", err, c.cause)
			}
		})
	}
}

func TestOutputLimit(t *testing.T) {
	// 1,000 × 1,000 × 16 bytes = 16 MB of output, past the 10 MB limit.
	src := `#foreach($i in [1..1000])#foreach($j in [1..1000])0123456789abcdef#end#end`
	_, _, err := render(t, src, &Input{})
	if !errors.Is(err, ErrOutputTooLarge) {
		t.Fatalf("got %v, want ErrOutputTooLarge", err)
	}
}

// TestContextStopsRendering: a cancelled context stops nested loops.
func TestContextStopsRendering(t *testing.T) {
	tm, err := Compile(`#foreach($a in [1..1000])#foreach($b in [1..1000])#foreach($c in [1..1000])#set($x = $c)#end#end#end`)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = tm.Render(ctx, &Input{}, &Output{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want context.DeadlineExceeded", err)
	}
}

// TestConcurrentRender: one Template, many goroutines (run with -race).
func TestConcurrentRender(t *testing.T) {
	tm, err := Compile(`#foreach($x in $input.path('$.a'))$x.replaceAll("[0-9]", "n")#end`)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan string)
	for i := 0; i < 8; i++ {
		go func() {
			var out Output
			if err := tm.Render(context.Background(), &Input{Body: []byte(`{"a": ["a1", "b2"]}`)}, &out); err != nil {
				done <- err.Error()
				return
			}
			done <- string(out.Body)
		}()
	}
	for i := 0; i < 8; i++ {
		if got := <-done; got != "anbn" {
			t.Errorf("got %q, want %q", got, "anbn")
		}
	}
}
