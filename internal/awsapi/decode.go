package awsapi

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"gatehouse/internal/model"
)

// InputError is a request the service cannot take: undecodable bytes, a value
// of the wrong type, or required members missing. WriteError turns it into the
// service's own validation error.
type InputError struct {
	Malformed string   // why the bytes do not decode; empty when they do
	Missing   []string // wire names of required members that are absent
}

func (e *InputError) Error() string {
	if e.Malformed != "" {
		return e.Malformed
	}
	return "missing " + strings.Join(e.Missing, ", ")
}

// forService names the failure as the service does: Coral's "N validation
// errors detected" for missing members, EC2's MissingParameter, and
// SerializationException for JSON that does not parse.
func (e *InputError) forService(svc *Service) *model.Error {
	if e.Malformed != "" {
		code := svc.BadInput
		if svc.Protocol == JSON {
			code = "SerializationException"
		}
		return model.BadRequest(code, "%s", e.Malformed)
	}
	if svc.Protocol == EC2 {
		return model.BadRequest("MissingParameter", "The request must contain the parameter %s", e.Missing[0])
	}
	var parts []string
	for _, m := range e.Missing {
		parts = append(parts, fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", lowerFirst(m)))
	}
	n := fmt.Sprintf("%d validation error detected: ", len(parts))
	if len(parts) > 1 {
		n = fmt.Sprintf("%d validation errors detected: ", len(parts))
	}
	return model.BadRequest(svc.BadInput, "%s", n+strings.Join(parts, "; "))
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// DecodeJSON decodes a JSON body into v (an empty body is {}) and checks
// the fields tagged `required:"true"`.
func DecodeJSON(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, v); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				return &InputError{Malformed: fmt.Sprintf("Unexpected %s at '%s'", te.Value, te.Field)}
			}
			return &InputError{Malformed: "Request body is not valid JSON: " + err.Error()}
		}
	}
	return checkRequired(v, "json")
}

// DecodeXML decodes an XML body into v and checks required fields.
func DecodeXML(body []byte, v any) error {
	if err := xml.Unmarshal(body, v); err != nil {
		return &InputError{Malformed: "Could not parse the request body: " + err.Error()}
	}
	return checkRequired(v, "xml")
}

// DecodeQuery decodes awsQuery parameters into v: field tag `query:"Name"`,
// lists as Name.member.N, structures as Name.Field.
func DecodeQuery(form url.Values, v any) error { return decodeForm(form, v, ".member.") }

// DecodeEC2 decodes ec2Query parameters into v: lists as Name.N.
func DecodeEC2(form url.Values, v any) error { return decodeForm(form, v, ".") }

// maxListItems bounds every list a form can carry.
const maxListItems = 1000

func decodeForm(form url.Values, v any, listSep string) error {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	d := formDecoder{form: form, keys: keys, listSep: listSep}
	if err := d.decode("", reflect.ValueOf(v).Elem()); err != nil {
		return err
	}
	return checkRequired(v, "query")
}

type formDecoder struct {
	form    url.Values
	keys    []string // sorted, for prefix lookups
	listSep string
}

// has reports whether any parameter is name or lies under name.
func (d *formDecoder) has(name string) bool {
	if _, ok := d.form[name]; ok {
		return true
	}
	i := sort.SearchStrings(d.keys, name+".")
	return i < len(d.keys) && strings.HasPrefix(d.keys[i], name+".")
}

func (d *formDecoder) decode(name string, v reflect.Value) error {
	switch v.Kind() {
	case reflect.Pointer:
		if !d.has(name) {
			return nil
		}
		p := reflect.New(v.Type().Elem())
		if err := d.decode(name, p.Elem()); err != nil {
			return err
		}
		v.Set(p)
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("query")
			if f.Anonymous && tag == "" && f.Type.Kind() == reflect.Struct {
				// An embedded structure's members are the outer one's.
				if err := d.decode(name, v.Field(i)); err != nil {
					return err
				}
				continue
			}
			if tag == "" || tag == "-" {
				continue
			}
			field := tag
			if name != "" {
				field = name + "." + tag
			}
			if err := d.decode(field, v.Field(i)); err != nil {
				return err
			}
		}
	case reflect.Slice:
		for n := 1; ; n++ {
			item := fmt.Sprintf("%s%s%d", name, d.listSep, n)
			if !d.has(item) {
				break
			}
			if n > maxListItems {
				return &InputError{Malformed: fmt.Sprintf("Value at '%s' has more than %d items", name, maxListItems)}
			}
			e := reflect.New(v.Type().Elem()).Elem()
			if err := d.decode(item, e); err != nil {
				return err
			}
			v.Set(reflect.Append(v, e))
		}
	default:
		s, ok := d.form[name]
		if !ok {
			return nil
		}
		return setScalar(v, name, s[0])
	}
	return nil
}

func setScalar(v reflect.Value, name, s string) error {
	bad := func(want string) error {
		return &InputError{Malformed: fmt.Sprintf("Value '%s' at '%s' is not a valid %s", s, name, want)}
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return bad("boolean")
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, v.Type().Bits())
		if err != nil {
			return bad("integer")
		}
		v.SetInt(n)
	default:
		return fmt.Errorf("awsapi: cannot decode into %s", v.Type())
	}
	return nil
}

// checkRequired reports the fields tagged `required:"true"` that are nil,
// empty or zero, named by their wire name (the tagKey tag).
func checkRequired(v any, tagKey string) error {
	var missing []string
	walkRequired(reflect.ValueOf(v), tagKey, &missing)
	if len(missing) > 0 {
		return &InputError{Missing: missing}
	}
	return nil
}

func walkRequired(v reflect.Value, tagKey string, missing *[]string) {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			walkRequired(v.Index(i), tagKey, missing)
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() && !f.Anonymous {
				continue
			}
			if f.Tag.Get("required") == "true" && v.Field(i).IsZero() {
				name, _, _ := strings.Cut(f.Tag.Get(tagKey), ",")
				if i := strings.LastIndex(name, ">"); i >= 0 {
					name = name[i+1:]
				}
				if name == "" {
					name = f.Name
				}
				*missing = append(*missing, name)
				continue
			}
			walkRequired(v.Field(i), tagKey, missing)
		}
	}
}
