package balancer

import "testing"

func TestMatches(t *testing.T) {
	cases := []struct {
		name    string
		matcher string
		code    int
		want    bool
		wantErr bool
	}{
		{"single hit", "200", 200, true, false},
		{"single miss", "200", 403, false, false},
		{"list", "200,403", 403, true, false},
		{"range low edge", "200-299", 200, true, false},
		{"range high edge", "200-299", 299, true, false},
		{"range miss", "200-299", 300, false, false},
		{"combo", "200-204,301,403", 403, true, false},
		{"same bounds", "403-403", 403, true, false},
		{"empty", "", 200, false, true},
		{"below 200", "199", 199, false, true},
		{"above 499", "500", 500, false, true},
		{"backwards range", "299-200", 250, false, true},
		{"space", "200, 403", 403, false, true},
		{"trailing comma", "200,", 200, false, true},
		{"not a number", "2x0", 200, false, true},
		{"open range", "200-", 200, false, true},
		{"two dashes", "200-300-400", 200, false, true},
		{"plus sign", "+200", 200, false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := matches(c.matcher, c.code)
			if (err != nil) != c.wantErr {
				t.Fatalf("Matches(%q, %d) error: got %v, want error %v", c.matcher, c.code, err, c.wantErr)
			}
			if got != c.want {
				t.Errorf("Matches(%q, %d): got %v, want %v", c.matcher, c.code, got, c.want)
			}
		})
	}
}

// matches reports whether code satisfies the matcher string.
func matches(matcher string, code int) (bool, error) {
	m, err := ParseMatcher(matcher)
	if err != nil {
		return false, err
	}
	return m.Match(code), nil
}

func FuzzParseMatcher(f *testing.F) {
	for _, s := range []string{"200", "200,403", "200-299", "200-204,301,403", "", "499-200", "2000", "200,,201", "-", "1-2-3"} {
		f.Add(s, 403)
	}
	f.Fuzz(func(t *testing.T, s string, code int) {
		m, err := ParseMatcher(s)
		if err != nil {
			return
		}
		// A valid matcher only ever accepts codes in 200–499, and its canonical
		// form parses back to the same matcher.
		if m.Match(code) && (code < minMatcherCode || code > maxMatcherCode) {
			t.Fatalf("%q matches %d, outside 200-499", s, code)
		}
		back, err := ParseMatcher(m.String())
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", m.String(), s, err)
		}
		for c := minMatcherCode; c <= maxMatcherCode; c++ {
			if m.Match(c) != back.Match(c) {
				t.Fatalf("%q and its canonical form %q differ at %d", s, m.String(), c)
			}
		}
	})
}
