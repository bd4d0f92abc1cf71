package mail

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func newTemplates(t *testing.T) *Templates {
	t.Helper()
	tpl, err := NewTemplates()
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

// full is Data with every field set, each to a value that a test can find.
func full() Data {
	return Data{
		Name:     "Ada Lovelace",
		Username: "alovelace",
		Password: "Pw-7fJ2-kQ9x",
		NewEmail: "ada.new@uni.example",
		Link:     "https://campus.uni.example/idp/confirm?token=abc123&lang=de",
		Site:     "Campus Uni Example",
		Expires:  time.Hour,
	}
}

func TestRenderEveryKind(t *testing.T) {
	t.Parallel()
	tpl := newTemplates(t)
	// What each kind must show; the password only in directory_welcome.
	tests := []struct {
		kind                        string
		link, newEmail, credentials bool
	}{
		{KindConfirmEmail, true, false, false},
		{KindConfirmNewEmail, true, true, false},
		{KindEmailChanged, false, true, false},
		{KindPasswordReset, true, false, false},
		{KindPasswordChanged, false, false, false},
		{KindDirectoryWelcome, true, false, true},
		{KindEmailChangeByAdmin, false, true, false},
		{KindRegistrationAttempt, true, false, false},
		{KindEmailInUse, false, false, false},
		{KindFactorsReset, false, false, false},
	}
	if len(tests) != len(kinds) {
		t.Fatalf("test covers %d kinds, package has %d", len(tests), len(kinds))
	}
	d := full()
	for _, tt := range tests {
		for _, lang := range []string{"en", "de"} {
			t.Run(tt.kind+"."+lang, func(t *testing.T) {
				t.Parallel()
				m, err := tpl.Render(tt.kind, lang, "ada@uni.example", d)
				if err != nil {
					t.Fatal(err)
				}
				if m.To != "ada@uni.example" {
					t.Errorf("To = %q", m.To)
				}
				if m.Subject == "" || !strings.Contains(m.Subject, d.Site) || strings.ContainsAny(m.Subject, "\r\n") {
					t.Errorf("Subject = %q, want one line naming the site", m.Subject)
				}
				if !strings.HasPrefix(m.HTML, "<!DOCTYPE html>") || !strings.Contains(m.HTML, `<html lang="`+lang+`">`) {
					t.Errorf("HTML does not start with a doctype and <html lang=%q>:\n%s", lang, m.HTML)
				}
				for _, part := range []struct{ name, body string }{{"text", m.Text}, {"html", m.HTML}} {
					check := func(want bool, what, s string) {
						t.Helper()
						if got := strings.Contains(part.body, s); got != want {
							t.Errorf("%s part: contains %s %q = %v, want %v", part.name, what, s, got, want)
						}
					}
					check(true, "name", "Ada Lovelace")
					check(true, "site", d.Site)
					check(tt.newEmail, "new address", d.NewEmail)
					check(tt.credentials, "username", d.Username)
					check(tt.credentials, "password", d.Password)
					if strings.Contains(part.body, "{{") || strings.Contains(part.body, "<no value>") {
						t.Errorf("%s part has template residue:\n%s", part.name, part.body)
					}
				}
				if tt.link {
					// The text part shows the link on a line of its own, so
					// that mail clients make it clickable.
					if !strings.Contains(m.Text, "\n"+d.Link+"\n") {
						t.Errorf("text part lacks the link on its own line:\n%s", m.Text)
					}
					escaped := strings.ReplaceAll(d.Link, "&", "&amp;")
					if !strings.Contains(m.HTML, `href="`+escaped+`"`) || !strings.Contains(m.HTML, ">"+escaped+"</a>") {
						t.Errorf("HTML part lacks the link as a link and as text:\n%s", m.HTML)
					}
					wantExpiry := map[string]string{"en": "1 hour", "de": "1 Stunde"}[lang]
					// The links that expire say when; sign-in and reset
					// pages do not expire.
					if tt.kind != KindDirectoryWelcome && tt.kind != KindRegistrationAttempt && !strings.Contains(m.Text, wantExpiry) {
						t.Errorf("text part lacks the expiry %q:\n%s", wantExpiry, m.Text)
					}
				} else if strings.Contains(m.Text, d.Link) || strings.Contains(m.HTML, "href=") {
					t.Errorf("%s shows a link it has no use for", tt.kind)
				}
				if strings.Contains(m.HTML, "src=") || strings.Contains(m.HTML, "<img") || strings.Contains(m.HTML, "<link") {
					t.Errorf("HTML part loads something:\n%s", m.HTML)
				}
			})
		}
	}
}

func TestRenderEscapesHTML(t *testing.T) {
	t.Parallel()
	tpl := newTemplates(t)
	d := full()
	d.Name = `<script>alert("x")</script>`
	d.Site = `Campus & <b>Co</b>`
	d.Link = `javascript:alert(1)`
	m, err := tpl.Render(KindDirectoryWelcome, "en", "ada@uni.example", d)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script>", "<b>Co", `href="javascript:`} {
		if strings.Contains(m.HTML, bad) {
			t.Errorf("HTML contains %q unescaped:\n%s", bad, m.HTML)
		}
	}
	if !strings.Contains(m.HTML, "&lt;script&gt;") {
		t.Errorf("HTML lacks the escaped name:\n%s", m.HTML)
	}
	// The text part is text: it shows the data as it is.
	if !strings.Contains(m.Text, d.Name) {
		t.Errorf("text part altered the name:\n%s", m.Text)
	}
	if m.Subject != "Your new account for Campus & <b>Co</b>" {
		t.Errorf("Subject = %q", m.Subject)
	}
}

func TestRenderLanguages(t *testing.T) {
	t.Parallel()
	tpl := newTemplates(t)
	tests := []struct {
		lang, want string
	}{
		{"", "en"},
		{"en", "en"},
		{"en-GB", "en"},
		{"fr", "en"},
		{"xx-invalid-tag", "en"},
		{"de", "de"},
		{"DE", "de"},
		{"de-DE", "de"},
		{"de-CH", "de"},
		{"de_AT", "de"},
		{" de ", "de"},
	}
	subjects := map[string]string{
		"en": "Confirm your e-mail address for Campus Uni Example",
		"de": "Bestätigen Sie Ihre E-Mail-Adresse für Campus Uni Example",
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			t.Parallel()
			if got := Lang(tt.lang); got != tt.want {
				t.Errorf("Lang(%q) = %q, want %q", tt.lang, got, tt.want)
			}
			m, err := tpl.Render(KindConfirmEmail, tt.lang, "ada@uni.example", full())
			if err != nil {
				t.Fatal(err)
			}
			if m.Subject != subjects[tt.want] {
				t.Errorf("Subject = %q, want %q", m.Subject, subjects[tt.want])
			}
		})
	}
}

func TestRenderRefuses(t *testing.T) {
	t.Parallel()
	tpl := newTemplates(t)
	tests := []struct {
		name, kind, to string
		change         func(*Data)
		wantErr        string
	}{
		{"unknown kind", "newsletter", "ada@uni.example", nil, "unknown kind"},
		{"no link", KindPasswordReset, "ada@uni.example", func(d *Data) { d.Link = "" }, "Link"},
		{"no expiry", KindConfirmEmail, "ada@uni.example", func(d *Data) { d.Expires = 0 }, "Expires"},
		{"no site", KindPasswordChanged, "ada@uni.example", func(d *Data) { d.Site = " " }, "Site"},
		{"no new address", KindEmailChanged, "ada@uni.example", func(d *Data) { d.NewEmail = "" }, "NewEmail"},
		{"no password", KindDirectoryWelcome, "ada@uni.example", func(d *Data) { d.Password = "" }, "Password"},
		{"no recipient", KindPasswordChanged, "", nil, "recipient"},
		{"two recipients", KindPasswordChanged, "a@uni.example, b@uni.example", nil, "recipient"},
		{"header injection", KindPasswordChanged, "a@uni.example\r\nBcc: b@uni.example", nil, "recipient"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := full()
			if tt.change != nil {
				tt.change(&d)
			}
			_, err := tpl.Render(tt.kind, "en", tt.to, d)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want one mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func TestRenderWithoutName(t *testing.T) {
	t.Parallel()
	tpl := newTemplates(t)
	d := full()
	d.Name = ""
	for lang, greeting := range map[string]string{"en": "Hello,\n", "de": "Guten Tag,\n"} {
		m, err := tpl.Render(KindPasswordChanged, lang, "ada@uni.example", d)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(m.Text, greeting) {
			t.Errorf("%s text starts %q, want %q", lang, m.Text[:20], greeting)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d      time.Duration
		en, de string
	}{
		{time.Hour, "1 hour", "1 Stunde"},
		{2 * time.Hour, "2 hours", "2 Stunden"},
		{30 * time.Minute, "30 minutes", "30 Minuten"},
		{time.Minute, "1 minute", "1 Minute"},
		{90 * time.Minute, "1 hour and 30 minutes", "1 Stunde und 30 Minuten"},
		{61*time.Minute + 59*time.Second, "1 hour and 1 minute", "1 Stunde und 1 Minute"},
		{24 * time.Hour, "1 day", "1 Tag"},
		{72 * time.Hour, "3 days", "3 Tage"},
		{36 * time.Hour, "36 hours", "36 Stunden"},
		{10 * time.Second, "1 minute", "1 Minute"},
	}
	for _, tt := range tests {
		if got := formatDuration(tt.d, "en"); got != tt.en {
			t.Errorf("formatDuration(%s, en) = %q, want %q", tt.d, got, tt.en)
		}
		if got := formatDuration(tt.d, "de"); got != tt.de {
			t.Errorf("formatDuration(%s, de) = %q, want %q", tt.d, got, tt.de)
		}
	}
}

// A broken or missing template must stop NewTemplates, not a later Render.
func TestParseTemplatesFails(t *testing.T) {
	t.Parallel()
	sub, err := fs.Sub(embedded, "templates")
	if err != nil {
		t.Fatal(err)
	}
	good := fstest.MapFS{}
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, p)
		good[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parseTemplates(good); err != nil {
		t.Fatalf("the embedded templates copied: %v", err)
	}
	tests := []struct {
		name    string
		change  func(fstest.MapFS)
		wantErr string
	}{
		{"missing language", func(f fstest.MapFS) { delete(f, "password_reset.de.tmpl") }, "password_reset.de"},
		{"missing common", func(f fstest.MapFS) { delete(f, "common.en.tmpl") }, "common.en.tmpl"},
		{"syntax error", func(f fstest.MapFS) {
			f["email_changed.en.tmpl"] = &fstest.MapFile{Data: []byte(`{{define "subject"}}{{.Site}{{end}}`)}
		}, "email_changed.en"},
		{"no html part", func(f fstest.MapFS) {
			f["password_changed.de.tmpl"] = &fstest.MapFile{Data: []byte(`{{define "subject"}}x{{end}}{{define "text"}}x{{end}}`)}
		}, `"html"`},
		{"unknown field", func(f fstest.MapFS) {
			f["password_changed.en.tmpl"] = &fstest.MapFile{Data: []byte(`{{define "subject"}}x{{end}}{{define "text"}}{{.Email}}{{end}}{{define "html"}}x{{end}}`)}
		}, "Email"},
		{"misspelt file", func(f fstest.MapFS) {
			f["pasword_reset.en.tmpl"] = &fstest.MapFile{Data: []byte(`x`)}
		}, "pasword_reset.en.tmpl"},
		{"unknown language", func(f fstest.MapFS) {
			f["password_reset.fr.tmpl"] = &fstest.MapFile{Data: []byte(`x`)}
		}, "password_reset.fr.tmpl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := fstest.MapFS{}
			for k, v := range good {
				f[k] = v
			}
			tt.change(f)
			_, err := parseTemplates(f)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want one mentioning %q", err, tt.wantErr)
			}
		})
	}
}

// TestEmbeddedTemplates: the templates built in parse and render sample
// data in every kind and language (NewTemplates parses them only on the
// first mail).
func TestEmbeddedTemplates(t *testing.T) {
	t.Parallel()
	sub, err := fs.Sub(embedded, "templates")
	if err != nil {
		t.Fatal(err)
	}
	got, err := parseTemplates(sub)
	if err != nil {
		t.Fatal(err)
	}
	if want := len(kinds) * len(langs); len(got.sets) != want {
		t.Fatalf("%d template sets, want %d", len(got.sets), want)
	}
}
