package nameserver

import "sort"

// Page limits: Route 53 returns at most this many items per page, and as many
// when the request names no maxitems.
const (
	MaxZonesPage = 100
	MaxSetsPage  = 300
)

// fromMarker is one page of a listing sorted in its marker order: up to
// maxItems items (0 or more than limit: limit) from the first item not ordered
// before the marker, and the first item of the next page (nil after the last
// page). vsMarker compares an item with the marker (< 0: the item comes first).
//
// Route 53's markers are part of its wire format, not opaque tokens: the next
// page's first zone ID, record name and type, which clients may also write
// themselves (StartRecordName). So its listings page here rather than with
// paging.Keyset, whose tokens name the last item of a page. A marker is a
// position, not an item, so it stays valid when its item is deleted.
func fromMarker[T any](sorted []*T, vsMarker func(*T) int, maxItems, limit int) (page []*T, next *T) {
	start := sort.Search(len(sorted), func(i int) bool { return vsMarker(sorted[i]) >= 0 })
	n := limit
	if maxItems > 0 && maxItems < limit {
		n = maxItems
	}
	rest := sorted[start:]
	if len(rest) <= n {
		return rest, nil
	}
	return rest[:n], rest[n]
}
