package elbv2

import (
	"fmt"

	"gatehouse/internal/balancer"
)

// pageIn is the paging of every Describe call, embedded in its input.
type pageIn struct {
	Marker   string `query:"Marker"`
	PageSize int    `query:"PageSize"`
}

// page returns the page of items, in the order of key, that the request's
// Marker and PageSize select, and the next marker.
func page[T any](p pageIn, items []T, key func(T) string) ([]T, string, error) {
	return balancer.Page(items, key, p.Marker, p.PageSize)
}

// listed is the paging key of a Describe result: the ARN when the result
// lists what is stored (the store's order, so a page stays right when items
// before it are deleted), or the place in the request when the request named
// the items (the order asked; the request repeats the list on every page).
func listed[T any](items []T, named bool, arn func(T) string) func(T) string {
	if !named {
		return arn
	}
	return inPlace(items, arn)
}

// inPlace keys items by their place in items, for a list that is the same on
// every page (named in the request, or fixed).
func inPlace[T any](items []T, id func(T) string) func(T) string {
	place := make(map[string]string, len(items))
	for i, v := range items {
		place[id(v)] = fmt.Sprintf("%06d", i)
	}
	return func(v T) string { return place[id(v)] }
}
