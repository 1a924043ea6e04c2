package gateway

import (
	"encoding/base64"
	"strings"
)

// Binary payloads ("Content type conversions in API Gateway"): a payload is
// binary when its media type matches one of the API's binaryMediaTypes; an
// integration's contentHandling (request) or an integration response's
// (response) says whether it is turned into base64 text or back into bytes
// on its way through. Empty contentHandling passes the payload as it came.

// contentHandling values.
const (
	convertToBinary = "CONVERT_TO_BINARY"
	convertToText   = "CONVERT_TO_TEXT"
)

// isBinaryType reports whether a Content-Type or Accept item's media type
// matches one of types: exactly, "type/*" for any subtype, "*/*" for all.
// Matching ignores case and parameters; an absent header matches nothing, so
// a request without a Content-Type is text as on AWS (AWS's handling of an
// absent header with "*/*" is not documented; not recorded from AWS (searched: docs, issues, moto, LocalStack; 2026-12)).
func isBinaryType(types []string, header string) bool {
	mt, _, _ := strings.Cut(header, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	if mt == "" || len(types) == 0 {
		return false
	}
	major, _, _ := strings.Cut(mt, "/")
	for _, t := range types {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "*/*" || t == mt {
			return true
		}
		if tm, ok := strings.CutSuffix(t, "/*"); ok && tm == major {
			return true
		}
	}
	return false
}

// convertRequest is the integration request payload for the method request's
// body (the request table): a binary body is base64-encoded under
// CONVERT_TO_TEXT, a text body base64-decoded under CONVERT_TO_BINARY, and
// everything else passes as is. ok is false when the text to decode is not
// base64.
func convertRequest(body []byte, binary bool, handling string) (out []byte, ok bool) {
	switch {
	case handling == convertToText && binary:
		return encodeBase64(body), true
	case handling == convertToBinary && !binary:
		return decodeBase64(body)
	}
	return body, true
}

// convertResponse is the method response payload for the integration's body
// (the response table): payloadBinary says the integration answered a binary
// media type, acceptBinary that the caller's first Accept type is one.
// Without contentHandling the payload follows the caller: binary is
// base64-encoded for a text Accept, text decoded for a binary Accept.
func convertResponse(body []byte, payloadBinary, acceptBinary bool, handling string) (out []byte, ok bool) {
	toText := payloadBinary && (handling == convertToText || (handling == "" && !acceptBinary))
	toBinary := !payloadBinary && (handling == convertToBinary || (handling == "" && acceptBinary))
	switch {
	case toText:
		return encodeBase64(body), true
	case toBinary:
		return decodeBase64(body)
	}
	return body, true
}

func encodeBase64(b []byte) []byte {
	out := make([]byte, base64.StdEncoding.EncodedLen(len(b)))
	base64.StdEncoding.Encode(out, b)
	return out
}

// decodeBase64 accepts standard base64 with or without padding, around
// whitespace a text body often ends with.
func decodeBase64(b []byte) ([]byte, bool) {
	s := strings.TrimSpace(string(b))
	enc := base64.StdEncoding
	if len(s)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	out, err := enc.DecodeString(s)
	return out, err == nil
}
