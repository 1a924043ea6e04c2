package gateway

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"gatehouse/internal/model"
	"gatehouse/internal/testutil"
)

func TestIsBinaryType(t *testing.T) {
	for _, tt := range []struct {
		name   string
		types  []string
		header string
		want   bool
	}{
		{"exact", []string{"image/png"}, "image/png", true},
		{"case and parameters ignored", []string{"Image/PNG"}, "image/png; charset=binary", true},
		{"subtype wildcard", []string{"image/*"}, "image/jpeg", true},
		{"subtype wildcard other type", []string{"image/*"}, "text/plain", false},
		{"any", []string{"*/*"}, "application/json", true},
		{"no match", []string{"application/octet-stream"}, "application/json", false},
		{"no types", nil, "image/png", false},
		{"no header", []string{"*/*"}, "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := isBinaryType(tt.types, tt.header); got != tt.want {
				t.Errorf("isBinaryType(%q, %q): got %v, want %v", tt.types, tt.header, got, tt.want)
			}
		})
	}
}

// The response table of "Content type conversions in API Gateway".
func TestConvertResponse(t *testing.T) {
	raw, b64 := []byte{0xff, 0x00, 0x80}, []byte("/wCA")
	for _, tt := range []struct {
		name                        string
		body                        []byte
		payloadBinary, acceptBinary bool
		handling                    string
		want                        []byte
	}{
		{"text to text accept passes", b64, false, false, "", b64},
		{"text to binary accept is decoded", b64, false, true, "", raw},
		{"binary to text accept is encoded", raw, true, false, "", b64},
		{"binary to binary accept passes", raw, true, true, "", raw},
		{"CONVERT_TO_TEXT encodes binary", raw, true, true, convertToText, b64},
		{"CONVERT_TO_TEXT leaves text", b64, false, true, convertToText, b64},
		{"CONVERT_TO_BINARY decodes text", b64, false, false, convertToBinary, raw},
		{"CONVERT_TO_BINARY leaves binary", raw, true, false, convertToBinary, raw},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := convertResponse(tt.body, tt.payloadBinary, tt.acceptBinary, tt.handling)
			if !ok || !bytes.Equal(got, tt.want) {
				t.Errorf("got %q ok %v, want %q", got, ok, tt.want)
			}
		})
	}
	if _, ok := convertResponse([]byte("not base64!"), false, false, convertToBinary); ok {
		t.Errorf("decoding text that is not base64: got ok, want a failure")
	}
}

// Binary payloads through an HTTP integration to a real backend: the request
// and response tables, with the conversions a user sets up.
func TestBinaryPayloads(t *testing.T) {
	h := newHarness(t)
	api := h.walkthroughAPI()
	ep := h.endpoint("127.92.61.1:0", "vpce-test")
	b := apiBuilder{h, api}
	root := b.root()
	testutil.Must[*model.RestAPI](t)(h.svc.PatchRestAPI(h.ctx, api, []PatchOperation{
		{Op: "add", Path: "/binaryMediaTypes/image~1*"},
		{Op: "add", Path: "/binaryMediaTypes/application~1octet-stream"},
	}))

	// The backend records the body it got and answers it back, as the type
	// its path names.
	var mu sync.Mutex
	received := map[string][]byte{}
	answerType := map[string]string{"/pass": "image/png", "/totext": "application/json", "/tobinary": "application/octet-stream",
		"/resptotext": "image/png", "/resptobinary": "text/plain"}
	backend := echoBackend(t, "127.0.61.1:0", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		received[r.URL.Path] = body
		mu.Unlock()
		w.Header().Set("Content-Type", answerType[r.URL.Path])
		_, _ = w.Write(body)
	})
	route := func(part, requestHandling, responseHandling string, templates map[string]string) {
		res := b.resource(root, part)
		b.method(res, "POST", model.Integration{Type: "HTTP", HTTPMethod: "POST", URI: "http://" + backend + "/" + part,
			RequestTemplates: templates, ContentHandling: requestHandling}, irSpec{code: "200"})
		testutil.Must[*model.IntegrationResponse](t)(h.svc.PatchIntegrationResponse(h.ctx, api, res, "POST", "200",
			[]PatchOperation{{Op: "replace", Path: "/contentHandling", Value: responseHandling}}))
	}
	route("pass", "", "", nil)
	route("totext", convertToText, "", map[string]string{"image/png": `{"image": "$input.body"}`})
	route("tobinary", convertToBinary, "", nil)
	route("resptotext", "", convertToText, nil)
	route("resptobinary", "", convertToBinary, nil)
	b.deploy(nil)

	png := string([]byte{0x89, 'P', 'N', 'G', 0xff, 0x00, 0xfe, 0x80}) // not UTF-8
	png64 := base64.StdEncoding.EncodeToString([]byte(png))
	for _, tt := range []struct {
		name, path, contentType, accept, body string
		wantBackend, wantBody                 string
	}{
		{name: "binary passes through both ways", path: "/pass", contentType: "image/png", accept: "image/png",
			body: png, wantBackend: png, wantBody: png},
		{name: "CONVERT_TO_TEXT shows base64 in $input.body", path: "/totext", contentType: "image/png", accept: "application/json",
			body: png, wantBackend: `{"image": "` + png64 + `"}`, wantBody: `{"image": "` + png64 + `"}`},
		{name: "CONVERT_TO_BINARY decodes a text request", path: "/tobinary", contentType: "text/plain", accept: "application/octet-stream",
			body: png64, wantBackend: png, wantBody: png},
		{name: "binary response to a text Accept is base64", path: "/pass", contentType: "image/png", accept: "application/json",
			body: png, wantBackend: png, wantBody: png64},
		{name: "integration response CONVERT_TO_TEXT", path: "/resptotext", contentType: "image/png", accept: "image/png",
			body: png, wantBackend: png, wantBody: png64},
		{name: "integration response CONVERT_TO_BINARY", path: "/resptobinary", contentType: "text/plain", accept: "application/json",
			body: png64, wantBackend: png64, wantBody: png},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := h.do(ep, "POST", "https://"+domain+tt.path, "", map[string]string{"Content-Type": tt.contentType, "Accept": tt.accept}, tt.body)
			if got.status != http.StatusOK {
				t.Fatalf("status: got %d, want 200 (body %q)", got.status, got.body)
			}
			mu.Lock()
			gotBackend := received[tt.path]
			mu.Unlock()
			if string(gotBackend) != tt.wantBackend {
				t.Errorf("backend got %q, want %q", gotBackend, tt.wantBackend)
			}
			if got.body != tt.wantBody {
				t.Errorf("caller got %q, want %q", got.body, tt.wantBody)
			}
		})
	}

	// Text that CONVERT_TO_BINARY cannot decode is the integration's failure.
	got := h.do(ep, "POST", "https://"+domain+"/tobinary", "", map[string]string{"Content-Type": "text/plain"}, "not base64!")
	if got.status != http.StatusInternalServerError || got.body != bodyISE {
		t.Errorf("undecodable body: got %d %q, want 500 %q", got.status, got.body, bodyISE)
	}
}

