package nameserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"gatehouse/internal/model"
	"gatehouse/internal/store"
)

// Change is one entry of a ChangeResourceRecordSets batch.
type Change struct {
	Action string // CREATE, DELETE or UPSERT
	Set    model.RecordSet
}

// ChangeInfo is Route 53's receipt for a change.
type ChangeInfo struct {
	ID          string // "C…", without the "/change/" prefix
	Status      string // ChangePending or ChangeInsync
	SubmittedAt time.Time
}

// Change statuses.
const (
	ChangePending = "PENDING"
	ChangeInsync  = "INSYNC"
)

// maxRetries is how often a batch is re-validated after a concurrent writer
// won its transaction. Batches on one zone no longer queue behind a process
// lock (it did nothing across nodes), so concurrent batches on one node
// retry too: each round has a winner, so n concurrent batches need at most n
// rounds, and the bound only stops a livelock.
const maxRetries = 64

// GetChange reports a change this node accepted: INSYNC once its DNS server
// answers with it.
func (s *Service) GetChange(_ context.Context, id string) (*ChangeInfo, error) {
	id = strings.TrimPrefix(id, "/change/")
	s.changeMu.Lock()
	rec, ok := s.changes[id]
	s.changeMu.Unlock()
	if !ok {
		// UNVERIFIED wording: the API reference's description of NoSuchChange.
		return nil, model.NotFound("NoSuchChange", "A change with the specified change ID does not exist.")
	}
	info := rec.info
	if info.Status == ChangePending && (!s.running.Load() || s.tab.Rev() >= rec.rev) {
		info.Status = ChangeInsync
	}
	return &info, nil
}

// changeDone records a change and waits briefly until the local DNS server
// answers with it (INSYNC), else reports PENDING. Without a running server the
// store is the whole truth and the change is INSYNC at once.
func (s *Service) changeDone(ctx context.Context, rev int64) *ChangeInfo {
	info := ChangeInfo{ID: "C" + model.RandomUpperID(20), Status: ChangeInsync, SubmittedAt: time.Now().UTC()}
	if s.running.Load() && !s.waitServed(ctx, rev) {
		info.Status = ChangePending
	}
	s.changeMu.Lock()
	s.changes[info.ID] = changeRecord{info: info, rev: rev}
	s.order = append(s.order, info.ID)
	if len(s.order) > maxChangeInfos {
		delete(s.changes, s.order[0])
		s.order = s.order[1:]
	}
	s.changeMu.Unlock()
	return &info
}

type changeRecord struct {
	info ChangeInfo
	rev  int64
}

// batch is one all-or-nothing write to a zone: it reads the zone and its
// record sets, has build plan the writes and applies them guarded (see guard),
// so that the rules that span several records (a zone is deleted only while it
// holds nothing but its SOA and NS; one CNAME per name and nothing beside it;
// the record set quota) hold against writers on every node sharing the store,
// not only this one. When a concurrent writer changed the zone or its record
// sets between the read and the write, it starts again from a fresh read, up to
// maxRetries times. what names the operation in errors. With atomic the writes
// are one store revision (DeleteHostedZone: no reader ever sees the zone
// without its SOA and NS); otherwise one revision each, in plan's order.
func (s *Service) batch(ctx context.Context, zoneID, what string, atomic bool, build func(z *model.HostedZone, zrev int64, sets map[string]*stored) ([]write, error)) (*ChangeInfo, error) {
	for attempt := 1; ; attempt++ {
		z, zrev, err := s.loadZone(ctx, zoneID)
		if err != nil {
			return nil, err
		}
		sets, listRev, err := s.loadSetsAt(ctx, z.ID)
		if err != nil {
			return nil, err
		}
		// The zone and the listing must be one state: a zone deleted (with its
		// SOA and NS) between the two reads would otherwise be planned against
		// as a zone without SOA and NS. Unchanged after the listing, the zone
		// was as read when the listing was taken.
		if _, again, err := s.loadZone(ctx, z.ID); err != nil {
			return nil, err
		} else if again != zrev {
			if attempt < maxRetries {
				continue
			}
			return nil, fmt.Errorf("%s %s: %w", what, z.ID, store.ErrConflict)
		}
		writes, err := build(z, zrev, sets)
		if err != nil {
			return nil, err
		}
		g := &guard{zoneKey: model.Key(model.KindHostedZone, z.ID), zoneRev: zrev, setsPrefix: recordSetPrefix(z.ID), listRev: listRev}
		var rev int64
		if atomic {
			rev, err = s.applyAtomic(ctx, g, writes)
		} else {
			rev, err = s.applyGuarded(ctx, g, writes)
		}
		if errors.Is(err, store.ErrConflict) && attempt < maxRetries {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", what, z.ID, err)
		}
		return s.changeDone(ctx, rev), nil
	}
}

