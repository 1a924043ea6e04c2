package apigateway

import (
	"strings"
	"testing"
)

func TestParseAPIKeysCSV(t *testing.T) {
	for _, tt := range []struct {
		name, body string
		wantKeys   int
		wantErr    bool
	}{
		{"header and two keys", "Name,Key,Enabled,UsagePlanIds\na,AAAAAAAAAAAAAAAAAAAAA,false,p1;p2\r\nb,BBBBBBBBBBBBBBBBBBBBB\n", 2, false},
		{"columns in any order and case", "key,NAME\nAAAAAAAAAAAAAAAAAAAAA,a\n", 1, false},
		{"no key column", "Name,Description\na,b\n", 0, true},
		{"empty", "", 0, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseAPIKeysCSV([]byte(tt.body))
			if (err != nil) != tt.wantErr || len(got) != tt.wantKeys {
				t.Fatalf("got %d keys, err %v; want %d keys, error %v", len(got), err, tt.wantKeys, tt.wantErr)
			}
		})
	}
	got, _ := parseAPIKeysCSV([]byte("Name,Key,Enabled,UsagePlanIds\na,AAAAAAAAAAAAAAAAAAAAA,false,p1;p2\n"))
	if k := got[0]; k.input.Name != "a" || k.input.Enabled || strings.Join(k.plans, ",") != "p1,p2" || k.line != 2 {
		t.Errorf("got %+v, want name a, disabled, plans p1,p2, line 2", k)
	}
}

// FuzzParseAPIKeysCSV: any body parses or is refused, never panics, and
// never yields more keys than lines.
func FuzzParseAPIKeysCSV(f *testing.F) {
	f.Add([]byte("Name,Key,Enabled,UsagePlanIds\na,AAAAAAAAAAAAAAAAAAAAA,true,p1\n"))
	f.Add([]byte("key\n,,,\n\r\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := parseAPIKeysCSV(body)
		if err == nil && len(got) > strings.Count(string(body), "\n") {
			t.Fatalf("got %d keys from %d lines", len(got), strings.Count(string(body), "\n")+1)
		}
	})
}
