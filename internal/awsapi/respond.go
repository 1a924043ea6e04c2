package awsapi

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"gatehouse/internal/model"
)

// JSONOp is one operation of an awsJson1.1 service: body in, output out.
type JSONOp func(ctx context.Context, body []byte) (any, error)

// JSONOps dispatches on X-Amz-Target "<TargetPrefix>.<Operation>".
func JSONOps(ops map[string]JSONOp) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := from(r.Context())
		name, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), req.svc.TargetPrefix+".")
		op := ops[name]
		if !ok || op == nil || r.Method != http.MethodPost {
			// UNVERIFIED: Coral answers an unknown target with no message.
			WriteError(w, r, model.BadRequest("UnknownOperationException", "Unknown operation %q", r.Header.Get("X-Amz-Target")))
			return
		}
		out, err := op(r.Context(), req.body)
		if err != nil {
			WriteError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, "application/x-amz-json-1.1", out)
	})
}

// JSONOf adapts an operation on a decoded input: the body is decoded into a
// new In, required members checked, before f runs.
func JSONOf[In any](f func(context.Context, *In) (any, error)) JSONOp {
	return func(ctx context.Context, body []byte) (any, error) {
		in := new(In)
		if err := DecodeJSON(body, in); err != nil {
			return nil, err
		}
		return f(ctx, in)
	}
}

// QueryOp is one operation of an awsQuery or ec2Query service.
type QueryOp func(ctx context.Context, form url.Values) (any, error)

// QueryOf adapts an operation on a decoded input: the parameters are decoded
// into a new In as the service's protocol lays them out (DecodeQuery, or
// DecodeEC2 for ec2Query), required members checked, before f runs.
func QueryOf[In any](f func(context.Context, *In) (any, error)) QueryOp {
	return func(ctx context.Context, form url.Values) (any, error) {
		decode := DecodeQuery
		if from(ctx).svc.Protocol == EC2 {
			decode = DecodeEC2
		}
		in := new(In)
		if err := decode(form, in); err != nil {
			return nil, err
		}
		return f(ctx, in)
	}
}

// QueryOps dispatches on the Action parameter. The output is encoded as the
// element <Action>Result (awsQuery) or as the response's children (ec2Query).
func QueryOps(ops map[string]QueryOp) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := from(r.Context())
		if req.formErr != nil {
			WriteError(w, r, req.formErr)
			return
		}
		action := req.form.Get("Action")
		op := ops[action]
		if op == nil {
			if req.svc.Protocol == EC2 {
				WriteError(w, r, model.BadRequest("InvalidAction", "The action %s is not valid for this web service.", action))
			} else {
				WriteError(w, r, model.BadRequest("InvalidAction", "Could not find operation %s for version %s", action, req.form.Get("Version")))
			}
			return
		}
		out, err := op(r.Context(), req.form)
		if err != nil {
			WriteError(w, r, err)
			return
		}
		var b bytes.Buffer
		b.WriteString(xml.Header)
		fmt.Fprintf(&b, `<%sResponse xmlns="%s">`, action, req.svc.XMLNamespace)
		if req.svc.Protocol == EC2 {
			fmt.Fprintf(&b, "<requestId>%s</requestId>", req.id)
			if out != nil {
				if err := encodeChildren(&b, out); err != nil {
					WriteError(w, r, err)
					return
				}
			}
		} else {
			if out == nil {
				fmt.Fprintf(&b, "<%sResult></%sResult>", action, action)
			} else if err := xml.NewEncoder(&b).EncodeElement(out, xml.StartElement{Name: xml.Name{Local: action + "Result"}}); err != nil {
				WriteError(w, r, err)
				return
			}
			fmt.Fprintf(&b, "<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata>", req.id)
		}
		fmt.Fprintf(&b, "</%sResponse>", action)
		w.Header().Set("Content-Type", "text/xml")
		w.Write(b.Bytes())
	})
}

// encodeChildren writes v's fields as elements, without an element for v.
func encodeChildren(b *bytes.Buffer, v any) error {
	var tmp bytes.Buffer
	if err := xml.NewEncoder(&tmp).EncodeElement(v, xml.StartElement{Name: xml.Name{Local: "x"}}); err != nil {
		return err
	}
	inner := tmp.Bytes()
	inner = inner[bytes.IndexByte(inner, '>')+1 : len(inner)-len("</x>")]
	b.Write(inner)
	return nil
}

// RESTOp is one operation of a restJson1 or restXml service: it reads the
// path (r.PathValue), query and Body(r), and returns the status and output.
type RESTOp func(r *http.Request) (status int, out any, err error)

// Mux routes REST requests by method and path pattern (net/http's patterns,
// e.g. "GET /restapis/{restapi_id}").
type Mux struct{ m *http.ServeMux }

