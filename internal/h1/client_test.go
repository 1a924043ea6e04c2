package h1

import (
	"bufio"
	"bytes"
	"net/http"
	"net/url"
	"testing"
)

// writeBoth writes req with WriteRequest and with http.Request's Write.
func writeBoth(t testing.TB, req *http.Request) (got, want string, gotErr, wantErr error) {
	var a, b bytes.Buffer
	bw := bufio.NewWriter(&a)
	gotErr = WriteRequest(bw, req)
	_ = bw.Flush()
	wantErr = req.Write(&b)
	return a.String(), b.String(), gotErr, wantErr
}

func TestWriteRequestAsNetHTTP(t *testing.T) {
	tests := []struct {
		name   string
		method string
		target string
		host   string
		header http.Header
		close  bool
	}{
		{"GET", "GET", "/a/b?c=d", "api.example.test", http.Header{"Accept": {"*/*"}, "X-Forwarded-For": {"10.0.0.1"}}, false},
		{"no User-Agent: Go's", "HEAD", "/", "h:8080", http.Header{}, false},
		{"empty User-Agent: none", "OPTIONS", "/x", "h", http.Header{"User-Agent": {""}}, false},
		{"framing fields dropped", "GET", "/", "h", http.Header{"Content-Length": {"0"}, "Trailer": {"X"}, "Host": {"other"}}, false},
		{"values cleaned", "GET", "/%20x", "h", http.Header{"A": {" a\r\nb \t"}, "Bad Name": {"x"}, "B": {"1", "2"}}, false},
		{"close", "GET", "/", "h", http.Header{"Connection": {"keep-alive"}}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, err := url.ParseRequestURI(tc.target)
			if err != nil {
				t.Fatal(err)
			}
			req := &http.Request{Method: tc.method, URL: u, Host: tc.host, Header: tc.header, Body: http.NoBody, Close: tc.close}
			got, want, gerr, werr := writeBoth(t, req)
			if gerr != nil || werr != nil {
				t.Fatalf("errors: got %v, net/http %v", gerr, werr)
			}
			if got != want {
				t.Errorf("got\n%q\nnet/http\n%q", got, want)
			}
		})
	}
}

// FuzzWriteRequest holds WriteRequest to http.Request's Write: the same
// bytes, or both fail.
func FuzzWriteRequest(f *testing.F) {
	f.Add("GET", "/a?b", "h", "Accept", "*/*", "X-A", " v ", "ua", true, false)
	f.Add("HEAD", "/%00", "h:1", "user-agent", "x", "Content-Length", "5", "", false, true)
	f.Fuzz(func(t *testing.T, method, target, host, k1, v1, k2, v2, ua string, hasUA, close bool) {
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return
		}
		h := http.Header{}
		h[k1] = append(h[k1], v1)
		h[k2] = append(h[k2], v2)
		if hasUA {
			h["User-Agent"] = []string{ua}
		}
		req := &http.Request{Method: method, URL: u, Host: host, Header: h, Body: http.NoBody, Close: close}
		got, want, gerr, werr := writeBoth(t, req)
		if (gerr != nil) != (werr != nil) {
			t.Fatalf("errors: got %v, net/http %v", gerr, werr)
		}
		if gerr == nil && got != want {
			t.Fatalf("got\n%q\nnet/http\n%q", got, want)
		}
	})
}
