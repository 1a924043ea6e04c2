package gateway

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"gatehouse/internal/model"
)

// Request validation ("Request validation for REST APIs in API Gateway"): a
// method with a request validator has its request checked before the
// integration runs. validateRequestParameters: every parameter the method
// marks required (method.request.{path|querystring|header}.NAME: true) is
// present and not blank, else 400 BAD_REQUEST_PARAMETERS "Missing required
// request parameters: [a, b]". validateRequestBody: the body conforms to the
// method's model for the request's content type (default application/json;
// "$default" stands for any; no model for the type: not validated), else 400
// BAD_REQUEST_BODY "Invalid request body". Schemas are compiled with the
// stage (attachValidation), never per request.

// The two refusals, as AWS answers them with its default gateway responses
// (bodies observed on real APIs, the space after the colon included).
var (
	failBadParameters = &failure{responseType: "BAD_REQUEST_PARAMETERS", status: http.StatusBadRequest,
		errorType: "BadRequestException", message: "Missing required request parameters: []"}
	failBadBody = &failure{responseType: "BAD_REQUEST_BODY", status: http.StatusBadRequest,
		errorType: "BadRequestException", message: "Invalid request body", body: `{"message": "Invalid request body"}`}
)

// missingParameters is the BAD_REQUEST_PARAMETERS failure naming the
// parameters that are missing.
func missingParameters(names []string) *failure {
	f := *failBadParameters
	f.message = "Missing required request parameters: [" + strings.Join(names, ", ") + "]"
	f.body = `{"message": "` + jsonEscape(f.message) + `"}`
	// The detail of a parameter failure is its message: no observed answer
	// shows it (not recorded from AWS, searched: docs, issues, pages,
	// LocalStack; 2026-12).
	f.validationErrors = f.message
	return &f
}

// badBody is the BAD_REQUEST_BODY failure with the validator's detail
// ($context.error.validationErrorString). The detail of a body that is not
// JSON is the parser's error: AWS's text for it is not observed (not
// recorded from AWS, searched: docs, issues, pages, LocalStack; 2026-12).
func badBody(detail string) *failure {
	f := *failBadBody
	f.validationErrors = detail
	return &f
}

// jsonEscape escapes s for a JSON string's inside.
func jsonEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// validation is what a route checks before its integration.
type validation struct {
	params []requiredParam               // nil unless the validator checks parameters
	bodies map[string]*jsonschema.Schema // by content type ("$default" included); nil unless it checks bodies
	err    error                         // a model that does not compile: the body check answers 500
}

// requiredParam is one parameter the method requires.
type requiredParam struct {
	where string // path, querystring, header
	name  string
}

// attachValidation compiles the validation of every route of a stage's tree:
// the models the methods name are compiled once for the stage.
func attachValidation(root *node, api *model.RestAPI) {
	if len(api.RequestValidators) == 0 || root == nil {
		return
	}
	var c *jsonschema.Compiler
	schemas := map[string]*jsonschema.Schema{}
	schemaErrs := map[string]error{}
	compileModel := func(name string) (*jsonschema.Schema, error) {
		if s, ok := schemas[name]; ok {
			return s, schemaErrs[name]
		}
		m := api.Models[name]
		var sch *jsonschema.Schema
		var err error
		switch {
		case m == nil:
			err = fmt.Errorf("model %s does not exist", name)
		case strings.TrimSpace(m.Schema) == "":
			// A model without a schema constrains nothing.
		default:
			if c == nil {
				c = schemaCompiler(api.ID, api.Models)
			}
			sch, err = c.Compile(modelRefBase + api.ID + "/models/" + name)
		}
		schemas[name], schemaErrs[name] = sch, err
		return sch, err
	}
	root.eachRoute(func(_ *node, _ string, rt *route) {
		rt.validation = compileValidation(rt.method, api, compileModel)
	})
}

