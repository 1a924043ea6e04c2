package vtl

import (
	"context"
	"testing"
)

// countingLoader is a Loader that counts what it was asked to build.
type countingLoader struct{ context, stageVars, params int }

func (l *countingLoader) LoadContext() *Map {
	l.context++
	m := NewMap(1)
	m.Set("stage", "prod")
	return m
}

func (l *countingLoader) LoadStageVariables() *Map {
	l.stageVars++
	m := NewMap(1)
	m.Set("backend", "b1")
	return m
}

func (l *countingLoader) LoadParams(in *Input) {
	l.params++
	in.Query = []Param{{Name: "q", Value: "x"}}
}

// TestLoaderBuildsOnRead: a template that does not read $context,
// $stageVariables or the parameters costs none of them; one that does gets
// them built once per Input, shared by the request and response templates,
// and renders as if they had been there from the start.
func TestLoaderBuildsOnRead(t *testing.T) {
	tests := []struct {
		name          string
		request       string
		response      string
		wantRequest   string
		wantResponse  string
		wantContext   int
		wantStageVars int
		wantParams    int
		wantStatus    int
	}{
		{"static text reads nothing", `{"statusCode": 200}`, `ok`, `{"statusCode": 200}`, `ok`, 0, 0, 0, 0},
		{"$context once for both templates", `$context.stage`, `$context.stage`, `prod`, `prod`, 1, 0, 0, 0},
		{"stage variables and parameters", `$stageVariables.backend`, `$input.params('q')`, `b1`, `x`, 0, 1, 1, 0},
		{"an override set in the request template reaches the response", `#set($context.responseOverride.status = 201)`, `done`, ``, `done`, 1, 0, 0, 201},
		{"a template's own $context shadows the built one", `#set($context = "mine")$context`, `static`, `mine`, `static`, 0, 0, 0, 0},
		{"#evaluate reads it too", `#evaluate('$context.stage')`, ``, `prod`, ``, 1, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &countingLoader{}
			in := &Input{Loader: l}
			var out Output
			for i, step := range []struct{ src, want string }{{tt.request, tt.wantRequest}, {tt.response, tt.wantResponse}} {
				tmpl, err := Compile(step.src)
				if err != nil {
					t.Fatal(err)
				}
				if err := tmpl.Render(context.Background(), in, &out); err != nil {
					t.Fatalf("template %d: %v", i, err)
				}
				if string(out.Body) != step.want {
					t.Errorf("template %d: got %q, want %q", i, out.Body, step.want)
				}
			}
			if out.Overrides.Status != tt.wantStatus {
				t.Errorf("response overrides status: got %d, want %d", out.Overrides.Status, tt.wantStatus)
			}
			if l.context != tt.wantContext || l.stageVars != tt.wantStageVars || l.params != tt.wantParams {
				t.Errorf("loads: got context %d, stage variables %d, params %d; want %d, %d, %d",
					l.context, l.stageVars, l.params, tt.wantContext, tt.wantStageVars, tt.wantParams)
			}
		})
	}
}