func FuzzIsBinaryType(f *testing.F) {
	for _, s := range []string{"image/png", "image/*; q=0.8", "*/*", "", ";", "a/b/c"} {
		f.Add(s)
	}
	types := []string{"image/*", "application/octet-stream", "*/*"}
	f.Fuzz(func(t *testing.T, header string) {
		mt, _, _ := strings.Cut(header, ";")
		if want := strings.TrimSpace(mt) != ""; isBinaryType(types, header) != want {
			t.Errorf("isBinaryType(*/*, %q): got %v, want %v", header, !want, want)
		}
	})
}

func FuzzConvert(f *testing.F) {
	f.Add([]byte("/wCA"), true, false, "")
	f.Add([]byte{0xff, 0x00}, false, true, convertToBinary)
	f.Add([]byte(" aGk= \n"), false, true, convertToText)
	f.Fuzz(func(t *testing.T, body []byte, payloadBinary, acceptBinary bool, handling string) {
		out, ok := convertResponse(body, payloadBinary, acceptBinary, handling)
		// What is encoded decodes back to the body.
		if ok && payloadBinary && (handling == convertToText || handling == "" && !acceptBinary) {
			back, ok := decodeBase64(out)
			if !ok || !bytes.Equal(back, body) {
				t.Errorf("round trip of %q: got %q ok %v", body, back, ok)
			}
		}
		_, _ = convertRequest(body, payloadBinary, handling)
	})
}

// An OpenAPI definition's x-amazon-apigateway-binary-media-types is the
// API's binaryMediaTypes: set on import, replaced by overwrite, added to by
// merge.
func TestImportBinaryMediaTypes(t *testing.T) {
	h := newHarness(t)
	def := func(types string) []byte {
		return []byte(`{"openapi": "3.0.1", "info": {"title": "bin", "version": "1"}, "paths": {},
			"x-amazon-apigateway-binary-media-types": [` + types + `]}`)
	}
	api, warnings, err := h.svc.ImportRestAPI(h.ctx, ImportInput{Body: def(`"image/png", "*/*"`), FailOnWarnings: true})
	if err != nil {
		t.Fatalf("import: %v (warnings %q)", err, warnings)
	}
	for _, tt := range []struct {
		name, mode, types string
		want              []string
	}{
		{"imported", "", "", []string{"image/png", "*/*"}},
		{"merge adds", "merge", `"image/png", "application/pdf"`, []string{"image/png", "*/*", "application/pdf"}},
		{"overwrite replaces", "overwrite", `"text/csv"`, []string{"text/csv"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.mode != "" {
				if _, _, err := h.svc.PutRestAPI(h.ctx, api.ID, def(tt.types), tt.mode, true); err != nil {
					t.Fatalf("put %s: %v", tt.mode, err)
				}
			}
			got := testutil.Must[*model.RestAPI](t)(h.svc.GetRestAPI(h.ctx, api.ID)).BinaryMediaTypes
			if !slices.Equal(got, tt.want) {
				t.Errorf("binaryMediaTypes: got %q, want %q", got, tt.want)
			}
		})
	}
}
