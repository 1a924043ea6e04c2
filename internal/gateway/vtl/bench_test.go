package vtl

import (
	"context"
	"testing"
)

// BenchmarkRenderPassthrough: the templates most APIs use, on a small body.
func BenchmarkRenderPassthrough(b *testing.B) {
	body := []byte(`{"pets": [{"id": 1, "type": "dog", "price": 249.99}, {"id": 2, "type": "cat", "price": 124.99}, {"id": 3, "type": "fish", "price": 0.99}]}`)
	cases := []struct{ name, src string }{
		{"json", `$input.json('$')`},
		{"foreach", "#set($inputRoot = $input.path('$.pets'))\n[\n#foreach($elem in $inputRoot)\n  {\n    \"description\" : \"Item $elem.id is a $elem.type.\",\n    \"askingPrice\" : $elem.price\n  }#if($foreach.hasNext),#end\n\n#end\n]"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			tm, err := Compile(c.src)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			var out Output
			b.ReportAllocs()
			for b.Loop() {
				in := Input{Body: body, Context: NewMap(4)}
				if err := tm.Render(ctx, &in, &out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
