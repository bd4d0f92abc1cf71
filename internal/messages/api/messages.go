package api

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"campus/internal/messages"
	"campus/internal/messages/store"
	"campus/internal/problem"
	"campus/internal/rest"
)

// history lists a conversation's messages newest first, a page at a
// time; with after=, the messages after that one, oldest first (a client
// catching up).
func (s *server) history(w http.ResponseWriter, r *http.Request, p *Principal) {
	q := rest.NewQuery(r)
	q.Only("limit", "cursor", "after", "key")
	pg := page(q)
	after := q.Get("after")
	if after != "" && pg.Cursor != "" {
		q.Invalid("after", "Use after or cursor, not both.")
	}
	if q.Answer(w) {
		return
	}
	id := r.PathValue("id")
	var out list[messageJSON]
	if after != "" {
		limit := pg.Limit
		if limit == 0 {
			limit = 100
		}
		ms, err := s.store.MessagesAfter(r.Context(), p.Subject, id, after, limit)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		out.Items = messagesOut(ms)
	} else {
		ms, next, err := s.store.History(r.Context(), p.Subject, id, pg)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		out = list[messageJSON]{Items: messagesOut(ms), Next: next}
	}
	rest.Reply(w, http.StatusOK, 0, out)
}

// maxMentions is how many people one message may mention (the store
// keeps no more).
const maxMentions = 100

type newMessageJSON struct {
	Text     string   `json:"text"`
	ReplyTo  string   `json:"reply_to"`
	Mentions []string `json:"mentions"`
}

// send adds a message: JSON, or multipart/form-data with files
// (RFC 7578) in "attachment" parts.
func (s *server) send(w http.ResponseWriter, r *http.Request, p *Principal) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var nm store.NewMessage
	if ct == "multipart/form-data" {
		var ok bool
		if nm, ok = readMultipart(w, r); !ok {
			return
		}
	} else {
		var in newMessageJSON
		if !decodeMessage(w, r, &in, &in.Text, map[string]string{"attachments": "Send files as multipart/form-data, in parts named attachment."}) {
			return
		}
		nm = store.NewMessage{Text: in.Text, ReplyTo: in.ReplyTo, Mentions: in.Mentions}
	}
	var errs []problem.FieldError
	if !utf8.ValidString(nm.Text) || strings.ContainsRune(nm.Text, 0) {
		errs = append(errs, problem.FieldError{Field: "text", Detail: "The text must be UTF-8 without NUL characters."})
	}
	if len(nm.Text) > messages.MaxTextBytes {
		errs = append(errs, problem.FieldError{Field: "text", Detail: fmt.Sprintf("A message may have at most %d KiB of text.", messages.MaxTextBytes>>10)})
	}
	if strings.TrimSpace(nm.Text) == "" && len(nm.Attachments) == 0 {
		errs = append(errs, problem.FieldError{Field: "text", Detail: "Write something, or send a file."})
	}
	if len(nm.ReplyTo) > 100 {
		errs = append(errs, problem.FieldError{Field: "reply_to", Detail: "Name the message answered by its id."})
	}
	if len(nm.Mentions) > maxMentions {
		errs = append(errs, problem.FieldError{Field: "mentions", Detail: fmt.Sprintf("A message may mention at most %d people.", maxMentions)})
	}
	if errs != nil {
		rest.Invalid(w, errs...)
		return
	}
	id := r.PathValue("id")
	// Mentions of people who are not members are dropped by the store: a
	// mention notifies, and nobody outside may hear of a conversation.
	m, err := s.store.Send(r.Context(), p.Subject, id, nm)
	if errors.Is(err, messages.ErrNotFound) && nm.ReplyTo != "" {
		// The conversation's, or the message answered? Only a member
		// learns which.
		if member, merr := s.store.IsMember(r.Context(), p.Subject, id); merr == nil && member {
			rest.Invalid(w, problem.FieldError{Field: "reply_to", Detail: "There is no such message in this conversation."})
			return
		}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rest.Reply(w, http.StatusCreated, 0, messageOut(m))
}

