package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	netmail "net/mail"
	"slices"
	"strconv"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"
)

// Kinds of mail campus sends. The comment after each names the Data fields
// its templates use; Render refuses to render a kind without them, so that a
// confirmation mail without a link never reaches the outbox.
const (
	KindConfirmEmail     = "confirm_email"     // Name, Link, Expires, Site
	KindConfirmNewEmail  = "confirm_new_email" // Name, Link, Expires, NewEmail, Site; sent to the new address
	KindEmailChanged     = "email_changed"     // Name, NewEmail, Site; sent to the old address
	KindPasswordReset    = "password_reset"    // Name, Link, Expires, Site
	KindPasswordChanged  = "password_changed"  // Name, Site
	KindDirectoryWelcome = "directory_welcome" // Name, Username, Password, Link (sign-in page), Site
	// KindEmailChangeByAdmin tells the current address that an
	// administrator asked to replace it (it changes once the new one is
	// confirmed).
	KindEmailChangeByAdmin = "email_change_by_admin" // Name, NewEmail, Site; sent to the current address
	// KindRegistrationAttempt tells the owner of an address that someone
	// tried to register with it, instead of telling the registrant that it
	// is taken.
	KindRegistrationAttempt = "registration_attempt" // Name, Link (password reset page), Site
	// KindEmailInUse tells the owner of an address that another account
	// asked to use it, instead of telling that account that it is taken.
	KindEmailInUse = "email_in_use" // Name, Site
	// KindFactorsReset tells a person that an administrator removed their
	// second factors (they lost them), and that they set up a new one.
	KindFactorsReset = "factors_reset" // Name, Site
)

// Data is what a template may show. A template shows nothing else, and only
// directory_welcome shows Password.
type Data struct {
	Name     string // how to greet the recipient; may be empty
	Username string
	Password string // a generated initial password (directory_welcome only)
	NewEmail string
	Link     string // an absolute URL
	Site     string // the name of the campus installation, e.g. "Campus Uni Example"
	// Expires is how long Link stays valid, shown rounded down to minutes
	// ("1 hour", "1 Stunde"), so that the mail never promises more time
	// than the token has.
	Expires time.Duration
}

// The fields a kind needs, beyond Site, which every kind needs.
type need uint8

const (
	needLink need = 1 << iota
	needExpires
	needNewEmail
	needUsername
	needPassword
)

var kinds = map[string]need{
	KindConfirmEmail:        needLink | needExpires,
	KindConfirmNewEmail:     needLink | needExpires | needNewEmail,
	KindEmailChanged:        needNewEmail,
	KindPasswordReset:       needLink | needExpires,
	KindPasswordChanged:     0,
	KindDirectoryWelcome:    needUsername | needPassword | needLink,
	KindEmailChangeByAdmin:  needNewEmail,
	KindRegistrationAttempt: needLink,
	KindEmailInUse:          0,
	KindFactorsReset:        0,
}

// langs are the languages every kind exists in; the first is the fallback.
var langs = []string{"en", "de"}

// missing names the fields d lacks for a kind that needs n.
func (n need) missing(d Data) []string {
	var m []string
	if strings.TrimSpace(d.Site) == "" {
		m = append(m, "Site")
	}
	if n&needLink != 0 && d.Link == "" {
		m = append(m, "Link")
	}
	if n&needExpires != 0 && d.Expires < time.Minute {
		m = append(m, "Expires (at least a minute)")
	}
	if n&needNewEmail != 0 && d.NewEmail == "" {
		m = append(m, "NewEmail")
	}
	if n&needUsername != 0 && d.Username == "" {
		m = append(m, "Username")
	}
	if n&needPassword != 0 && d.Password == "" {
		m = append(m, "Password")
	}
	return m
}

//go:embed templates/*.tmpl
var embedded embed.FS

// Templates renders the kinds of mail in each language. It is safe for
// concurrent use.
type Templates struct {
	sets map[string]templateSet // by kind + "." + lang
	// load parses the embedded templates on first use, when sets is nil.
	load func() (map[string]templateSet, error)
}

