package h1

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/url"
	"testing"
)

// The hot path's pieces against net/http's, allocations reported:
//
//	go test ./internal/h1 -run '^$' -bench . -benchmem
var (
	benchHead     = []byte("GET /pets?limit=2 HTTP/1.1\r\nHost: api.example.test\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n")
	benchResponse = []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: Sat, 05 Dec 2026 20:00:00 GMT\r\nContent-Length: 2\r\n\r\nhi")
)

func BenchmarkParseHead(b *testing.B) {
	b.Run("h1", func(b *testing.B) {
		var req http.Request
		for b.Loop() {
			if _, err := ParseHead(benchHead, &req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("net/http", func(b *testing.B) {
		r := bytes.NewReader(benchHead)
		br := bufio.NewReader(r)
		for b.Loop() {
			r.Reset(benchHead)
			br.Reset(r)
			if _, err := http.ReadRequest(br); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkReadResponse(b *testing.B) {
	for _, c := range []struct {
		name string
		read func(*bufio.Reader, *http.Request) (*http.Response, error)
	}{{"h1", ReadResponse}, {"net/http", http.ReadResponse}} {
		b.Run(c.name, func(b *testing.B) {
			r := bytes.NewReader(benchResponse)
			br := bufio.NewReader(r)
			req := &http.Request{Method: http.MethodGet}
			for b.Loop() {
				r.Reset(benchResponse)
				br.Reset(r)
				res, err := c.read(br, req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, res.Body)
			}
		})
	}
}

func BenchmarkWriteRequest(b *testing.B) {
	u, _ := url.ParseRequestURI("/pets?limit=2")
	req := &http.Request{Method: http.MethodGet, URL: u, Host: "api.example.test", Header: http.Header{
		"Accept": {"*/*"}, "User-Agent": {""}, "X-Forwarded-For": {"10.0.0.1"}, "X-Forwarded-Proto": {"https"},
		"X-Forwarded-Port": {"443"}, "X-Amzn-Trace-Id": {"Root=1-00000000-000000000000000000000000"},
	}}
	bw := bufio.NewWriter(io.Discard)
	b.Run("h1", func(b *testing.B) {
		for b.Loop() {
			if err := WriteRequest(bw, req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("net/http", func(b *testing.B) {
		for b.Loop() {
			if err := req.Write(bw); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkScanResponse is the verbatim forward's read of a response head
// (nginx's five fields), without a header map.
func BenchmarkScanResponse(b *testing.B) {
	head := []byte("HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Sun, 06 Dec 2026 09:00:00 GMT\r\nContent-Type: text/plain\r\nContent-Length: 1024\r\nConnection: keep-alive\r\n\r\n")
	var fields []Field
	b.ReportAllocs()
	for b.Loop() {
		h, _, err := ScanResponse(head, fields[:0])
		if err != nil {
			b.Fatal(err)
		}
		fields = h.Fields
	}
}
