package graph

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"onramp/graph/generated"
	"onramp/internal/validate"
)

// Inputs PostgreSQL cannot store (a NUL byte, invalid UTF-8) and text no
// field of Onramp accepts (control characters) are refused here, at the
// edge, once for every operation: a resolver never sees them, so no query
// carries them and no error about them is logged as a failure.
//
//   - invalid UTF-8 in a request body or a GET query: a top-level
//     BAD_USER_INPUT with HTTP 400, before the body is decoded (Go's JSON
//     decoder would silently turn it into U+FFFD);
//   - a control character (Unicode Cc: NUL, tab, line breaks, DEL, C1) in
//     any string argument: the userError INVALID with the argument's path
//     when the field's payload has userErrors, else a top-level
//     BAD_USER_INPUT whose extensions.field is that path;
//   - ids are parsed strictly by gid.ID's UnmarshalGQL.

// controlMessage is the userError's message for a control character.
const controlMessage = "Remove the control characters (such as NUL, tab or a line break): this field takes one line of text."

// payloadTypes maps the lower-case name of every Query and Mutation field
// whose payload has userErrors to the payload's type, read from the
// generated resolver interfaces.
var payloadTypes = func() map[string]reflect.Type {
	problems := reflect.TypeFor[[]*validate.Problem]()
	out := map[string]reflect.Type{}
	for _, iface := range []reflect.Type{
		reflect.TypeFor[generated.MutationResolver](),
		reflect.TypeFor[generated.QueryResolver](),
	} {
		for m := range iface.Methods() {
			if m.Type.NumOut() != 2 {
				continue
			}
			t := m.Type.Out(0)
			if t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
				continue
			}
			if f, ok := t.Elem().FieldByName("UserErrors"); ok && f.Type == problems {
				out[strings.ToLower(m.Name)] = t
			}
		}
	}
	return out
}()

// refuseControlCharacters is the field middleware that refuses a control
// character in any string argument before the resolver runs.
func refuseControlCharacters(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil || len(fc.Field.Arguments) == 0 {
		return next(ctx)
	}
	var vars map[string]any
	if oc := graphql.GetOperationContext(ctx); oc != nil {
		vars = oc.Variables
	}
	for _, arg := range fc.Field.Arguments {
		v, err := arg.Value.Value(vars)
		if err != nil {
			continue // gqlgen has refused it already
		}
		path := controlPath(v, []string{arg.Name}, 0)
		if path == nil {
			continue
		}
		if fc.Object == "Mutation" || fc.Object == "Query" {
			if t, ok := payloadTypes[strings.ToLower(fc.Field.Name)]; ok {
				p := reflect.New(t.Elem())
				p.Elem().FieldByName("UserErrors").Set(reflect.ValueOf([]*validate.Problem{{
					Field: path, Code: validate.CodeInvalid, Message: controlMessage,
				}}))
				return p.Interface(), nil
			}
		}
		e := gqlerror.ErrorPathf(fc.Path(), "%s must not contain control characters (such as NUL, tab or a line break)", strings.Join(path, "."))
		e.Extensions = map[string]any{"code": CodeBadRequest, "field": path}
		return nil, e
	}
	return next(ctx)
}

// controlPath returns the path of the first string in v (an argument's
// value: strings, lists and input objects) holding a control character,
// or nil.
func controlPath(v any, path []string, depth int) []string {
	if depth > 32 {
		return nil
	}
	switch x := v.(type) {
	case string:
		if hasControl(x) {
			return path
		}
	case []any:
		for i, e := range x {
			if p := controlPath(e, append(slices.Clip(path), strconv.Itoa(i)), depth+1); p != nil {
				return p
			}
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys) // the same input always names the same field
		for _, k := range keys {
			if p := controlPath(x[k], append(slices.Clip(path), k), depth+1); p != nil {
				return p
			}
		}
	}
	return nil
}

// hasControl reports whether s holds a Unicode control character (Cc).
func hasControl(s string) bool {
	for i := range len(s) {
		if b := s[i]; b < 0x20 || b == 0x7f {
			return true
		} else if b >= utf8.RuneSelf {
			// Rarer: C1 controls (U+0080–U+009F) are two bytes.
			for _, r := range s[i:] {
				if unicode.Is(unicode.Cc, r) {
					return true
				}
			}
			return false
		}
	}
	return false
}

// errInvalidUTF8 ends the reading of a body that is not UTF-8.
var errInvalidUTF8 = errors.New("request body is not valid UTF-8")

// utf8Stream checks a body's bytes as they are read, so that the JSON
// decoder fails on invalid UTF-8 instead of decoding it as U+FFFD. A
// sequence cut between two reads is carried into the next one.
type utf8Stream struct {
	carry   [utf8.UTFMax]byte
	carried int
}

// check validates chunk, which follows the carried bytes; at the end
// nothing may be left incomplete.
func (u *utf8Stream) check(chunk []byte, end bool) bool {
	if u.carried > 0 {
		// Complete the carried sequence with the chunk's first bytes.
		var head [utf8.UTFMax]byte
		n := copy(head[:], u.carry[:u.carried])
		n += copy(head[n:], chunk)
		if !utf8.FullRune(head[:n]) {
			if end {
				return false
			}
			u.carried = copy(u.carry[:], head[:n])
			return true
		}
		r, size := utf8.DecodeRune(head[:n])
		if r == utf8.RuneError && size == 1 {
			return false
		}
		chunk = chunk[size-u.carried:]
		u.carried = 0
	}
	// Hold back an incomplete sequence at the end of the chunk.
	tail := 0
	for i := len(chunk) - 1; i >= 0 && i >= len(chunk)-utf8.UTFMax; i-- {
		if utf8.RuneStart(chunk[i]) {
			if !utf8.FullRune(chunk[i:]) {
				tail = len(chunk) - i
			}
			break
		}
	}
	if !utf8.Valid(chunk[:len(chunk)-tail]) {
		return false
	}
	if tail > 0 {
		if end {
			return false
		}
		u.carried = copy(u.carry[:], chunk[len(chunk)-tail:])
	}
	return true
}

// validQuery reports whether every key and value of a GET request's query
// string is UTF-8.
func validQuery(r *http.Request) bool {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return true // gqlgen answers a malformed query string itself
	}
	for k, vs := range q {
		if !utf8.ValidString(k) {
			return false
		}
		for _, v := range vs {
			if !utf8.ValidString(v) {
				return false
			}
		}
	}
	return true
}

// notUTF8 is the answer to a request that is not UTF-8.
const notUTF8 = `{"errors":[{"message":"the request is not valid UTF-8","extensions":{"code":"BAD_USER_INPUT"}}]}`
