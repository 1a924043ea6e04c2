package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"

	"gatehouse/internal/live"
	"gatehouse/internal/model"
	"gatehouse/internal/store"
	"gatehouse/internal/store/etcdtest"
	"gatehouse/internal/store/storetest"
)

// TestEtcd holds the etcd backend to the conformance suite on a real etcd
// server. The subtests share the server; each gets a store of its own, under
// its own key prefix, which is as empty as a fresh one.
func TestEtcd(t *testing.T) {
	srv := etcdtest.Start(t)
	n := 0
	storetest.Run(t, func(t *testing.T) store.Store {
		n++
		return srv.Open(fmt.Sprintf("/storetest/%d/", n))
	})
}

// TestEtcdWatchAfterCompaction: once etcd compacted the history past a
// watcher's revision, Watch says ErrCompacted (never a watch silently short of
// changes), and live.Watch recovers with a full reload to the newest revision.
func TestEtcdWatchAfterCompaction(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := etcdtest.Start(t)
	st := srv.Open("/compaction/")
	snap, err := live.Load(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	behind := snap.Rev
	var rev int64
	for i := range 20 {
		if rev, err = store.Save(ctx, st, model.Key(model.KindHostedZone, "Z1"), model.HostedZone{ID: "Z1", Comment: fmt.Sprint(i)}, store.Any); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := srv.Client().Compact(ctx, rev, clientv3.WithCompactPhysical()); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name  string
		after int64
		want  error
	}{
		{"before the compaction", behind, store.ErrCompacted},
		{"from the start", 0, store.ErrCompacted},
		{"at the compaction", rev, nil},
		{"past the newest revision", rev + 100, store.ErrCompacted}, // a cluster whose revisions went backwards
	} {
		t.Run(tc.name, func(t *testing.T) {
			wctx, wcancel := context.WithCancel(ctx)
			defer wcancel()
			_, err := st.Watch(wctx, "", tc.after)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Watch after rev %d (compacted at %d): got %v, want %v", tc.after, rev, err, tc.want)
			}
		})
	}

	feed := live.NewFeed(snap)
	go live.Watch(ctx, st, feed, slog.New(slog.DiscardHandler))
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	got, err := feed.WaitFor(wctx, rev)
	if err != nil {
		t.Fatalf("feed behind the compaction did not reach rev %d: %v", rev, err)
	}
	if z := got.HostedZones["Z1"]; z == nil || z.Comment != "19" {
		t.Fatalf("zone after the reload: got %+v, want the last write (comment 19)", z)
	}
}

