package globalaccelerator

import "gatehouse/internal/accelerator"

type pageInput struct {
	MaxResults *int   `json:"MaxResults"`
	NextToken  string `json:"NextToken"`
}

func (p pageInput) page() accelerator.Page {
	return accelerator.Page{MaxResults: p.MaxResults, NextToken: p.NextToken}
}

// shapedPage is the page of a List operation: all (or the listing's err,
// returned as is) paged by key as in asks, each item of the page shaped for
// the wire, and the next token. The shaped page is empty, never nil, so that
// it is written as [].
func shapedPage[T, O any](all []T, err error, key func(T) string, in pageInput, shape func(T) O) ([]O, string, error) {
	if err != nil {
		return nil, "", err
	}
	page, next, err := accelerator.Paginate(all, key, in.page())
	if err != nil {
		return nil, "", err
	}
	out := make([]O, 0, len(page))
	for _, x := range page {
		out = append(out, shape(x))
	}
	return out, next, nil
}
