package balancer

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/h1"
)

// verbatimResponses are what TestVerbatimMatchesDirect's target answers, by
// the request's X-Answer field.
var verbatimResponses = map[string]string{
	"plain":       "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nX-Kept: yes\r\nX-Kept: again\r\n\r\nhello",
	"hop":         "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nKeep-Alive: timeout=5\r\nConnection: keep-alive\r\nUpgrade: h2c\r\nProxy-Authenticate: Basic\r\nContent-Length: 2\r\n\r\nok",
	"dated":       "HTTP/1.1 200 OK\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok",
	"reason":      "HTTP/1.1 404 Nothing Here\r\nContent-Type: text/html\r\nContent-Length: 9\r\n\r\nnot found",
	"empty":       "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
	"close":       "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
	"big":         "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n" + strings.Repeat("0123456789", 10000),
	"sniffed":     "HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\n<html>hi</html>",
	"pragma":      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nPragma: no-cache\r\nContent-Length: 2\r\n\r\nok",
	"options":     "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: X-Hop\r\nX-Hop: dropped\r\nContent-Length: 2\r\n\r\nok",
	"chunked":     "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
	"trailers":    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTrailer: X-Sum\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 17\r\n\r\n",
	"no content":  "HTTP/1.1 204 No Content\r\nX-Kept: yes\r\n\r\n",
	"unknown":     "HTTP/1.1 299 Whatever\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok",
	"hints":       "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok",
	"until close": "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it",
}

