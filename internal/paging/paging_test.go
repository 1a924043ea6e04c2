package paging

import (
	"slices"
	"strings"
	"testing"
)

func TestPageWalksEveryItemOnce(t *testing.T) {
	items := strings.Split("d b a e c g f", " ")
	for _, tc := range []struct {
		name  string
		desc  bool
		limit int
		want  string
	}{
		{"ascending by 3", false, 3, "abc def g"},
		{"ascending by 7", false, 7, "abcdefg"},
		{"ascending by 100", false, 100, "abcdefg"},
		{"descending by 2", true, 2, "gf ed cb a"},
		{"limit 0 is 1", false, 0, "a b c d e f g"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := Keyset[string]{Key: func(s string) string { return s }, Desc: tc.desc}
			var pages []string
			token := ""
			for range 20 {
				page, next, ok := k.Page(items, token, tc.limit)
				if !ok {
					t.Fatalf("token %q refused", token)
				}
				pages = append(pages, strings.Join(page, ""))
				if next == "" {
					break
				}
				token = next
			}
			if got := strings.Join(pages, " "); got != tc.want {
				t.Errorf("pages: got %q, want %q", got, tc.want)
			}
		})
	}
}

// A page stays correct when items before it, or the item its token names,
// are deleted: nothing is skipped and nothing repeated.
func TestPageAfterDeletes(t *testing.T) {
	k := Keyset[string]{Key: func(s string) string { return s }}
	items := []string{"a", "b", "c", "d", "e"}
	page, next, _ := k.Page(items, "", 2)
	if !slices.Equal(page, []string{"a", "b"}) {
		t.Fatalf("first page: got %v", page)
	}
	items = []string{"c", "d", "e"} // a and b (the token's own item) deleted
	page, _, _ = k.Page(items, next, 2)
	if !slices.Equal(page, []string{"c", "d"}) {
		t.Errorf("page after deleting the previous page: got %v, want [c d]", page)
	}
}

func TestPageRefusesForeignTokens(t *testing.T) {
	k := Keyset[string]{Key: func(s string) string { return s }}
	for _, token := range []string{"!!!", "=", "a b", "zz"} {
		if _, _, ok := k.Page([]string{"a"}, token, 1); ok {
			t.Errorf("token %q: got ok, want refused", token)
		}
	}
}

func FuzzPage(f *testing.F) {
	f.Add("YQ", 2)
	f.Add("", 0)
	f.Fuzz(func(t *testing.T, token string, limit int) {
		k := Keyset[string]{Key: func(s string) string { return s }}
		page, _, ok := k.Page([]string{"a", "b", "c"}, token, limit%10)
		if ok && len(page) > max(limit%10, 1) {
			t.Errorf("page of %d items for limit %d", len(page), limit%10)
		}
	})
}