// multipartSlack is room for the parts' headers and the text fields
// beyond the files' own bytes.
const multipartSlack = 1 << 20

// readMultipart reads a message sent as multipart/form-data, holding at
// most messages.MaxMessageBytes of files (and a little more for the rest)
// in memory: each file is cut off one byte past its limit, so an
// oversized one is refused without reading it all.
func readMultipart(w http.ResponseWriter, r *http.Request) (store.NewMessage, bool) {
	var nm store.NewMessage
	r.Body = http.MaxBytesReader(w, r.Body, messages.MaxMessageBytes+multipartSlack)
	mr, err := r.MultipartReader()
	if err != nil {
		problem.Write(w, problem.Details{Status: http.StatusBadRequest, Detail: "The body is not valid multipart/form-data."})
		return nm, false
	}
	var total int64
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			tooLarge(w, err)
			return nm, false
		}
		name := part.FormName()
		if name == "attachment" {
			if len(nm.Attachments) == messages.MaxAttachments {
				problem.Write(w, problem.Details{Status: http.StatusRequestEntityTooLarge,
					Detail: fmt.Sprintf("A message may carry at most %d files.", messages.MaxAttachments)})
				return nm, false
			}
			filename := cleanFilename(part.FileName())
			data, err := io.ReadAll(io.LimitReader(part, messages.MaxAttachmentBytes+1))
			if err != nil {
				tooLarge(w, err)
				return nm, false
			}
			if len(data) > messages.MaxAttachmentBytes {
				problem.Write(w, problem.Details{Status: http.StatusRequestEntityTooLarge,
					Detail: fmt.Sprintf("The file %q is larger than %d MB, the most a file may have.", filename, messages.MaxAttachmentBytes>>20)})
				return nm, false
			}
			total += int64(len(data))
			if total > messages.MaxMessageBytes {
				problem.Write(w, problem.Details{Status: http.StatusRequestEntityTooLarge,
					Detail: fmt.Sprintf("The files of a message may have at most %d MB together.", messages.MaxMessageBytes>>20)})
				return nm, false
			}
			if len(data) == 0 {
				problem.Write(w, problem.Details{Status: http.StatusUnprocessableEntity, Title: "Empty file",
					Detail: fmt.Sprintf("The file %q is empty.", filename)})
				return nm, false
			}
			typ, ok := allowedType(filename, data)
			if !ok {
				problem.Write(w, problem.Details{Status: http.StatusUnsupportedMediaType, Title: "File type not allowed",
					Detail: fmt.Sprintf("The file %q cannot be sent: allowed are images (PNG, JPEG, GIF, WebP), PDF, text, CSV, ZIP and office documents, with a matching extension.", filename)})
				return nm, false
			}
			nm.Attachments = append(nm.Attachments, messages.NewAttachment{Name: filename, ContentType: typ, Data: data})
			continue
		}
		value, err := io.ReadAll(io.LimitReader(part, messages.MaxTextBytes+1))
		if err != nil {
			tooLarge(w, err)
			return nm, false
		}
		switch name {
		case "text":
			if len(value) > messages.MaxTextBytes {
				rest.Invalid(w, problem.FieldError{Field: "text", Detail: fmt.Sprintf("A message may have at most %d KiB of text.", messages.MaxTextBytes>>10)})
				return nm, false
			}
			nm.Text = string(value)
		case "reply_to":
			nm.ReplyTo = string(value)
		case "mentions":
			nm.Mentions = append(nm.Mentions, string(value))
		default:
			rest.Invalid(w, problem.FieldError{Field: name, Detail: "Is not a field of a message; use text, reply_to, mentions and attachment."})
			return nm, false
		}
	}
	return nm, true
}

// tooLarge answers a body cut off by MaxBytesReader with 413, anything
// else unreadable with 400.
func tooLarge(w http.ResponseWriter, err error) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		problem.Write(w, problem.Details{Status: http.StatusRequestEntityTooLarge,
			Detail: fmt.Sprintf("The files of a message may have at most %d MB together.", messages.MaxMessageBytes>>20)})
		return
	}
	problem.Write(w, problem.Details{Status: http.StatusBadRequest, Detail: "The body is not valid multipart/form-data."})
}

