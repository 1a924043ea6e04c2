package gateway

import (
	"encoding/json"
	"log/slog"
	"net/http"
)

// failure is an error API Gateway itself answers (a gateway response).
type failure struct {
	responseType string // gateway response type ("" when it cannot be customised)
	status       int
	errorType    string // x-amzn-ErrorType ("" when AWS's is not known)
	message      string // $context.error.message
	body         string // the default body
	// validationErrors is $context.error.validationErrorString: the
	// validator's detail of a BAD_REQUEST_BODY/BAD_REQUEST_PARAMETERS.
	validationErrors string
}

// The built-in gateway responses (aws-behaviors §A2, §A10). Bodies are AWS's
// byte for byte where observed, including the space in the 5xx ones.
var (
	// Requests that name no private API this endpoint may reach. Not tied to an
	// API, so not customisable.
	failForbidden    = &failure{status: 403, errorType: "ForbiddenException", message: "Forbidden", body: `{"message":"Forbidden"}`}
	failMissingToken = &failure{responseType: "MISSING_AUTHENTICATION_TOKEN", status: 403,
		errorType: "MissingAuthenticationTokenException", message: "Missing Authentication Token",
		body: `{"message":"Missing Authentication Token"}`}
	failInvalidAPIKey = &failure{responseType: "INVALID_API_KEY", status: 403, errorType: "ForbiddenException",
		message: "Forbidden", body: `{"message":"Forbidden"}`}
	failConfig = &failure{responseType: "API_CONFIGURATION_ERROR", status: 500, errorType: "InternalServerErrorException",
		message: "Internal server error", body: `{"message": "Internal server error"}`}
	// A backend that cannot be reached: AWS's type is INTEGRATION_FAILURE (default
	// 504) but it answers 500 Internal server error (§A5): re:Post
	// knowledge-center/api-gateway-500-error-vpc; LocalStack's
	// IntegrationFailureError sets 500.
	failIntegration = &failure{responseType: "INTEGRATION_FAILURE", status: 500, errorType: "InternalServerErrorException",
		message: "Internal server error", body: `{"message": "Internal server error"}`}
	// x-amzn-ErrorType of a timeout is not documented; none is sent.
	failTimeout = &failure{responseType: "INTEGRATION_TIMEOUT", status: 504,
		message: "Endpoint request timed out", body: `{"message": "Endpoint request timed out"}`}
	failUnsupportedMedia = &failure{responseType: "UNSUPPORTED_MEDIA_TYPE", status: 415, errorType: "UnsupportedMediaTypeException",
		message: "Unsupported Media Type", body: `{"message":"Unsupported Media Type"}`}
	// REQUEST_TOO_LARGE cannot be customised (§A10). Its message text is not
	// recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12).
	failTooLarge = &failure{status: 413, message: "Request Too Long", body: `{"message":"Request Too Long"}`}
)

// accessDenied is the resource policy's refusal; the body's key is "Message"
// (capitalised), as AWS answers it (§A2).
func accessDenied(arn string, explicit bool) *failure {
	msg := "User: anonymous is not authorized to perform: execute-api:Invoke on resource: " + arn
	if explicit {
		msg += " with an explicit deny"
	}
	b, _ := json.Marshal(map[string]string{"Message": msg})
	return &failure{responseType: "ACCESS_DENIED", status: 403, errorType: "AccessDeniedException", message: msg, body: string(b)}
}

// refusal is why a step of the request path does not hand the request on: the
// gateway response that answers it, how, and what to log. Steps return it and
// refuse renders it, the one place a failure is logged and written (as
// httputil.ReverseProxy routes every failure through its ErrorHandler).
type refusal struct {
	failure    *failure
	noOverride bool // answered as built in: the API's gateway responses do not apply
	closeConn  bool // the connection cannot be framed after this request
	abort      bool // no answer at all: the exchange is cut (http.ErrAbortHandler)
	level      slog.Level
	msg        string // the log line; "" logs nothing
	args       []any  // its attributes beyond the request's own
}

// executionFailed is a refusal logged as a warning: the API's configuration or
// its backend failed a request the API accepted.
func executionFailed(f *failure, why string, args ...any) *refusal {
	return &refusal{failure: f, level: slog.LevelWarn, msg: "execution failed: " + why, args: args}
}

