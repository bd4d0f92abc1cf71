package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"campus/internal/messages"
	"campus/internal/problem"
	"campus/internal/rest"
)

// maxMessageBody bounds the JSON body of a message's text: JSON may
// write each byte of the text as six (\u0001, RFC 8259 section 7), so
// the largest valid text takes 6 × messages.MaxTextBytes, beyond
// rest.MaxBody; the other fields get rest.MaxBody besides.
const maxMessageBody = 6*messages.MaxTextBytes + rest.MaxBody

// decodeMessage is rest.Decode for the bodies that carry a message's
// text (send, edit), up to maxMessageBody. A body larger than
// rest.MaxBody is checked by rest.Decode without its text, which is
// read here into *text; so every other field is still checked as
// everywhere else.
func decodeMessage(w http.ResponseWriter, r *http.Request, dst any, text *string, refused map[string]string) bool {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/json" && ct != "application/merge-patch+json" {
		return rest.Decode(w, r, dst, refused) // which refuses the type
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxMessageBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		problem.Write(w, problem.Details{Status: http.StatusRequestEntityTooLarge, Detail: fmt.Sprintf("The body may be at most %d KiB.", maxMessageBody>>10)})
		return false
	}
	if err != nil {
		problem.Write(w, problem.Details{Status: http.StatusBadRequest, Detail: "The body could not be read."})
		return false
	}
	var long *string
	if len(body) > rest.MaxBody {
		var fields map[string]json.RawMessage
		err := json.Unmarshal(body, &fields)
		var syn *json.SyntaxError
		switch {
		case errors.As(err, &syn):
			problem.Write(w, problem.Details{Status: http.StatusBadRequest, Title: "Malformed JSON",
				Detail: fmt.Sprintf("The body must be one JSON object: %v (at byte %d)", syn, syn.Offset)})
			return false
		case err != nil || fields == nil:
			problem.Write(w, problem.Details{Status: http.StatusBadRequest, Title: "Malformed JSON", Detail: "The body must be one JSON object: it is not an object"})
			return false
		}
		var t string
		if raw, ok := fields["text"]; ok && json.Unmarshal(raw, &t) == nil {
			long = &t
			delete(fields, "text")
			body, _ = json.Marshal(fields)
		}
		// Anything else this large is refused by rest.Decode (413).
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if !rest.Decode(w, r, dst, refused) {
		return false
	}
	if long != nil {
		*text = *long
	}
	return true
}