// TestEtcdWatchCompactedWhileDisconnected: a watch whose connection drops
// resumes where it was; if etcd compacted that point meanwhile, the watch
// ends instead of skipping the lost changes, and live.Watch reloads. The
// store reaches etcd through a proxy the test cuts.
func TestEtcdWatchCompactedWhileDisconnected(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := etcdtest.Start(t)
	proxy := startProxy(t, srv.Endpoint)
	st := etcdtest.OpenAt(t, proxy.addr(), "/cut/")
	direct := srv.Open("/cut/") // writes while the proxied store is cut off

	snap, err := live.Load(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	feed := live.NewFeed(snap)
	watchDone := make(chan error, 1)
	go func() { watchDone <- live.Watch(ctx, st, feed, slog.New(slog.DiscardHandler)) }()
	first, err := store.Save(ctx, direct, model.Key(model.KindHostedZone, "Z1"), model.HostedZone{ID: "Z1", Comment: "before"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	if _, err := feed.WaitFor(wctx, first); err != nil {
		t.Fatalf("feed did not see the first write: %v", err)
	}

	proxy.cut()
	for _, z := range []model.HostedZone{{ID: "Z2", Comment: "while cut"}, {ID: "Z3", Comment: "while cut"}} {
		if _, err := store.Save(ctx, direct, model.Key(model.KindHostedZone, z.ID), z, 0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := direct.Delete(ctx, model.Key(model.KindHostedZone, "Z2"), store.Any); err != nil {
		t.Fatal(err)
	}
	rev, err := store.Save(ctx, direct, model.Key(model.KindHostedZone, "Z4"), model.HostedZone{ID: "Z4"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client().Compact(ctx, rev, clientv3.WithCompactPhysical()); err != nil {
		t.Fatal(err)
	}
	proxy.resume()

	got, err := feed.WaitFor(wctx, rev)
	if err != nil {
		t.Fatalf("feed did not reach rev %d after the reconnect: %v", rev, err)
	}
	for id, want := range map[string]bool{"Z1": true, "Z2": false, "Z3": true, "Z4": true} {
		if have := got.HostedZones[id] != nil; have != want {
			t.Errorf("zone %s in the snapshot at rev %d: got %v, want %v", id, got.Rev, have, want)
		}
	}
	select {
	case err := <-watchDone:
		t.Fatalf("live.Watch ended: %v", err)
	default:
	}
}

// TestEtcdMemberRestart: an etcd member restarts while a watch is open and a
// writer keeps writing. Every write that was acknowledged is in the store
// afterwards, and the watch (which the store resumes) delivers each one once,
// in revision order.
func TestEtcdMemberRestart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := etcdtest.Start(t)
	st := srv.Open("/restart/")
	_, rev, err := st.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	events, err := st.Watch(ctx, "", rev)
	if err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	var acked []string
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	stopWriter := make(chan struct{})
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		for i := 0; ; i++ {
			key := fmt.Sprintf("w/%05d", i)
			for {
				select {
				case <-stopWriter:
					return
				default:
				}
				// Each key is created once (expect 0), so a retry after an
				// ambiguous failure cannot write it twice: a conflict
				// means the earlier attempt landed.
				wctx, wcancel := context.WithTimeout(ctx, 2*time.Second)
				_, err := st.Put(wctx, key, []byte(key), 0)
				wcancel()
				if err == nil || errors.Is(err, store.ErrConflict) {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			mu.Lock()
			acked = append(acked, key)
			mu.Unlock()
		}
	}()
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("still waiting after 60s: %s", what)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitFor("20 writes before the restart", func() bool { return count() >= 20 })
	srv.Restart()
	after := count()
	waitFor("20 writes after the restart", func() bool { return count() >= after+20 })
	close(stopWriter)
	<-writerDone

	mu.Lock()
	want := append([]string(nil), acked...)
	mu.Unlock()
	for _, key := range want {
		kv, err := st.Get(ctx, key)
		if err != nil || string(kv.Value) != key {
			t.Fatalf("acknowledged write %s after the restart: got %q, %v", key, kv.Value, err)
		}
	}
	seen := map[string]bool{}
	var last int64
	timeout := time.After(60 * time.Second)
	for _, key := range want {
		for !seen[key] {
			select {
			case e, ok := <-events:
				if !ok {
					t.Fatal("watch ended during the restart")
				}
				if e.Rev <= last {
					t.Fatalf("event %s at rev %d after rev %d: out of order or repeated", e.Key, e.Rev, last)
				}
				if seen[e.Key] {
					t.Fatalf("event %s delivered twice", e.Key)
				}
				last, seen[e.Key] = e.Rev, true
			case <-timeout:
				t.Fatalf("watch delivered %d of %d acknowledged writes", len(seen), len(want))
			}
		}
	}
}

// proxy forwards TCP connections to target until cut, which closes them and
// refuses new ones until resume: a network partition between a client and etcd.
type proxy struct {
	t      *testing.T
	l      net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]struct{}
}

func startProxy(t *testing.T, target string) *proxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{t: t, l: l, target: target, conns: map[net.Conn]struct{}{}}
	t.Cleanup(func() { l.Close(); p.cut() })
	go p.serve()
	return p
}

func (p *proxy) addr() string { return p.l.Addr().String() }

func (p *proxy) serve() {
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns[c], p.conns[up] = struct{}{}, struct{}{}
		p.mu.Unlock()
		go func() { io.Copy(up, c); up.Close(); c.Close() }()
		go func() { io.Copy(c, up); up.Close(); c.Close() }()
	}
}

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

func (p *proxy) resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}

func TestParseEtcdURL(t *testing.T) {
	for _, tc := range []struct {
		name, url     string
		wantEndpoints []string
		wantPrefix    string
		wantErr       bool
	}{
		{"one member", "etcd://127.0.0.1:2379", []string{"127.0.0.1:2379"}, store.DefaultEtcdPrefix, false},
		{"three members", "etcd://a:2379,b:2379,c:2379", []string{"a:2379", "b:2379", "c:2379"}, store.DefaultEtcdPrefix, false},
		{"a prefix", "etcd://a:2379/team/one", []string{"a:2379"}, "/team/one/", false},
		{"a trailing slash", "etcd://a:2379/", []string{"a:2379"}, store.DefaultEtcdPrefix, false},
		{"IPv6", "etcd://[::1]:2379", []string{"[::1]:2379"}, store.DefaultEtcdPrefix, false},
		{"another scheme", "http://a:2379", nil, "", true},
		{"no port", "etcd://a", nil, "", true},
		{"a port that is not a number", "etcd://a:2379?x=1", nil, "", true},
		{"a port out of range", "etcd://a:65536", nil, "", true},
		{"an empty member", "etcd://a:2379,,b:2379", nil, "", true},
		{"no members", "etcd://", nil, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			endpoints, prefix, err := store.ParseEtcdURL(tc.url)
			if (err != nil) != tc.wantErr {
				t.Fatalf("ParseEtcdURL(%q): got error %v, want error: %v", tc.url, err, tc.wantErr)
			}
			if !slices.Equal(endpoints, tc.wantEndpoints) || prefix != tc.wantPrefix {
				t.Fatalf("ParseEtcdURL(%q): got %v %q, want %v %q", tc.url, endpoints, prefix, tc.wantEndpoints, tc.wantPrefix)
			}
		})
	}
}

// FuzzParseEtcdURL: whatever the flag says, parsing does not panic, and what
// it accepts is a list of host:port and a prefix that starts and ends with /.
func FuzzParseEtcdURL(f *testing.F) {
	for _, s := range []string{"etcd://a:2379", "etcd://a:1,b:2/p/q", "etcd://[::1]:2379/", "etcd://", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		endpoints, prefix, err := store.ParseEtcdURL(raw)
		if err != nil {
			return
		}
		if len(endpoints) == 0 || !strings.HasPrefix(prefix, "/") || !strings.HasSuffix(prefix, "/") {
			t.Fatalf("ParseEtcdURL(%q): got %v %q", raw, endpoints, prefix)
		}
		for _, e := range endpoints {
			if _, _, err := net.SplitHostPort(e); err != nil {
				t.Fatalf("ParseEtcdURL(%q): endpoint %q: %v", raw, e, err)
			}
		}
	})
}

// TestOpenEtcdFails: a store that cannot work is refused at open, with the
// reason, instead of failing on the first write.
func TestOpenEtcdFails(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	nobody := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	notPEM := dir + "/not.pem"
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		opt  store.EtcdOptions
		want string
	}{
		{"no endpoints", store.EtcdOptions{}, "no endpoints"},
		{"nothing listens", store.EtcdOptions{Endpoints: []string{nobody}, DialTimeout: time.Second}, nobody},
		{"a CA file that is not PEM", store.EtcdOptions{Endpoints: []string{nobody}, CACert: notPEM}, "no PEM certificate"},
		{"a certificate without its key", store.EtcdOptions{Endpoints: []string{nobody}, Cert: notPEM}, "both the certificate and its key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := store.OpenEtcd(context.Background(), tc.opt)
			if err == nil {
				st.Close()
				t.Fatal("OpenEtcd succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("OpenEtcd: got %v, want an error naming %q", err, tc.want)
			}
		})
	}
}

