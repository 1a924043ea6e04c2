package nameserver

import (
	"context"
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
// won a CAS.
const maxRetries = 5

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

// batch is one all-or-nothing write to a zone under opMu: it reads the zone and
// its record sets, has build plan the writes and applies them; when a
// concurrent writer elsewhere changed the zone between the read and the write
// (a CAS conflict), it starts again from a fresh read, up to maxRetries times.
// what names the operation in errors.
func (s *Service) batch(ctx context.Context, zoneID, what string, build func(z *model.HostedZone, zrev int64, sets map[string]*stored) ([]write, error)) (*ChangeInfo, error) {
	s.opMu.Lock()
	defer s.opMu.Unlock()
	for attempt := 1; ; attempt++ {
		z, zrev, err := s.loadZone(ctx, zoneID)
		if err != nil {
			return nil, err
		}
		sets, err := s.loadSets(ctx, z.ID)
		if err != nil {
			return nil, err
		}
		writes, err := build(z, zrev, sets)
		if err != nil {
			return nil, err
		}
		rev, err := s.apply(ctx, writes)
		if errors.Is(err, store.ErrConflict) && attempt < maxRetries {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", what, z.ID, err)
		}
		return s.changeDone(ctx, rev), nil
	}
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
	st := s.d.Store
	type done struct {
		w   write
		rev int64
	}
	var applied []done
	var last int64
	for _, w := range writes {
		var rev int64
		var err error
		switch {
		case w.val == nil:
			rev, err = st.Delete(ctx, w.key, w.old.rev)
			if errors.Is(err, store.ErrNotFound) {
				err = store.ErrConflict
			}
		case w.old == nil:
			rev, err = store.Save(ctx, st, w.key, w.val, 0)
		default:
			rev, err = store.Save(ctx, st, w.key, w.val, w.old.rev)
		}
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
	}
	return last, nil
}