// templateSet is one kind in one language. The same files are parsed twice:
// by text/template for the subject and the text part, and by html/template,
// which escapes Data by context, for the HTML part. Each engine executes only
// the templates meant for it.
type templateSet struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// view is what the templates execute on.
type view struct {
	Data
	Lang string
}

// NewTemplates returns the embedded templates, parsed on the first mail
// rather than at start (they cost a tenth of a start's CPU). They cannot
// change after the build, and TestEmbeddedTemplates parses and renders
// every kind in every language with parseTemplates, which fails if a
// template is broken, missing for a kind and language, or fails to render
// sample data: a mistake fails the build's tests, not a mail.
func NewTemplates() (*Templates, error) {
	return &Templates{load: sync.OnceValues(func() (map[string]templateSet, error) {
		sub, err := fs.Sub(embedded, "templates")
		if err != nil {
			return nil, err
		}
		t, err := parseTemplates(sub)
		if err != nil {
			return nil, err
		}
		return t.sets, nil
	})}, nil
}

// parseTemplates reads layout.tmpl (the frame of every mail), common.LANG.tmpl
// (greeting, footer, link button) and KIND.LANG.tmpl (subject, text, html).
func parseTemplates(fsys fs.FS) (*Templates, error) {
	names, err := fs.Glob(fsys, "*.tmpl")
	if err != nil {
		return nil, err
	}
	// A misspelt file name would otherwise be silently ignored.
	for _, name := range names {
		if !knownFile(name) {
			return nil, fmt.Errorf("mail templates: unexpected file %s", name)
		}
	}
	t := &Templates{sets: map[string]templateSet{}}
	for kind, n := range kinds {
		for _, lang := range langs {
			s, err := parseSet(fsys, kind, lang)
			if err != nil {
				return nil, fmt.Errorf("mail templates: %s.%s: %w", kind, lang, err)
			}
			// Executing once with sample data surfaces errors that parsing
			// cannot see (html/template escapes on first use).
			if _, err := s.render(kind, lang, "sample@example.org", sampleData(n)); err != nil {
				return nil, fmt.Errorf("mail templates: %s.%s: %w", kind, lang, err)
			}
			t.sets[kind+"."+lang] = s
		}
	}
	return t, nil
}

func knownFile(name string) bool {
	if name == "layout.tmpl" {
		return true
	}
	base, lang, ok := strings.Cut(strings.TrimSuffix(name, ".tmpl"), ".")
	if !ok || !slices.Contains(langs, lang) {
		return false
	}
	_, isKind := kinds[base]
	return base == "common" || isKind
}

func parseSet(fsys fs.FS, kind, lang string) (templateSet, error) {
	files := []string{"layout.tmpl", "common." + lang + ".tmpl", kind + "." + lang + ".tmpl"}
	for _, f := range files {
		if _, err := fs.Stat(fsys, f); err != nil {
			return templateSet{}, fmt.Errorf("missing %s", f)
		}
	}
	funcs := map[string]any{
		"expires": func(d time.Duration) string { return formatDuration(d, lang) },
	}
	text, err := texttemplate.New(kind).Funcs(funcs).Option("missingkey=error").ParseFS(fsys, files...)
	if err != nil {
		return templateSet{}, err
	}
	html, err := htmltemplate.New(kind).Funcs(funcs).Option("missingkey=error").ParseFS(fsys, files...)
	if err != nil {
		return templateSet{}, err
	}
	for _, name := range []string{"subject", "text", "html", "text_layout", "html_layout"} {
		if text.Lookup(name) == nil {
			return templateSet{}, fmt.Errorf("no {{define %q}}", name)
		}
	}
	return templateSet{text: text, html: html}, nil
}