// refuseTooLarge answers a body over maxBodyBytes. REQUEST_TOO_LARGE cannot be
// customised, so no override applies.
var refuseTooLarge = &refusal{failure: failTooLarge, noOverride: true}

// failMalformedBody answers a request whose body breaks its own framing (bad
// chunked encoding): API Gateway answers a malformed request 400. Its body
// and type are not recorded from AWS (searched: docs, issues, moto,
// LocalStack; 2026-12); this is the shape of its other built-in answers.
var failMalformedBody = &failure{status: http.StatusBadRequest, message: "Bad Request", body: `{"message":"Bad Request"}`}

// malformedBody answers failMalformedBody and closes the connection: what
// follows the broken body on it cannot be framed.
func malformedBody(err error) *refusal {
	return &refusal{failure: failMalformedBody, noOverride: true, closeConn: true,
		level: slog.LevelDebug, msg: "request body malformed", args: []any{"err", err}}
}

// bodyUnreadable aborts the exchange of a body that stopped arriving (the read
// deadline passed) or a caller gone: there is no one to answer.
func bodyUnreadable(err error) *refusal {
	return &refusal{abort: true, level: slog.LevelDebug, msg: "request body unreadable; connection aborted", args: []any{"err", err}}
}

// refuse renders rf: logs it with the request's identity, then answers its
// failure with the API's gateway response overrides unless rf says otherwise.
func (s *Service) refuse(x *exchange, rf *refusal) {
	x.failed = rf.failure // the access log's $context.error.*
	if rf.msg != "" {
		s.log.Log(x.r.Context(), rf.level, rf.msg, append(x.logAttrs(), rf.args...)...)
	}
	if rf.abort {
		panic(http.ErrAbortHandler)
	}
	if rf.closeConn {
		x.w.Header().Set("Connection", "close")
	}
	if rf.noOverride {
		s.writeFailure(x.w, rf.failure, nil, nil)
		return
	}
	s.writeFailure(x.w, rf.failure, x.res.stage, x.vars())
}

// logAttrs names the request in a log line: its id, and the API, stage,
// resource and method as far as they are known.
func (x *exchange) logAttrs() []any {
	attrs := []any{"requestId", x.reqID}
	if sr := x.res.stage; sr != nil {
		attrs = append(attrs, "api", sr.apiID, "stage", sr.name)
	}
	if rt := x.res.route; rt != nil {
		attrs = append(attrs, "resource", rt.resourcePath, "method", x.r.Method)
	}
	return attrs
}

// writeFailure answers f, applying the API's gateway response override (its own
// type, else DEFAULT_4XX/DEFAULT_5XX) when the stage is known.
func (s *Service) writeFailure(w http.ResponseWriter, f *failure, sr *stageRoute, vars templateVars) {
	status, body := f.status, f.body
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if f.errorType != "" {
		h.Set("x-amzn-ErrorType", f.errorType)
	}
	if gr := override(f, sr); gr != nil {
		if gr.status != 0 {
			status = gr.status
		}
		for _, p := range gr.headers {
			h.Set(p.name, p.literal)
		}
		if gr.body != nil {
			errVars := templateVars(func(name string) (string, bool) {
				if v, ok := f.errorVar(name); ok { // validationerrors.go
					return v, true
				}
				if vars != nil {
					return vars(name)
				}
				return "", false
			})
			if out, err := gr.body.render(errVars); err == nil {
				body = out
			} else {
				s.log.Warn("gateway response template not evaluated; default body sent", "type", f.responseType, "err", err)
			}
		}
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

func override(f *failure, sr *stageRoute) *gatewayResponse {
	if sr == nil || f.responseType == "" || len(sr.responses) == 0 {
		return nil
	}
	if gr := sr.responses[f.responseType]; gr != nil {
		return gr
	}
	if f.status >= 500 {
		return sr.responses["DEFAULT_5XX"]
	}
	return sr.responses["DEFAULT_4XX"]
}

// literal unquotes a mapping value written as a static value: 'text'.
func literal(v string) (string, bool) {
	if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
		return v[1 : len(v)-1], true
	}
	return "", false
}

func parseStatus(s string) (int, bool) {
	if len(s) != 3 {
		return 0, false
	}
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, n >= 100 && n <= 599
}
