package awsapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"gatehouse/internal/model"
)

// Protocol is an AWS wire protocol, as the service models name them.
type Protocol int

// The protocols gatehouse speaks.
const (
	RestJSON Protocol = iota + 1 // restJson1: apigateway
	JSON                         // awsJson1.1: globalaccelerator, acm
	Query                        // awsQuery: elasticloadbalancing, sts
	EC2                          // ec2Query: ec2
	RestXML                      // restXml: route53
)

// Service is one AWS service's wire mapping.
type Service struct {
	// Name is the SigV4 signing name, e.g. "elasticloadbalancing".
	Name     string
	Protocol Protocol
	// BadInput is the error code for a request the service cannot decode or
	// that lacks a required member, e.g. "ValidationException".
	BadInput string
	// Markers find the service of a request that carries no credential scope,
	// so that even an unsigned request is refused in the service's own envelope.
	TargetPrefix string   // JSON: X-Amz-Target is "<TargetPrefix>.<Operation>"
	Version      string   // Query, EC2: the Version= parameter, e.g. "2015-12-01"
	PathPrefixes []string // RestJSON, RestXML: e.g. "/restapis"
	// XMLNamespace is the xmlns of Query, EC2 and RestXML responses and errors.
	XMLNamespace string
	// SigningRegions are regions a client may sign for besides the server's
	// own: a global service's (Route 53, STS: us-east-1) or the one region of
	// a service's control plane (Global Accelerator: us-west-2).
	SigningRegions []string
	// Handler serves a verified request; see JSONOps, QueryOps and Mux.
	Handler http.Handler
	// BodyLimit, when set, may raise the body bound (maxBody) for one
	// request (API Gateway's 6 MB OpenAPI imports): the bound it returns
	// and the error a body over it gets (nil: RequestEntityTooLarge). It
	// sees the request before its body is read past maxBody, so every
	// other request keeps the listener's bound.
	BodyLimit func(r *http.Request) (limit int, tooLarge error)
}

// Limits on what a client can make the server hold.
const (
	maxBody   = 2 << 20 // the largest request body: certificate imports fit
	maxHeader = 64 << 10
)

// Server is the endpoint: it authenticates requests and dispatches them.
type Server struct {
	region   string            // the region every resource lives in
	keys     map[string]string // access key id → secret
	services map[string]*Service
	list     []*Service
	log      *slog.Logger
	now      func() time.Time
}

// NewServer returns a server for region that accepts requests signed with
// keys (access key id → secret access key) for the given services, logging
// to log (nil discards, as every service's Deps.Log).
func NewServer(region string, keys map[string]string, log *slog.Logger, services ...*Service) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{region: region, keys: keys, services: map[string]*Service{}, log: log, now: time.Now}
	for _, svc := range services {
		s.services[svc.Name] = svc
		s.list = append(s.list, svc)
	}
	return s
}

// Serve answers on l until ctx ends.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    maxHeader,
	}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("aws api: %w", err)
	}
	return nil
}

type ctxKey int

const requestKey ctxKey = 0

// request is what the core learned about a request before the service sees it.
type request struct {
	id      string
	svc     *Service
	body    []byte
	form    url.Values  // Query and EC2 parameters
	formErr error       // why a form body did not parse
	header  http.Header // response headers a REST operation sets (SetHeader)
	log     *slog.Logger
}

func from(ctx context.Context) *request {
	r, _ := ctx.Value(requestKey).(*request)
	if r == nil {
		return &request{svc: &Service{Protocol: JSON, BadInput: "ValidationException"}, log: slog.New(slog.DiscardHandler)}
	}
	return r
}

// SetHeader sets a response header from a REST operation, for the members a
// service binds to headers (Route 53's Location).
func SetHeader(r *http.Request, key, value string) {
	req := from(r.Context())
	if req.header == nil {
		req.header = http.Header{}
	}
	req.header.Set(key, value)
}

// Body is the request's body; the core has read it whole (within a limit).
func Body(r *http.Request) []byte { return from(r.Context()).body }

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := &request{id: model.UUID(), log: s.log}
	w.Header().Set("x-amzn-RequestId", req.id)
	ctx := context.WithValue(r.Context(), requestKey, req)
	r = r.WithContext(ctx)

	rawBody := r.Body
	body, err := io.ReadAll(io.LimitReader(rawBody, maxBody+1))
	if err != nil {
		return // the client went away or timed out mid-body: nobody to answer
	}
	req.body = body
	r.Body = io.NopCloser(bytes.NewReader(body))
	// The parameters of a Query request are in the body or the query string.
	req.form = r.URL.Query()
	if ct := r.Header.Get("Content-Type"); r.Method == http.MethodPost && strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		if req.form, req.formErr = url.ParseQuery(string(body)); req.formErr != nil {
			// Query and EC2 answer it as malformed input; the markers still
			// find the service from what did parse.
			req.formErr = &InputError{Malformed: "The request body is not a valid form: " + req.formErr.Error()}
		}
	}

	sig, authErr := parseSignature(r)
	req.svc = s.identify(r, sig, req.form)
	if req.svc == nil {
		req.svc = &Service{Protocol: RestJSON}
		writeError(w, r, model.Errorf(http.StatusNotFound, "UnknownOperationException", "gatehouse serves no AWS service for this request"))
		return
	}
	if len(body) > maxBody {
		var ok bool
		if body, ok = s.readLargeBody(w, r, rawBody, body); !ok {
			return
		}
		req.body = body
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	if authErr == nil {
		authErr = s.verify(r, body, sig, req.svc)
	}
	if authErr != nil {
		writeError(w, r, authErr.forProtocol(req.svc.Protocol))
		return
	}
	req.svc.Handler.ServeHTTP(w, r)
}

// identify finds the API the request calls. The protocol's markers
// (X-Amz-Target, Action+Version, the REST path) name it, as the host name does
// at AWS; the credential scope only breaks ties: a scoped service whose own
// markers match wins over another service's, and a request no marker claims
// goes to the scoped service (whose handler then names the unknown operation).
// When the scope names another service than the one returned, verify refuses
// it ("Credential should be scoped to correct service").
func (s *Server) identify(r *http.Request, sig *signature, form url.Values) *Service {
	var scoped *Service
	if sig != nil {
		scoped = s.services[sig.Credential.Service]
	}
	if scoped != nil && scoped.marks(r, form) {
		return scoped
	}
	for _, svc := range s.list {
		if svc.marks(r, form) {
			return svc
		}
	}
	return scoped
}

// marks reports whether the request carries svc's protocol markers.
func (svc *Service) marks(r *http.Request, form url.Values) bool {
	switch svc.Protocol {
	case JSON:
		target := r.Header.Get("X-Amz-Target")
		return target != "" && strings.HasPrefix(target, svc.TargetPrefix+".")
	case Query, EC2:
		return form.Get("Action") != "" && form.Get("Version") == svc.Version
	case RestJSON, RestXML:
		for _, p := range svc.PathPrefixes {
			if strings.HasPrefix(r.URL.Path, p) {
				return true
			}
		}
	}
	return false
}
