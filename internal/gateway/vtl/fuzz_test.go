package vtl

import (
	"context"
	"testing"
	"time"
)

// FuzzCompileRender feeds arbitrary templates and bodies: no panic, and the
// rendering stays within MaxOutput and ends soon after its deadline.
func FuzzCompileRender(f *testing.F) {
	seeds := []struct{ tmpl, body string }{
		{`$input.json('$')`, `{"a": [1, 2]}`},
		{`#set($r = $input.path('$.a'))#foreach($x in $r)$x#if($foreach.hasNext),#end#end`, `{"a": [1, "b", {"c": null}]}`},
		{`#macro(m $a)[$a]#end#m($input.body)`, `text`},
		{`#if($input.params('q') == "x")$util.escapeJavaScript($input.body)#{else}$util.urlEncode($input.body)#end`, `it's "x"`},
		{`#set($m = {"k": [1..3]})$m.k.get(1) $m.keySet() #define($b)$m#end$b`, ``},
		{`#set($context.responseOverride.status = 201)#set($context.requestOverride.header.X-Y = ["a", 1])`, ``},
		{`$input.json("$..a[?(@.b > 1 && @.c)]") $input.path('$.a[1:3]')`, `{"a": [{"b": 2, "c": 1}]}`},
		{`#set($s = "a,b")$s.split(",") $s.replaceAll("(a)", "$1$1") #evaluate("#set($x = 1)$x")`, ``},
		{"## c\n#* c *##[[raw]]#\\$x \\#if", ``},
		{`$util.parseJson($input.body).x $util.base64Decode($util.base64Encode($input.body))`, `{"x": 1}`},
	}
	for _, s := range seeds {
		f.Add(s.tmpl, s.body)
	}
	f.Fuzz(func(t *testing.T, tmpl, body string) {
		tm, err := Compile(tmpl)
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		in := &Input{
			Body:   []byte(body),
			Path:   []Param{{"id", "1"}},
			Query:  []Param{{"q", "x"}},
			Header: []Param{{"Accept", "application/json"}},
		}
		var out Output
		start := time.Now()
		_ = tm.Render(ctx, in, &out)
		if len(out.Body) > MaxOutput {
			t.Fatalf("output of %d bytes, over MaxOutput", len(out.Body))
		}
		// Generous: the deadline is 100 ms; a rendering that ignores it for
		// seconds is a bug, a slow machine is not.
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("rendering took %v past a 100 ms deadline", d)
		}
	})
}
