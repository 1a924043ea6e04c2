package h1

import (
	"bufio"
	"bytes"
	"errors"
	"net/http"
	"net/textproto"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/net/http/httpguts"
)

func TestParseHead(t *testing.T) {
	tests := []struct {
		name string
		head string
		want error // nil: taken
	}{
		{"GET", "GET /a?b=c HTTP/1.1\r\nHost: api.example.test\r\nAccept: */*\r\n\r\n", nil},
		{"lower-case names, repeated field", "GET / HTTP/1.1\r\nhost: x\r\nx-a: 1\r\nX-A: 2\r\n\r\n", nil},
		{"Content-Length 0", "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", nil},
		{"Connection close", "GET / HTTP/1.1\r\nHost: x\r\nConnection: Keep-Alive, close\r\n\r\n", nil},
		{"spaces around the value", "GET / HTTP/1.1\r\nHost: x\r\nA:  \t v \t\r\n\r\n", nil},
		{"incomplete line", "GET / HTTP/1.1\r\nHost: x", ErrIncomplete},
		{"no empty line yet", "GET / HTTP/1.1\r\nHost: x\r\n", ErrIncomplete},
		{"HTTP/1.0", "GET / HTTP/1.0\r\nHost: x\r\n\r\n", ErrUnsupported},
		{"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", ErrUnsupported},
		{"absolute form", "GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n", ErrUnsupported},
		{"asterisk form", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", ErrUnsupported},
		{"CONNECT", "CONNECT /x HTTP/1.1\r\nHost: x\r\n\r\n", ErrUnsupported},
		{"body", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", ErrUnsupported},
		{"chunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", ErrUnsupported},
		{"expect", "GET / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n", ErrUnsupported},
		{"upgrade", "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", ErrUnsupported},
		{"connection option", "GET / HTTP/1.1\r\nHost: x\r\nConnection: X-Secret\r\n\r\n", ErrUnsupported},
		{"no Host", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", ErrUnsupported},
		{"two Hosts", "GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", ErrUnsupported},
		{"bad Host", "GET / HTTP/1.1\r\nHost: x y\r\n\r\n", ErrUnsupported},
		{"bare LF", "GET / HTTP/1.1\nHost: x\n\n", ErrUnsupported},
		{"obs-fold", "GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\n 2\r\n\r\n", ErrUnsupported},
		{"space before colon", "GET / HTTP/1.1\r\nHost: x\r\nA : 1\r\n\r\n", ErrUnsupported},
		{"control byte in value", "GET / HTTP/1.1\r\nHost: x\r\nA: 1\x002\r\n\r\n", ErrUnsupported},
		{"space in target", "GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", ErrUnsupported},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := new(http.Request)
			n, err := ParseHead([]byte(tc.head), req)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got error %v, want %v", err, tc.want)
			}
			if err != nil {
				return
			}
			want := readByNetHTTP(t, []byte(tc.head))
			if want == nil {
				t.Fatal("net/http refuses a head ParseHead took")
			}
			compare(t, req, n, want)
		})
	}
}

func TestParseHeadAllocations(t *testing.T) {
	head := []byte("GET /pets?limit=2 HTTP/1.1\r\nHost: api.example.test\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n")
	var req http.Request
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := ParseHead(head, &req); err != nil {
			t.Fatal(err)
		}
	})
	// The head as one string (every value is a piece of it), the header
	// map and its storage, a slice per field, the URL: net/http's
	// readRequest makes ~14.
	if allocs > 6 {
		t.Errorf("got %v allocations per head, want at most 6", allocs)
	}
}

// parsed is what net/http's server read from the same bytes, and how many
// it consumed.
type parsed struct {
	req *http.Request
	n   int
}

// readByNetHTTP reads b as net/http's server does (ReadRequest, then the
// server's Host checks), or nil when it refuses.
func readByNetHTTP(t testing.TB, b []byte) *parsed {
	br := bufio.NewReader(bytes.NewReader(b))
	req, err := http.ReadRequest(br)
	if err != nil {
		return nil
	}
	// ReadRequest drops the Host fields the server then judges: read them
	// again.
	tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(b)))
	if _, err := tp.ReadLine(); err != nil {
		return nil
	}
	fields, err := tp.ReadMIMEHeader()
	if err != nil {
		return nil
	}
	hosts := fields["Host"]
	if len(hosts) != 1 || !httpguts.ValidHostHeader(hosts[0]) {
		return nil // the server's 400s (the request line is HTTP/1.1 whenever ParseHead takes it)
	}
	return &parsed{req: req, n: len(b) - br.Buffered()}
}

