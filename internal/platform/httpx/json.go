package httpx

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// MaxJSONBody is the default limit on a JSON request body.
const MaxJSONBody = 1 << 20

// Decode reads a JSON body into v strictly: the content type must be JSON,
// the body at most max bytes (0: MaxJSONBody), with no unknown fields and
// nothing after the value. Errors say exactly what is wrong.
func Decode(w http.ResponseWriter, r *http.Request, v any, max int64) error {
	const op = "decode request"
	if max <= 0 {
		max = MaxJSONBody
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return errs.E(errs.Unsupported, op, "send the body as application/json (got %q)", ct)
		}
	} else {
		return errs.E(errs.Unsupported, op, "send the body as application/json (Content-Type is missing)")
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, max))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err, max)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return jsonError(err, max)
		}
		return errs.E(errs.Invalid, op, "the body must hold a single JSON value")
	}
	return nil
}

func jsonError(err error, max int64) error {
	const op = "decode request"
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return errs.E(errs.TooLarge, op, "the body is larger than %d bytes", max)
	case errors.As(err, &syn):
		return errs.E(errs.Invalid, op, "the body is not valid JSON (at byte %d)", syn.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errs.E(errs.Invalid, op, "the body ends in the middle of a JSON value")
	case errors.Is(err, io.EOF):
		return errs.E(errs.Invalid, op, "the body is empty; send a JSON object")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(body)"
		}
		return &errs.Error{Kind: errs.Invalid, Op: op, Message: "some fields have the wrong type",
			Fields: map[string]string{field: fmt.Sprintf("must be %s, not %s", jsonType(typ.Type.Kind().String()), typ.Value)}}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &errs.Error{Kind: errs.Invalid, Op: op, Message: "the body has a field this endpoint does not take",
			Fields: map[string]string{name: "is not a known field"}}
	}
	return errs.E(errs.Invalid, op, "the body is not valid JSON")
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64":
		return "a number"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	}
	return kind
}

// JSON writes v as a JSON response with the given status.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	if w.Header().Get("Cache-Control") == "" {
		w.Header().Set("Cache-Control", "no-store")
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
