package h1

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
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

// readBoth reads b as a response to a GET with ReadResponse and with
// http.ReadResponse: the response, its body and what was left unread.
func readBoth(b []byte) (got, want string) {
	read := func(f func(*bufio.Reader, *http.Request) (*http.Response, error)) string {
		br := bufio.NewReaderSize(bytes.NewReader(b), 256)
		res, err := f(br, &http.Request{Method: "GET"})
		if err != nil {
			return "error"
		}
		body, err := io.ReadAll(res.Body)
		rest, _ := io.ReadAll(br)
		return fmt.Sprintf("%q %d %s %v length=%d close=%v body=%q err=%v rest=%q",
			res.Status, res.StatusCode, res.Proto, res.Header, res.ContentLength, res.Close, body, err != nil, rest)
	}
	return read(ReadResponse), read(http.ReadResponse)
}

func TestReadResponseAsNetHTTP(t *testing.T) {
	for _, raw := range []string{
		"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1",
		"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nConnection: close\r\n\r\n",
		"HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n",
		"HTTP/1.1 200 OK\r\nPragma: no-cache\r\nContent-Length: 2\r\n\r\nhi",
		"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\r\n\r\nuntil close",
		"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi",
		"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 200\r\nContent-Length: 1\r\n\r\nx",
		"HTTP/1.1 200 OK\r\nContent-Length: " + strings.Repeat("9", 30) + "\r\n\r\n",
		"HTTP/1.1 2x0 OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX: " + strings.Repeat("y", 300) + "\r\nContent-Length: 0\r\n\r\n", // over the buffer
	} {
		if got, want := readBoth([]byte(raw)); got != want {
			t.Errorf("%q:\ngot      %s\nnet/http %s", raw, got, want)
		}
	}
}

// FuzzReadResponse holds ReadResponse to http.ReadResponse: the same
// response, body and unread rest from any bytes.
func FuzzReadResponse(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive, close\r\n\r\nhello"))
	f.Add([]byte("HTTP/1.1 304 Not Modified\r\nETag: x\r\n\r\nHTTP/1.1 200 OK\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := readBoth(b); got != want {
			t.Fatalf("%q:\ngot      %s\nnet/http %s", b, got, want)
		}
	})
}

// FuzzRepeatedHeads holds a head read after another on the same connection
// (its fields as the list, whose lines eachField may know again) to the
// same head read alone: the same fields, length and error, whatever the
// two heads are, a request's or a response's.
func FuzzRepeatedHeads(f *testing.F) {
	res := "HTTP/1.1 200 OK\r\nServer: nginx\r\nDate: Sun, 06 Dec 2026 09:00:00 GMT\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n"
	f.Add([]byte(res), []byte(strings.Replace(res, "09:00:00", "09:00:01", 1)))
	f.Add([]byte(res), []byte("HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n"))
	req := "GET / HTTP/1.1\r\nHost: a.test\r\nAccept: */*\r\n\r\n"
	f.Add([]byte(req), []byte("GET /x HTTP/1.1\r\nHost: a.test\r\nAccept: */*\r\nConnection: close\r\n\r\n"))
	f.Add([]byte(req), []byte("GET / HTTP/1.1\r\nAccept: */*\r\nHost: a.test\r\nHost: a.test\r\n\r\n"))
	f.Fuzz(func(t *testing.T, first, second []byte) {
		prior, _, _ := ScanResponse(first, nil)
		got, gn, gerr := ScanResponse(second, prior.Fields[:0])
		want, wn, werr := ScanResponse(second, nil)
		if len(got.Fields) == 0 && len(want.Fields) == 0 {
			got.Fields, want.Fields = nil, nil
		}
		if gn != wn || gerr != werr || !reflect.DeepEqual(got, want) {
			t.Fatalf("response %q after %q:\ngot  %+v %d %v\nwant %+v %d %v", second, first, got, gn, gerr, want, wn, werr)
		}
		priorReq, _, _, _ := scanHead(first, false, nil)
		gotReq, _, gn, gerr := scanHead(second, false, priorReq.Fields[:0])
		wantReq, _, wn, werr := scanHead(second, false, nil)
		if len(gotReq.Fields) == 0 && len(wantReq.Fields) == 0 {
			gotReq.Fields, wantReq.Fields = nil, nil
		}
		if gn != wn || gerr != werr || !reflect.DeepEqual(gotReq, wantReq) {
			t.Fatalf("request %q after %q:\ngot  %+v %d %v\nwant %+v %d %v", second, first, gotReq, gn, gerr, wantReq, wn, werr)
		}
	})
}
