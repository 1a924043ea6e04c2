package reqbody

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
)

// The errors a real server hands a handler reading a body, classified as a
// forwarding hop must blame them.
func TestClassify(t *testing.T) {
	malformedChunk := readBody(t, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n")
	for _, tc := range []struct {
		name               string
		err                error
		malformed, stopped bool
	}{
		{"bad chunk size from a real server", malformedChunk, true, false},
		{"client closed mid-body", io.ErrUnexpectedEOF, false, true},
		{"read deadline", fmt.Errorf("read: %w", os.ErrDeadlineExceeded), false, true},
		{"connection closed", net.ErrClosed, false, true},
		{"client went away", context.Canceled, false, true},
		{"body over the limit", &http.MaxBytesError{Limit: 10}, false, false},
		{"no error", nil, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Malformed(tc.err); got != tc.malformed {
				t.Errorf("Malformed(%v): got %v, want %v", tc.err, got, tc.malformed)
			}
			if tc.err != nil {
				if got := Stopped(tc.err); got != tc.stopped {
					t.Errorf("Stopped(%v): got %v, want %v", tc.err, got, tc.stopped)
				}
			}
		})
	}
}

func TestBodyKeepsTheError(t *testing.T) {
	var nilBody *Body
	if nilBody.Err() != nil {
		t.Error("a nil Body (no body) has an error")
	}
	b := New(io.NopCloser(io.MultiReader(strings.NewReader("abc"), errReader{io.ErrUnexpectedEOF})))
	got, err := io.ReadAll(b)
	if string(got) != "abc" || !errors.Is(err, io.ErrUnexpectedEOF) || !errors.Is(b.Err(), io.ErrUnexpectedEOF) {
		t.Errorf("got %q, %v, Err %v; want abc and ErrUnexpectedEOF twice", got, err, b.Err())
	}
	clean := New(io.NopCloser(strings.NewReader("abc")))
	io.ReadAll(clean)
	if clean.Err() != nil {
		t.Errorf("a body read to its end: got Err %v, want nil", clean.Err())
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// readBody is the error net/http gives a handler that reads the body of raw.
func readBody(t *testing.T, raw string) error {
	t.Helper()
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(New(req.Body))
	if err == nil {
		t.Fatal("the malformed body read without error")
	}
	return err
}