// NewMux returns an empty router.
func NewMux() *Mux { return &Mux{m: http.NewServeMux()} }

// Handle registers op for pattern.
func (m *Mux) Handle(pattern string, op RESTOp) {
	m.m.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		status, out, err := op(r)
		if err != nil {
			WriteError(w, r, err)
			return
		}
		writeREST(w, r, status, out)
	})
}

func (m *Mux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := m.m.Handler(r); pattern == "" {
		// UNVERIFIED: the code AWS's REST front ends give an unknown route.
		WriteError(w, r, model.NotFound("UnknownOperationException", "No operation matches %s %s", r.Method, r.URL.Path))
		return
	}
	m.m.ServeHTTP(w, r)
}

// writeREST encodes out as JSON (restJson1) or XML (restXml). A nil out
// writes no body.
func writeREST(w http.ResponseWriter, r *http.Request, status int, out any) {
	req := from(r.Context())
	for k, v := range req.header {
		w.Header()[k] = v
	}
	if req.svc.Protocol == RestXML {
		if out == nil {
			w.WriteHeader(status)
			return
		}
		b, err := xml.Marshal(out)
		if err != nil {
			WriteError(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		w.Write([]byte(xml.Header))
		w.Write(b)
		return
	}
	if out == nil {
		w.WriteHeader(status)
		return
	}
	if raw, ok := out.(Raw); ok {
		w.Header().Set("Content-Type", raw.ContentType)
		w.WriteHeader(status)
		w.Write(raw.Body)
		return
	}
	writeJSON(w, status, "application/json", out)
}

// Raw is a REST operation's output that is its payload as is (a blob member
// bound to the body, as API Gateway's GetExport answers), not a JSON shape.
type Raw struct {
	ContentType string
	Body        []byte
}

func writeJSON(w http.ResponseWriter, status int, contentType string, out any) {
	b := []byte("{}")
	if out != nil {
		var err error
		if b, err = json.Marshal(out); err != nil {
			http.Error(w, "encoding the response failed", http.StatusInternalServerError)
			return
		}
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	w.Write(b)
}

// WriteError answers err in the envelope of the request's protocol. A
// *model.Error keeps its status, code and message; an *InputError becomes the
// service's validation error; anything else is an internal failure, logged.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	writeError(w, r, err)
}

func writeError(w http.ResponseWriter, r *http.Request, err error) {
	req := from(r.Context())
	var e *model.Error
	var in *InputError
	switch {
	case errors.As(err, &e):
	case errors.As(err, &in):
		e = in.forService(req.svc)
	default:
		req.log.Error("internal error", "request", req.id, "err", err)
		e = &model.Error{Status: http.StatusInternalServerError, Code: "InternalFailure", Message: "We encountered an internal error. Please try again."}
	}
	switch req.svc.Protocol {
	case RestJSON:
		w.Header().Set("x-amzn-ErrorType", e.Code)
		writeJSON(w, e.Status, "application/json", map[string]string{"message": e.Message})
	case JSON:
		writeJSON(w, e.Status, "application/x-amz-json-1.1", map[string]string{"__type": e.Code, "message": e.Message})
	case EC2:
		writeXMLError(w, e.Status, ec2Error{Code: e.Code, Message: e.Message, RequestID: req.id})
	default: // Query, RestXML
		t := "Sender"
		if e.Status >= 500 {
			t = "Receiver"
		}
		writeXMLError(w, e.Status, queryError{Xmlns: req.svc.XMLNamespace, Type: t, Code: e.Code, Message: e.Message, RequestID: req.id})
	}
}

type queryError struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Xmlns     string   `xml:"xmlns,attr,omitempty"`
	Type      string   `xml:"Error>Type"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	RequestID string   `xml:"RequestId"`
}

type ec2Error struct {
	XMLName   xml.Name `xml:"Response"`
	Code      string   `xml:"Errors>Error>Code"`
	Message   string   `xml:"Errors>Error>Message"`
	RequestID string   `xml:"RequestID"`
}

func writeXMLError(w http.ResponseWriter, status int, v any) {
	b, err := xml.Marshal(v)
	if err != nil {
		http.Error(w, "encoding the response failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	w.Write([]byte(xml.Header))
	w.Write(b)
}

// Epoch is a timestamp as JSON protocols send it: seconds since 1970, with
// fractions.
type Epoch time.Time

// MarshalJSON writes seconds since the epoch.
func (t Epoch) MarshalJSON() ([]byte, error) {
	tt := time.Time(t)
	return []byte(fmt.Sprintf("%.3f", float64(tt.UnixMilli())/1000)), nil
}

// Timestamp formats t as XML protocols send it (ISO 8601, UTC, milliseconds).
func Timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