// TestVerbatimMatchesDirect sends the same requests to two h1 servers in
// front of the same listener's route, one with the verbatim forward
// (serveVerbatim) and one without it (handle: forwardDirect), and compares
// what the target read (request line, Host, fields) and what the client got
// (status, fields but Date, body, trailers, 1xx). The target answers from a
// script, byte for byte, so responses net/http would not write (a reason
// phrase of its own, hop-by-hop fields, no Content-Type, Pragma) come too.
func TestVerbatimMatchesDirect(t *testing.T) {
	e := newEnv(t)
	seenCh := make(chan seenRequest, 1)
	l, err := net.Listen("tcp", net.JoinHostPort(targetIP, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					answer := req.Header.Get("X-Answer")
					if answer == "" {
						answer = "plain" // a health check
					} else {
						seen := recordRequest(req)
						trace := req.Header.Get("X-Amzn-Trace-Id")
						if !strings.HasPrefix(trace, "Root=1-") && !strings.Contains(trace, ";Root=1-abc") {
							seen.header += "\nbad trace id: " + trace
						}
						seenCh <- seen
					}
					res := verbatimResponses[answer]
					if req.Method == http.MethodHead {
						res = res[:strings.Index(res, "\r\n\r\n")+4]
					}
					if _, err := io.WriteString(c, res); err != nil || answer == "until close" {
						return
					}
				}
			}()
		}
	}()
	port := l.Addr().(*net.TCPAddr).Port

	const lport = 18491
	node := e.forwardHTTP(t, "verbatim", targetIP, port, lport)
	key := net.JoinHostPort(node, strconv.Itoa(lport))

	// Two servers in front of the same listener entry, one offering each
	// request to the verbatim forward first.
	// What each call of the verbatim forward returned: it may return after
	// its client has read the response.
	taken := make(chan bool, 1)
	front := func(verbatim bool) string {
		fl, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { e.svc.handle(w, r, key, node) })
		srv := &h1.Server{Handler: handler, BaseContext: context.Background(), HeaderTimeout: 5 * time.Second,
			Fallback: &http.Server{Handler: handler}}
		if verbatim {
			srv.Direct = func(x *h1.Exchange) bool {
				ok := e.svc.serveVerbatim(x, key, node)
				taken <- ok
				return ok
			}
		}
		go func() { _ = srv.Serve(fl) }()
		t.Cleanup(srv.Close)
		return fl.Addr().String()
	}
	verbatimURL, directURL := front(true), front(false)

	tests := []struct {
		name, method, path string
		fields             []string // "Name: value" lines, sent in this order
		verbatim           bool     // the verbatim forward takes it
	}{
		{"plain", "GET", "/p/a%2Fb?x=1&y=%zz", []string{"Accept: */*", "User-Agent: c/1"}, true},
		{"client's forwarding fields", "GET", "/", []string{"X-Forwarded-For: 10.0.0.1, 10.0.0.2", "Forwarded: for=1.2.3.4",
			"X-Forwarded-Host: evil", "X-Forwarded-For: 10.0.0.3", "X-Forwarded-Proto: ftp", "X-Forwarded-Port: 1",
			"X-Amzn-Trace-Id: Root=1-abc;Self=1-def"}, true},
		{"hop-by-hop fields", "GET", "/", []string{"Connection: keep-alive", "Keep-Alive: 300",
			"Proxy-Connection: keep-alive", "Proxy-Authorization: Basic x", "Content-Length: 0"}, true},
		{"two User-Agents", "GET", "/", []string{"User-Agent: first", "user-agent: second"}, true},
		{"no User-Agent", "GET", "/", nil, true},
		{"an empty User-Agent", "GET", "/", []string{"User-Agent: "}, true},
		{"names not canonical", "GET", "/", []string{"x-lower: a", "X-LOWER: b", "accept: */*"}, true},
		{"OPTIONS", "OPTIONS", "/", nil, true},
		{"hop", "GET", "/", nil, true},
		{"dated", "GET", "/", nil, true},
		{"reason", "GET", "/", nil, true},
		{"empty", "GET", "/", nil, true},
		{"close", "GET", "/", nil, true},
		{"big", "GET", "/", nil, true},
		{"sniffed", "GET", "/", nil, true},
		{"pragma", "GET", "/", nil, true},
		{"options", "GET", "/", nil, true},
		{"chunked", "GET", "/", nil, true},
		{"trailers", "GET", "/", nil, true},
		{"no content", "GET", "/", nil, true},
		{"unknown", "GET", "/", nil, true},
		{"hints", "GET", "/", nil, true},
		{"until close", "GET", "/", nil, true},
		{"HEAD", "HEAD", "/", nil, false},
		{"TE", "GET", "/", []string{"TE: trailers"}, false},
		{"a target net/http writes again", "GET", "/a{b}", nil, false},
	}
	type got struct {
		seen     seenRequest
		response string // as sent, each head's fields sorted and Date's value elided
	}
	// exchange sends a request as the bytes of its head and reads the
	// response as bytes: net/http's client would write some fields again
	// (one User-Agent, canonical names) and read some into others (Pragma).
	exchange := func(t *testing.T, addr, answer, method, path string, fields []string) got {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		head := method + " " + path + " HTTP/1.1\r\nHost: " + testDomain + "\r\n"
		for _, f := range fields {
			head += f + "\r\n"
		}
		head += "X-Answer: " + answer + "\r\n\r\n"
		if _, err := io.WriteString(c, head); err != nil {
			t.Fatal(err)
		}
		var raw strings.Builder
		br := bufio.NewReader(io.TeeReader(c, &raw))
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		for {
			res, err := http.ReadResponse(br, &http.Request{Method: method})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, res.Body); err != nil {
				t.Fatal(err)
			}
			if res.StatusCode >= 200 {
				break
			}
		}
		var s seenRequest
		select {
		case s = <-seenCh:
		case <-time.After(10 * time.Second):
			t.Fatal("the target saw no request")
		}
		return got{s, normalize(raw.String()[:raw.Len()-br.Buffered()])}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			answer := tc.name
			if _, ok := verbatimResponses[answer]; !ok {
				answer = "plain"
			}
			v := exchange(t, verbatimURL, answer, tc.method, tc.path, tc.fields)
			d := exchange(t, directURL, answer, tc.method, tc.path, tc.fields)
			// h1 offers every request but the one whose target net/http
			// writes again; each offer reports whether it was taken, the
			// declined ones before their response is written.
			if tc.name == "a target net/http writes again" {
				select {
				case took := <-taken:
					t.Errorf("offered to the verbatim forward (taken: %v), want it not offered", took)
				default:
				}
			} else {
				select {
				case took := <-taken:
					if took != tc.verbatim {
						t.Errorf("taken by the verbatim forward: %v, want %v", took, tc.verbatim)
					}
				case <-time.After(10 * time.Second):
					t.Error("the verbatim forward was never offered the request")
				}
			}
			if v != d {
				t.Errorf("verbatim:\n%+v\ndirect:\n%+v", v, d)
			}
			if strings.Contains(v.seen.header, "bad trace id") {
				t.Errorf("trace id: %s", v.seen.header)
			}
		})
	}
}

// normalize is a response as bytes with the fields of each head sorted (the
// verbatim forward keeps the target's order, net/http sorts them) and the
// value of a Date the server added (not the target's) elided.
func normalize(raw string) string {
	var out strings.Builder
	for {
		head, rest, ok := strings.Cut(raw, "\r\n\r\n")
		if !ok {
			return out.String() + raw
		}
		lines := strings.Split(head, "\r\n")
		for i, l := range lines {
			if strings.HasPrefix(l, "Date: ") && l != "Date: Mon, 01 Jan 2024 00:00:00 GMT" {
				lines[i] = "Date: (now)"
			}
		}
		slices.Sort(lines[1:])
		out.WriteString(strings.Join(lines, "\r\n") + "\r\n\r\n")
		if !strings.HasPrefix(head, "HTTP/1.1 1") {
			return out.String() + rest
		}
		raw = rest
	}
}