// TestEtcdTLSAndAuth: a member that takes clients over TLS with client
// certificates only, and one with etcd's authentication on: the store opens
// with the right files or credentials and works, and is refused without them.
func TestEtcdTLSAndAuth(t *testing.T) {
	ctx := context.Background()
	tlsSrv, files := etcdtest.StartTLS(t)
	authSrv := etcdtest.Start(t)
	admin := authSrv.Client()
	for _, step := range []func() error{
		func() error { _, err := admin.UserAdd(ctx, "root", "root-secret"); return err },
		func() error { _, err := admin.UserGrantRole(ctx, "root", "root"); return err },
		func() error { _, err := admin.UserAdd(ctx, "gatehouse", "s3cret"); return err },
		func() error { _, err := admin.RoleAdd(ctx, "gatehouse"); return err },
		func() error {
			_, err := admin.RoleGrantPermission(ctx, "gatehouse", "/gatehouse/", clientv3.GetPrefixRangeEnd("/gatehouse/"), clientv3.PermissionType(clientv3.PermReadWrite))
			return err
		},
		func() error { _, err := admin.UserGrantRole(ctx, "gatehouse", "gatehouse"); return err },
		func() error { _, err := admin.AuthEnable(ctx); return err },
	} {
		if err := step(); err != nil {
			t.Fatalf("set up etcd auth: %v", err)
		}
	}

	for _, tc := range []struct {
		name   string
		opt    store.EtcdOptions
		wantOK bool
	}{
		{"TLS with the CA and a client certificate", store.EtcdOptions{Endpoints: []string{tlsSrv.Endpoint}, CACert: files.CA, Cert: files.Cert, Key: files.Key}, true},
		{"TLS without a client certificate", store.EtcdOptions{Endpoints: []string{tlsSrv.Endpoint}, CACert: files.CA}, false},
		{"plain to a TLS member", store.EtcdOptions{Endpoints: []string{tlsSrv.Endpoint}}, false},
		{"auth with the right password", store.EtcdOptions{Endpoints: []string{authSrv.Endpoint}, Username: "gatehouse", Password: "s3cret"}, true},
		{"auth with a wrong password", store.EtcdOptions{Endpoints: []string{authSrv.Endpoint}, Username: "gatehouse", Password: "wrong"}, false},
		{"auth without credentials", store.EtcdOptions{Endpoints: []string{authSrv.Endpoint}}, false},
		{"auth outside the user's prefix", store.EtcdOptions{Endpoints: []string{authSrv.Endpoint}, Prefix: "/other/", Username: "gatehouse", Password: "s3cret"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Short where the dial must fail, so the refusal comes quickly;
			// generous where it must succeed (a bound, not a timing check).
			tc.opt.DialTimeout = 2 * time.Second
			if tc.wantOK {
				tc.opt.DialTimeout = 30 * time.Second
			}
			tc.opt.Logger = zap.NewNop()
			st, err := store.OpenEtcd(ctx, tc.opt)
			if !tc.wantOK {
				if err == nil {
					st.Close()
					t.Fatal("OpenEtcd succeeded, want it refused")
				}
				if want := "open etcd store " + tc.opt.Endpoints[0]; !strings.Contains(err.Error(), want) {
					t.Fatalf("OpenEtcd: got %v, want an error naming the cluster (%q)", err, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("OpenEtcd: %v", err)
			}
			defer st.Close()
			rev, err := st.Put(ctx, "k", []byte("v"), 0)
			if err != nil {
				t.Fatalf("Put: %v", err)
			}
			kv, err := st.Get(ctx, "k")
			if err != nil || string(kv.Value) != "v" || kv.ModRev != rev {
				t.Fatalf("Get: got %+v, %v; want v at rev %d", kv, err, rev)
			}
		})
	}
}

// TestEtcdServerRequestLimit: a cluster whose request limit an operator set
// below the store's MaxValueBytes refuses a larger record; the store answers
// that as ErrTooLarge with a 413 the AWS API passes on, not as an internal
// error, and the key keeps its value.
func TestEtcdServerRequestLimit(t *testing.T) {
	ctx := context.Background()
	const limit int = store.MaxValueBytes / 4
	srv := etcdtest.Start(t, func(c *embed.Config) { c.MaxRequestBytes = uint(limit) })
	st := srv.Open("/limit/")
	rev, err := st.Put(ctx, "k", []byte("small"), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{limit + 1, store.MaxValueBytes} {
		_, err := st.Put(ctx, "k", bytes.Repeat([]byte("a"), size), store.Any)
		var ae *model.Error
		if !errors.Is(err, store.ErrTooLarge) || !errors.As(err, &ae) || ae.Status != http.StatusRequestEntityTooLarge {
			t.Fatalf("put of %d bytes to a cluster taking %d: got %v, want ErrTooLarge as a 413", size, limit, err)
		}
	}
	kv, err := st.Get(ctx, "k")
	if err != nil || string(kv.Value) != "small" || kv.ModRev != rev {
		t.Fatalf("after the refused puts: got %q at rev %d, %v; want small at rev %d", kv.Value, kv.ModRev, err, rev)
	}
}

// TestEtcdWritesOutsideThePrefix: other writers on the same cluster move
// etcd's revision without changing the store. A listing's revision is that of
// the last change under the prefix, so a snapshot fed by the watch reaches it
// (what `serve -f` waits for), and a watch from it needs no history, even once
// the others' writes were compacted.
func TestEtcdWritesOutsideThePrefix(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := etcdtest.Start(t)
	st := srv.Open("/mine/")
	other := srv.Client()
	othersWrite := func() int64 {
		t.Helper()
		var rev int64
		for i := range 5 {
			resp, err := other.Put(ctx, fmt.Sprintf("/theirs/%d", i), "x")
			if err != nil {
				t.Fatal(err)
			}
			rev = resp.Header.Revision
		}
		return rev
	}

	mine, err := store.Save(ctx, st, model.Key(model.KindHostedZone, "Z1"), model.HostedZone{ID: "Z1"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	theirs := othersWrite()
	snap, err := live.Load(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Rev != mine {
		t.Fatalf("listing's revision after others wrote up to %d: got %d, want %d (the last change under the prefix)", theirs, snap.Rev, mine)
	}

	feed := live.NewFeed(snap)
	go live.Watch(ctx, st, feed, slog.New(slog.DiscardHandler))
	if _, err := store.Save(ctx, st, model.Key(model.KindHostedZone, "Z2"), model.HostedZone{ID: "Z2"}, 0); err != nil {
		t.Fatal(err)
	}
	othersWrite()
	_, listed, err := st.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	if _, err := feed.WaitFor(wctx, listed); err != nil {
		t.Fatalf("snapshot did not reach the listing's revision %d: %v", listed, err)
	}

	compacted := othersWrite()
	if _, err := other.Compact(ctx, compacted, clientv3.WithCompactPhysical()); err != nil {
		t.Fatal(err)
	}
	events, err := st.Watch(wctx, "", listed)
	if err != nil {
		t.Fatalf("watch from %d, the last change under the prefix, after others' writes were compacted at %d: %v", listed, compacted, err)
	}
	next, err := st.Put(ctx, "after", []byte("x"), 0)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-events:
		if e.Key != "after" || e.Rev != next {
			t.Fatalf("event: got %s at %d, want after at %d", e.Key, e.Rev, next)
		}
	case <-wctx.Done():
		t.Fatal("the put after the compaction was not delivered")
	}
}
