package apigateway

import (
	"net/url"
	"slices"
	"strconv"
	"testing"

	"gatehouse/internal/paging"
)

// FuzzPage feeds page any position and limit a client may send: it never
// panics, refuses what it cannot read, and a page it gives is in order, at
// most limit long, and continues with the items after it.
func FuzzPage(f *testing.F) {
	for _, seed := range []struct{ position, limit string }{
		{"", ""}, {"", "3"}, {paging.Token("c"), "2"}, {"zz", "1"}, {"!", "0"}, {paging.Token("zz"), "501"}, {"", "-1"},
	} {
		f.Add(seed.position, seed.limit)
	}
	items := []string{"e", "a", "d", "c", "b", "g", "f"}
	sorted := slices.Sorted(slices.Values(items))
	byValue := paging.Keyset[string]{Key: func(s string) string { return s }}
	f.Fuzz(func(t *testing.T, position, limit string) {
		q := url.Values{"position": {position}, "limit": {limit}}
		got, next, err := page(items, byValue, q, "position", "limit")
		if err != nil {
			return
		}
		want := defaultLimit
		if limit != "" {
			want, _ = strconv.Atoi(limit)
		}
		if len(got) > want {
			t.Fatalf("page of limit %q: got %d items, want at most %d", limit, len(got), want)
		}
		if !slices.IsSorted(got) {
			t.Fatalf("page: got %v, want sorted", got)
		}
		if next == "" {
			if len(got) > 0 && got[len(got)-1] != sorted[len(sorted)-1] {
				t.Fatalf("last page ends with %q, want %q", got[len(got)-1], sorted[len(sorted)-1])
			}
			return
		}
		rest, _, err := page(items, byValue, url.Values{"position": {next}}, "position", "limit")
		if err != nil {
			t.Fatalf("next page of token %q: %v", next, err)
		}
		if len(rest) == 0 || rest[0] <= got[len(got)-1] {
			t.Fatalf("next page after %v: got %v, want the items after it", got, rest)
		}
	})
}