func sampleData(n need) Data {
	d := Data{Name: "Sample", Site: "Campus"}
	if n&needLink != 0 {
		d.Link = "https://campus.example/link?token=sample"
	}
	if n&needExpires != 0 {
		d.Expires = time.Hour
	}
	if n&needNewEmail != 0 {
		d.NewEmail = "new@example.org"
	}
	if n&needUsername != 0 {
		d.Username = "sample"
	}
	if n&needPassword != 0 {
		d.Password = "sample-password"
	}
	return d
}

// Render renders kind in lang for the address to. lang is a language tag
// such as "de" or "de-CH"; anything but German, including "", gets English.
// It fails for an unknown kind, an unusable address, or Data lacking a field
// the kind needs.
func (t *Templates) Render(kind, lang, to string, d Data) (Message, error) {
	n, ok := kinds[kind]
	if !ok {
		return Message{}, fmt.Errorf("mail: unknown kind %q", kind)
	}
	if m := n.missing(d); len(m) > 0 {
		return Message{}, fmt.Errorf("mail: %s needs %s", kind, strings.Join(m, ", "))
	}
	if _, err := netmail.ParseAddress(to); err != nil {
		return Message{}, fmt.Errorf("mail: recipient %q: %w", to, err)
	}
	lang = Lang(lang)
	sets := t.sets
	if sets == nil {
		var err error
		if sets, err = t.load(); err != nil {
			return Message{}, err
		}
	}
	return sets[kind+"."+lang].render(kind, lang, to, d)
}

func (s templateSet) render(kind, lang, to string, d Data) (Message, error) {
	v := view{Data: d, Lang: lang}
	var subject, text, html bytes.Buffer
	if err := s.text.ExecuteTemplate(&subject, "subject", v); err != nil {
		return Message{}, err
	}
	if err := s.text.ExecuteTemplate(&text, "text_layout", v); err != nil {
		return Message{}, err
	}
	if err := s.html.ExecuteTemplate(&html, "html_layout", v); err != nil {
		return Message{}, err
	}
	return Message{
		To: to,
		// A subject is one header line: whatever the data holds, it must
		// not be able to start another header.
		Subject: strings.Join(strings.Fields(subject.String()), " "),
		Text:    strings.TrimSpace(text.String()) + "\n",
		HTML:    strings.TrimSpace(html.String()) + "\n",
	}, nil
}

// Lang maps a language tag to a language campus has templates for: "de",
// "de-DE", "de_CH" give "de"; anything else gives "en".
func Lang(tag string) string {
	primary, _, _ := strings.Cut(strings.TrimSpace(tag), "-")
	primary, _, _ = strings.Cut(primary, "_")
	primary = strings.ToLower(primary)
	if slices.Contains(langs, primary) {
		return primary
	}
	return langs[0]
}

var units = map[string][3][2]string{ // lang -> day, hour, minute -> singular, plural
	"en": {{"day", "days"}, {"hour", "hours"}, {"minute", "minutes"}},
	"de": {{"Tag", "Tage"}, {"Stunde", "Stunden"}, {"Minute", "Minuten"}},
}

var and = map[string]string{"en": " and ", "de": " und "}

// formatDuration shows d in whole days if it is a multiple of a day, else in
// hours and minutes. The German forms fit the accusative of a span of time
// ("ist 2 Tage gültig").
func formatDuration(d time.Duration, lang string) string {
	u := units[lang]
	count := func(n int64, unit [2]string) string {
		if n == 1 {
			return "1 " + unit[0]
		}
		return strconv.FormatInt(n, 10) + " " + unit[1]
	}
	d = d.Truncate(time.Minute)
	if d < time.Minute {
		d = time.Minute
	}
	const day = 24 * time.Hour
	if d%day == 0 {
		return count(int64(d/day), u[0])
	}
	h, m := int64(d/time.Hour), int64(d%time.Hour/time.Minute)
	switch {
	case h == 0:
		return count(m, u[2])
	case m == 0:
		return count(h, u[1])
	}
	return count(h, u[1]) + and[lang] + count(m, u[2])
}
