// Package paging cuts a list into pages with keyset tokens, the one paging
// scheme of every List and Describe operation: a token is the sort key of the
// last item of its page (base64, opaque to clients), so the next page starts
// after that key even when items before it were deleted meanwhile; an offset
// token would skip items then. Checking the page size and naming a bad token
// stay with each service, whose AWS texts differ.
package paging

import (
	"encoding/base64"
	"slices"
	"strings"
)

// Keyset says how a list is ordered: by Key, unique per item, ascending, or
// descending with Desc.
type Keyset[T any] struct {
	Key  func(T) string
	Desc bool
}

// Page returns at most limit items of items (in the keyset's order) after
// the item whose key token holds ("" for the first page), and the token of
// the next page ("" after the last). ok is false when token is not one Page
// made. items need not be sorted; they are not modified.
func (k Keyset[T]) Page(items []T, token string, limit int) (page []T, next string, ok bool) {
	sorted := slices.SortedFunc(slices.Values(items), k.compare)
	start := 0
	if token != "" {
		after, err := base64.RawURLEncoding.Strict().DecodeString(token)
		if err != nil || len(after) == 0 {
			return nil, "", false
		}
		// The first item ordered after the token's key, whether or not the
		// item with that key still exists.
		start, _ = slices.BinarySearchFunc(sorted, string(after), func(x T, key string) int {
			if c := k.order(strings.Compare(k.Key(x), key)); c != 0 {
				return c
			}
			return -1
		})
	}
	end := min(start+max(limit, 1), len(sorted))
	page = sorted[start:end]
	if end == len(sorted) {
		return page, "", true
	}
	return page, Token(k.Key(page[len(page)-1])), true
}

func (k Keyset[T]) compare(a, b T) int { return k.order(strings.Compare(k.Key(a), k.Key(b))) }

func (k Keyset[T]) order(c int) int {
	if k.Desc {
		return -c
	}
	return c
}

// Token is the token of a page that ends with the item whose key is key.
func Token(key string) string { return base64.RawURLEncoding.EncodeToString([]byte(key)) }
