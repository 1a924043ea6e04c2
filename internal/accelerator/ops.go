package accelerator

import (
	"context"
	"errors"
	"fmt"

	"gatehouse/internal/model"
	"gatehouse/internal/paging"
	"gatehouse/internal/store"
)

// Global Accelerator quotas and defaults [aws-behaviors.md C].
const (
	maxAccelerators  = 20 // standard accelerators per account
	maxListeners     = 10 // per accelerator
	maxPortRanges    = 10 // per listener
	maxEndpoints     = 10 // per endpoint group
	defaultWeight    = 128
	defaultDial      = 100.0
	defaultInterval  = 30
	defaultThreshold = 3
)

// load is store.LoadOr of the record of kind named arn, after the model's
// limit on the ARN member the request carried it in.
func load[T any](ctx context.Context, st store.Store, kind model.Kind, arn string, notFound func() error) (*T, int64, error) {
	if err := checkARN(kind, arn); err != nil {
		return nil, 0, err
	}
	return store.LoadOr[T](ctx, st, model.Key(kind, arn), notFound)
}

// update is store.UpdateOr of the record of kind named arn, after the model's
// limit on the ARN member; fn's error passes through.
func update[T any](ctx context.Context, st store.Store, kind model.Kind, arn string, notFound func() error, fn func(*T) error) (*T, error) {
	if err := checkARN(kind, arn); err != nil {
		return nil, err
	}
	return store.UpdateOr(ctx, st, model.Key(kind, arn), notFound, fn)
}

// Page asks for one page of a list: at most MaxResults items (1–100; nil
// means 100) after the page that returned NextToken ("" for the first page).
type Page struct {
	MaxResults *int
	NextToken  string
}

// Paginate returns the page p asks for of items, ordered by key, and the token
// of the next page ("" after the last): paging.Keyset, so a page stays correct
// when items before it are deleted.
func Paginate[T any](items []T, key func(T) string, p Page) ([]T, string, error) {
	limit := 100 // UNVERIFIED: the default page size; 100 is the model's maximum
	if p.MaxResults != nil {
		// Coral's constraint texts for the model's MaxResults range. UNVERIFIED:
		// that Global Accelerator answers them as InvalidArgumentException.
		if err := model.Range(codeInvalidArgument, "maxResults", *p.MaxResults, 1, 100); err != nil {
			return nil, "", err
		}
		limit = *p.MaxResults
	}
	if err := checkLength("nextToken", p.NextToken, 0, maxGenericString); err != nil {
		return nil, "", err
	}
	page, next, ok := paging.Keyset[T]{Key: key}.Page(items, p.NextToken, limit)
	if !ok {
		return nil, "", model.BadRequest(codeInvalidNextToken, invalidNextTokenMessage) // model text
	}
	return page, next, nil
}

// markInProgress records that a change to the accelerator's listeners or
// endpoint groups is not served yet. It is the last write of an operation, so
// the data plane's DEPLOYED always covers the change (see Service.writeStatus).
func (s *Service) markInProgress(ctx context.Context, accARN string) error {
	_, err := store.Update(ctx, s.d.Store, model.Key(model.KindAccelerator, accARN), func(a *model.Accelerator) error {
		a.Status, a.StatusReason = model.AcceleratorInProgress, ""
		return nil
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("mark accelerator %s in progress: %w", accARN, err)
	}
	return nil
}

// Rules that span several records (an accelerator is not deleted while a
// listener hangs off it, a listener not while an endpoint group does, one
// endpoint group per region of a listener, listeners' port ranges do not
// overlap, the quotas) are kept by writing with store.Txn: read the parent and
// the children (store.LoadAllAt gives the listing's revision), decide, then write only
// if the parent is unchanged (KeyIs) and no child appeared or changed since the
// listing (NoneAfter). A check followed by a plain write would race, even on
// one node; a process mutex would not hold across nodes sharing the store.

// commit applies ops if every condition holds. It reports false (and no
// error) when one did not: the caller reads again, decides again and retries,
// as store.Update does. It stops with ctx's error once ctx ends.
func commit(ctx context.Context, st store.Store, conds []store.Cond, ops ...store.Op) (bool, error) {
	_, err := st.Txn(ctx, conds, ops)
	if errors.Is(err, store.ErrConflict) {
		return false, ctx.Err()
	}
	if err != nil {
		return false, err
	}
	return true, nil
}

// listenerPrefix is where the accelerator's listeners are stored.
func listenerPrefix(accARN string) string {
	return model.Key(model.KindGAListener, accARN+"/listener/")
}

// groupPrefix is where the listener's endpoint groups are stored.
func groupPrefix(listenerARN string) string {
	return model.Key(model.KindEndpointGroup, listenerARN+"/endpoint-group/")
}
