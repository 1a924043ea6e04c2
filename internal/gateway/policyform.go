package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"gatehouse/internal/model"
)

// How API Gateway keeps a resource policy (aws-behaviors §A7): the short
// resource form "execute-api:/stage/VERB/path", which policies are written in
// because the API id does not exist yet when they are, is expanded on save to
// the API's execution ARN "arn:aws:execute-api:REGION:ACCOUNT:API-ID/stage/…"
// (a textual replacement of the prefix, in Resource and NotResource only),
// and the document is kept compact. GetRestApi then returns that text with
// every quote escaped ("{\"Version\":…"), which clients such as Terraform
// unescape; WirePolicy does that on the way out.

// ExpandPolicy returns doc compacted, with the short resource form expanded
// for the API apiID. Keys keep their order. doc must be valid JSON (the
// policy parser has accepted it).
func ExpandPolicy(doc string, env model.Env, apiID string) (string, error) {
	if doc == "" {
		return "", nil
	}
	arn := "arn:aws:execute-api:" + env.Region + ":" + env.Account + ":" + apiID
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := rewriteValue(dec, &out, enc, arn, false); err != nil {
		return "", err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return "", errors.New("policy: trailing data")
	}
	return out.String(), nil
}

// rewriteValue copies one JSON value from dec to out; inResource says it is
// (part of) a Resource or NotResource value, whose strings get expanded.
func rewriteValue(dec *json.Decoder, out *bytes.Buffer, enc *json.Encoder, arn string, inResource bool) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{':
			out.WriteByte('{')
			for i := 0; dec.More(); i++ {
				if i > 0 {
					out.WriteByte(',')
				}
				key, err := dec.Token()
				if err != nil {
					return err
				}
				k, _ := key.(string)
				if err := writeJSON(out, enc, k); err != nil {
					return err
				}
				out.WriteByte(':')
				if err := rewriteValue(dec, out, enc, arn, k == "Resource" || k == "NotResource"); err != nil {
					return err
				}
			}
			out.WriteByte('}')
		case '[':
			out.WriteByte('[')
			for i := 0; dec.More(); i++ {
				if i > 0 {
					out.WriteByte(',')
				}
				if err := rewriteValue(dec, out, enc, arn, inResource); err != nil {
					return err
				}
			}
			out.WriteByte(']')
		}
		_, err := dec.Token() // the closing delimiter
		return err
	case string:
		if rest, ok := strings.CutPrefix(v, "execute-api:"); ok && inResource {
			v = arn + rest
		}
		return writeJSON(out, enc, v)
	default: // json.Number, bool, nil
		return writeJSON(out, enc, v)
	}
}

// writeJSON appends v's JSON without the encoder's trailing newline.
func writeJSON(out *bytes.Buffer, enc *json.Encoder, v any) error {
	if err := enc.Encode(v); err != nil {
		return err
	}
	out.Truncate(out.Len() - 1)
	return nil
}

// WirePolicy is a stored policy as GetRestApi returns it: every quote
// escaped with a backslash, as AWS's own responses carry it.
func WirePolicy(stored string) string { return strings.ReplaceAll(stored, `"`, `\"`) }