func compare(t testing.TB, got *http.Request, n int, want *parsed) {
	t.Helper()
	w := want.req
	if n != want.n {
		t.Errorf("consumed %d bytes, net/http %d", n, want.n)
	}
	if got.Method != w.Method || got.RequestURI != w.RequestURI || got.URL.String() != w.URL.String() ||
		got.Host != w.Host || got.Proto != w.Proto || got.Close != w.Close || got.ContentLength != w.ContentLength {
		t.Errorf("got %s %q %q host %q %s close %v length %d, net/http %s %q %q host %q %s close %v length %d",
			got.Method, got.RequestURI, got.URL, got.Host, got.Proto, got.Close, got.ContentLength,
			w.Method, w.RequestURI, w.URL, w.Host, w.Proto, w.Close, w.ContentLength)
	}
	wh := w.Header.Clone()
	delete(wh, "Host")
	if !reflect.DeepEqual(got.Header, wh) {
		t.Errorf("got header %v, net/http %v", got.Header, wh)
	}
	if got.Body != http.NoBody {
		t.Errorf("got a body, want http.NoBody")
	}
}

// FuzzParseHead holds ParseHead to net/http: a head it takes, net/http's
// server reads as the same request from the same bytes; it never panics.
func FuzzParseHead(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /a?b=%20c#f HTTP/1.1\r\nHost: [::1]:80\r\nCookie: a=b; c=d\r\nConnection: close\r\n\r\nGET",
		"HEAD /x HTTP/1.1\r\nhOsT: example.com\r\nx-y:z\r\nContent-Length: 0\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nA: \xff\xfe\r\n\r\n",
		"GET //x/../y HTTP/1.1\r\nHost: x:1\r\nConnection: ,keep-alive,\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		req := new(http.Request)
		n, err := ParseHead(b, req)
		if err != nil {
			return
		}
		if n <= 0 || n > len(b) || !strings.HasSuffix(string(b[:n]), "\r\n\r\n") {
			t.Fatalf("consumed %d of %d bytes", n, len(b))
		}
		want := readByNetHTTP(t, b)
		if want == nil {
			t.Fatalf("ParseHead took %q, net/http refuses it", b[:n])
		}
		compare(t, req, n, want)
	})
}

// TestWriteFieldAsSent checks that a head's fields are written back as
// "Name: value" lines with canonical names and trimmed values, whether they
// came in so (one piece of the head) or not (rebuilt), and that the request
// line and Host are the head's own.
func TestWriteFieldAsSent(t *testing.T) {
	head := "GET /a?b HTTP/1.1\r\nhost: x.test\r\nAccept: */*\r\nx-lower: v\r\nX-Spaces:  \tv w \t\r\nX-Tight:v\r\nDate: Sun, 06 Dec 2026 09:00:00 GMT\r\n\r\n"
	h, _, _, err := scanHead([]byte(head), false, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	bw := bufio.NewWriter(&out)
	_, _ = bw.WriteString(h.RequestLine())
	WriteField(bw, h.HostField())
	for i := range h.Fields {
		if h.Fields[i].Name != "Host" {
			WriteField(bw, &h.Fields[i])
		}
	}
	_ = bw.Flush()
	want := "GET /a?b HTTP/1.1\r\nHost: x.test\r\nAccept: */*\r\nX-Lower: v\r\nX-Spaces: v w\r\nX-Tight: v\r\nDate: Sun, 06 Dec 2026 09:00:00 GMT\r\n"
	if out.String() != want {
		t.Errorf("wrote\n%q\nwant\n%q", out.String(), want)
	}
	// Only the lines that read as written go as they came.
	asSent := map[string]bool{"Host": false, "Accept": true, "X-Lower": false, "X-Spaces": false, "X-Tight": false, "Date": true}
	for _, f := range h.Fields {
		if got := f.line != ""; got != asSent[f.Name] {
			t.Errorf("%s: written as it came %v, want %v", f.Name, got, asSent[f.Name])
		}
	}
}