// cleanFilename keeps a file's base name, without a path, control
// characters or invalid UTF-8, at most 200 bytes; "file" when nothing is
// left.
func cleanFilename(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.ToValidUTF8(name, "")
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	for len(name) > 200 {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	if name == "" || name == "." || name == ".." {
		return "file"
	}
	return name
}

func (s *server) editMessage(w http.ResponseWriter, r *http.Request, p *Principal) {
	var in struct {
		Text string `json:"text"`
	}
	if !decodeMessage(w, r, &in, &in.Text, nil) {
		return
	}
	switch {
	case !utf8.ValidString(in.Text) || strings.ContainsRune(in.Text, 0):
		rest.Invalid(w, problem.FieldError{Field: "text", Detail: "The text must be UTF-8 without NUL characters."})
		return
	case len(in.Text) > messages.MaxTextBytes:
		rest.Invalid(w, problem.FieldError{Field: "text", Detail: fmt.Sprintf("A message may have at most %d KiB of text.", messages.MaxTextBytes>>10)})
		return
	case strings.TrimSpace(in.Text) == "":
		rest.Invalid(w, problem.FieldError{Field: "text", Detail: "Write something; to take a message back, delete it."})
		return
	}
	m, err := s.store.Edit(r.Context(), p.Subject, r.PathValue("id"), in.Text)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rest.Reply(w, http.StatusOK, 0, messageOut(m))
}

func (s *server) deleteMessage(w http.ResponseWriter, r *http.Request, p *Principal) {
	if _, err := s.store.Delete(r.Context(), p.Subject, r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// attachmentCSP keeps a file opened in the browser from running anything
// or reaching anywhere, whatever it turns out to be (CSP 3, sandbox).
const attachmentCSP = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"

// attachment serves a file to the members of its conversation, as a
// download except for images, which may show inline.
func (s *server) attachment(w http.ResponseWriter, r *http.Request, p *Principal) {
	a, rc, err := s.store.Attachment(r.Context(), p.Subject, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer rc.Close()
	h := w.Header()
	etag := `"` + a.SHA256 + `"`
	h.Set("ETag", etag)
	h.Set("Cache-Control", "private, no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", attachmentCSP)
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	if a.SHA256 != "" && r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	disposition := "attachment"
	if inlineImage(a.ContentType) {
		disposition = "inline"
	}
	h.Set("Content-Disposition", contentDisposition(disposition, a.Name))
	h.Set("Content-Type", a.ContentType)
	h.Set("Content-Length", strconv.FormatInt(a.Size, 10))
	if r.Method == http.MethodHead {
		return
	}
	if _, err := io.Copy(w, rc); err != nil {
		s.logger.WarnContext(r.Context(), "messages API: attachment", "id", a.ID, "err", err)
	}
}

// contentDisposition names the file for saving (RFC 6266 section 4.3):
// filename* in UTF-8 (RFC 8187) and an ASCII fallback for old clients.
func contentDisposition(kind, name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '%' {
			return '_'
		}
		return r
	}, name)
	return fmt.Sprintf(`%s; filename="%s"; filename*=UTF-8''%s`, kind, ascii, extValue(name))
}

// extValue percent-encodes every byte of s that is not an attr-char
// (RFC 8187 section 3.2.1).
func extValue(s string) string {
	const attrChar = "!#$&+-.^_`|~"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(attrChar, c) >= 0) {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

func (s *server) search(w http.ResponseWriter, r *http.Request, p *Principal) {
	q := rest.NewQuery(r)
	q.Only("q", "limit", "cursor", "key")
	pg := page(q)
	text := strings.TrimSpace(q.Get("q"))
	if utf8.RuneCountInString(text) < 2 || len(text) > 200 {
		q.Invalid("q", "Search for 2 to 200 characters.")
	}
	if q.Answer(w) {
		return
	}
	ms, next, err := s.store.Search(r.Context(), p.Subject, text, pg)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rest.Reply(w, http.StatusOK, 0, list[messageJSON]{Items: messagesOut(ms), Next: next})
}