// guard is what a batch was validated against: the zone at zoneRev and its
// record sets as listed at listRev. Each write of the batch is one store Txn
// that also requires the zone to be unchanged (so no record set is created in a
// zone being deleted) and no record set of the zone to have been created or
// changed since the batch's previous write (at first: since the listing). By
// induction the whole batch then ran against exactly the state it was planned
// from, although its writes stay separate revisions (the DNS server may answer
// between them; plan orders them so that no name disappears meanwhile). A
// record set deleted by another writer leaves nothing for a prefix condition to
// see; the writes that depend on one existing carry its revision (write.old).
type guard struct {
	zoneKey    string
	zoneRev    int64
	setsPrefix string
	listRev    int64
}

// conds are the guard's conditions for the next write; the zone's own write
// (DeleteHostedZone's last) carries its CAS as write.old instead.
func (g *guard) conds(key string) []store.Cond {
	if g == nil {
		return nil
	}
	c := []store.Cond{store.NoneAfter(g.setsPrefix, g.listRev)}
	if key != g.zoneKey {
		c = append(c, store.KeyIs(g.zoneKey, g.zoneRev))
	}
	return c
}

// stored is a record set (or zone) as read, with what is needed to write it back.
type stored struct {
	key string
	set *model.RecordSet
	raw []byte
	rev int64
}

// write is one planned store write: val nil deletes; old nil means "must not exist".
type write struct {
	key string
	val any
	old *stored
}

// apply performs the writes with CAS on the revisions they were planned from. If
// one fails, the ones done are undone, so a batch is never left half-written.
func (s *Service) apply(ctx context.Context, writes []write) (int64, error) {
	return s.applyGuarded(ctx, nil, writes)
}

// applyAtomic performs the writes as one Txn under g's conditions and each
// write's own CAS: all of them at one revision, or none.
func (s *Service) applyAtomic(ctx context.Context, g *guard, writes []write) (int64, error) {
	conds := []store.Cond{store.NoneAfter(g.setsPrefix, g.listRev)}
	zoneWritten := false
	ops := make([]store.Op, 0, len(writes))
	for _, w := range writes {
		zoneWritten = zoneWritten || w.key == g.zoneKey
		if w.val == nil {
			ops = append(ops, store.Del(w.key))
			conds = append(conds, store.KeyIs(w.key, w.old.rev))
			continue
		}
		b, err := json.Marshal(w.val)
		if err != nil {
			return 0, fmt.Errorf("encode %s: %w", w.key, err)
		}
		ops = append(ops, store.Put(w.key, b))
		var old int64
		if w.old != nil {
			old = w.old.rev
		}
		conds = append(conds, store.KeyIs(w.key, old))
	}
	if !zoneWritten {
		conds = append(conds, store.KeyIs(g.zoneKey, g.zoneRev))
	}
	return s.d.Store.Txn(ctx, conds, ops)
}

// applyGuarded is apply with each write also conditioned on g (nil: none).
func (s *Service) applyGuarded(ctx context.Context, g *guard, writes []write) (int64, error) {
	st := s.d.Store
	type done struct {
		w   write
		rev int64
	}
	var applied []done
	var last int64
	for _, w := range writes {
		conds := g.conds(w.key)
		var op store.Op
		switch {
		case w.val == nil:
			op = store.Del(w.key)
			conds = append(conds, store.KeyIs(w.key, w.old.rev))
		default:
			b, err := json.Marshal(w.val)
			if err != nil {
				return 0, fmt.Errorf("encode %s: %w", w.key, err)
			}
			op = store.Put(w.key, b)
			var old int64
			if w.old != nil {
				old = w.old.rev
			}
			conds = append(conds, store.KeyIs(w.key, old))
		}
		rev, err := st.Txn(ctx, conds, []store.Op{op})
		if err != nil {
			// Undo in reverse order, even if the caller has given up.
			uctx := context.WithoutCancel(ctx)
			for i := len(applied) - 1; i >= 0; i-- {
				d := applied[i]
				var uerr error
				switch {
				case d.w.old == nil:
					_, uerr = st.Delete(uctx, d.w.key, d.rev)
				case d.w.val == nil:
					_, uerr = st.Put(uctx, d.w.key, d.w.old.raw, 0)
				default:
					_, uerr = st.Put(uctx, d.w.key, d.w.old.raw, d.rev)
				}
				if uerr != nil {
					s.log.Error("undo partial record change", "key", d.w.key, "err", uerr)
				}
			}
			return 0, err
		}
		applied = append(applied, done{w, rev})
		last = rev
		if g != nil {
			// The next write requires nothing under the prefix newer than this one.
			g.listRev = rev
		}
	}
	return last, nil
}
