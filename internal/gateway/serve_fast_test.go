package gateway

import (
	"context"
	"errors"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	"gatehouse/internal/gateway/vtl"
)

// FuzzPlainStatusObject: the decoder-free reading of a MOCK's rendered
// request must agree with the decoder's wherever it answers, so that the
// fast path changes no status and no refusal.
func FuzzPlainStatusObject(f *testing.F) {
	for _, s := range []string{`{"statusCode": 200}`, ` {"statusCode":404} `, "{\n\t\"statusCode\" : 503\r\n}",
		`{"statusCode": 0200}`, `{"statusCode": -200}`, `{"statusCode": 200}}`, `{"statusCode": 2000000000}`, `{"statusCode": 0}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		n, ok := plainStatusObject([]byte(payload))
		if !ok {
			return
		}
		want, err := statusCodeOf([]byte(payload))
		if err != nil || n != want {
			t.Fatalf("plainStatusObject(%q): got %d; the decoder reads %d, %v", payload, n, want, err)
		}
	})
}

func TestPlainStatusObject(t *testing.T) {
	tests := []struct {
		name, payload string
		want          int64
		wantOK        bool
	}{
		{"the walkthrough's template", `{"statusCode": 200}`, 200, true},
		{"JSON whitespace around everything", " \n{ \"statusCode\"\t:\r404 }\n", 404, true},
		{"zero", `{"statusCode": 0}`, 0, true},
		{"a leading zero is not JSON", `{"statusCode": 0200}`, 0, false},
		{"a sign", `{"statusCode": -200}`, 0, false},
		{"a decimal", `{"statusCode": 200.0}`, 0, false},
		{"ten digits", `{"statusCode": 2000000000}`, 0, false},
		{"another member", `{"statusCode": 200, "a": 1}`, 0, false},
		{"unquoted key", `{statusCode: 200}`, 0, false},
		{"trailing brace", `{"statusCode": 200}}`, 0, false},
		{"two documents", `{"statusCode": 200} {"statusCode": 500}`, 0, false},
		{"empty", ``, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := plainStatusObject([]byte(tt.payload))
			if got != tt.want && tt.wantOK || ok != tt.wantOK {
				t.Errorf("plainStatusObject(%q): got %d, %v; want %d, %v", tt.payload, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// TestRequestIDs: the ids made per request have the shapes AWS's have.
func TestRequestIDs(t *testing.T) {
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	apigw := regexp.MustCompile(`^[A-Za-z0-9+/]{15}=$`)
	seen := map[string]bool{}
	for range 100 {
		id := newRequestID()
		if !uuid.MatchString(id) {
			t.Fatalf("newRequestID: got %q, want a version 4 UUID", id)
		}
		if seen[id] {
			t.Fatalf("newRequestID: %q twice in 100", id)
		}
		seen[id] = true
		if g := apigwID(); !apigw.MatchString(g) {
			t.Fatalf("apigwID: got %q, want 16 base64 characters", g)
		}
	}
}

// TestRenderDeadline: a MOCK's templates stop at the integration timeout
// without a timer (504), and stop when the caller goes (no answer), as they
// did under context.WithTimeout.
func TestRenderDeadline(t *testing.T) {
	tmpl, err := vtl.Compile(`#foreach($i in [1..1000])x#end`)
	if err != nil {
		t.Fatal(err)
	}
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		parent  context.Context
		at      time.Time
		want    *failure
		wantErr error
	}{
		{"within the timeout", context.Background(), time.Now().Add(time.Hour), nil, nil},
		{"past the timeout", context.Background(), time.Now().Add(-time.Millisecond), failTimeout, context.DeadlineExceeded},
		{"caller gone", gone, time.Now().Add(time.Hour), failIntegration, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil).WithContext(tt.parent)
			m := &mapper{x: &exchange{r: r}}
			m.deadline = renderDeadline{Context: r.Context(), at: tt.at}
			if err := m.deadline.Err(); !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Errorf("Err: got %v, want %v", err, tt.wantErr)
			}
			if d, ok := m.deadline.Deadline(); !ok || !d.Equal(tt.at) {
				t.Errorf("Deadline: got %v, %v; want %v, true", d, ok, tt.at)
			}
			_, _, rf := m.render(&m.deadline, tmpl, nil, "request template")
			var got *failure
			if rf != nil {
				got = rf.failure
			}
			if got != tt.want {
				t.Errorf("render: got failure %+v, want %+v", got, tt.want)
			}
		})
	}
}