func compileValidation(m *model.Method, api *model.RestAPI, compileModel func(string) (*jsonschema.Schema, error)) *validation {
	if m == nil || m.RequestValidatorID == "" {
		return nil
	}
	v := api.RequestValidators[m.RequestValidatorID]
	if v == nil || (!v.ValidateRequestParameters && !v.ValidateRequestBody) {
		return nil
	}
	out := &validation{}
	if v.ValidateRequestParameters {
		for _, k := range slices.Sorted(maps.Keys(m.RequestParameters)) {
			if !m.RequestParameters[k] {
				continue
			}
			rest, ok := strings.CutPrefix(k, "method.request.")
			if !ok {
				continue
			}
			where, name, ok := strings.Cut(rest, ".")
			if !ok {
				continue
			}
			switch where {
			case "multivaluequerystring":
				where = "querystring"
			case "multivalueheader":
				where = "header"
			}
			out.params = append(out.params, requiredParam{where: where, name: name})
		}
	}
	if v.ValidateRequestBody && len(m.RequestModels) > 0 {
		out.bodies = map[string]*jsonschema.Schema{}
		for ct, name := range m.RequestModels {
			sch, err := compileModel(name)
			if err != nil {
				out.err = fmt.Errorf("request model %s for %s: %w", name, ct, err)
				break
			}
			out.bodies[strings.ToLower(ct)] = sch
		}
	}
	return out
}

// validateRequest is the validation step of invoke: nil when the route has
// no validator or the request passes. A body it reads is put back for the
// integration to read again.
func (s *Service) validateRequest(x *exchange) *refusal {
	v := x.res.route.validation
	if v == nil {
		return nil
	}
	r := x.r
	var missing []string
	for _, p := range v.params {
		if blank(p, r, x.res.params) {
			missing = append(missing, p.name)
		}
	}
	if len(missing) > 0 {
		return &refusal{failure: missingParameters(missing), level: slog.LevelDebug, msg: "request validation failed",
			args: []any{"missing", missing}}
	}
	if v.bodies == nil {
		return nil
	}
	if v.err != nil {
		return executionFailed(failConfig, "request validation", "err", v.err)
	}
	ct := "application/json"
	if h := r.Header.Get("Content-Type"); h != "" {
		if mt, _, err := mime.ParseMediaType(h); err == nil {
			ct = mt
		}
	}
	sch, ok := v.bodies[ct]
	if !ok {
		sch, ok = v.bodies["$default"]
	}
	if !ok {
		return nil // no model for this content type: not validated
	}
	body, rf := readBody(x.w, r)
	if rf != nil {
		return rf
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if sch == nil {
		return nil
	}
	// An empty body is validated as an empty object (how AWS treats a
	// body-less request under a model is not documented; not recorded from
	// AWS, searched: docs, issues, moto, LocalStack; 2026-12).
	doc := any(map[string]any{})
	if len(bytes.TrimSpace(body)) > 0 {
		var err error
		if doc, err = jsonschema.UnmarshalJSON(bytes.NewReader(body)); err != nil {
			return &refusal{failure: badBody("[" + err.Error() + "]"), level: slog.LevelDebug, msg: "request validation failed", args: []any{"err", err}}
		}
	}
	if err := sch.Validate(doc); err != nil {
		return &refusal{failure: badBody(validationErrorString(err, doc)), level: slog.LevelDebug, msg: "request validation failed", args: []any{"err", err}}
	}
	return nil
}

// blank reports whether a required parameter is missing or blank.
func blank(p requiredParam, r *http.Request, pathParams map[string]string) bool {
	var vals []string
	switch p.where {
	case "path":
		if v, ok := pathParams[p.name]; ok {
			vals = []string{v}
		}
	case "querystring":
		vals = r.URL.Query()[p.name]
	case "header":
		vals = r.Header.Values(p.name)
	default:
		return false // not a location API Gateway checks
	}
	for _, v := range vals {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}
