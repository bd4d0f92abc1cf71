package events

import (
	"encoding/csv"
	"fmt"
	"io"
	"time"

	"campus/internal/csvsafe"
	"campus/internal/i18n"
	"campus/internal/identity/letters"
	"campus/internal/identity/store"
)

// Letters writes the batch's printable letters, one page per account, in
// lang: the event, the account's username and PIN, and where to sign in.
func Letters(w io.Writer, lang i18n.Lang, e store.Event, signIn string, loc *time.Location, creds []Credential) error {
	ls := make([]letters.Letter, len(creds))
	for i, c := range creds {
		ls[i] = letters.Letter{Username: c.Username, PIN: c.PIN, Label: c.Label}
	}
	return letters.Render(w, string(lang), letters.Event{Name: e.Name, Description: e.Description,
		When: When(e, lang, loc), SignInURL: signIn}, ls)
}

// When is the event's window in words, in lang: its days and daily times
// in the login windows' time zone loc.
func When(e store.Event, lang i18n.Lang, loc *time.Location) string {
	zone := "UTC"
	if loc != nil {
		zone = loc.String()
	}
	w := e.Window
	day := func(d string) string { return d }
	if lang == i18n.German {
		day = func(d string) string {
			t, err := time.Parse(time.DateOnly, d)
			if err != nil {
				return d
			}
			return t.Format("02.01.2006")
		}
	}
	days := day(w.FirstDate)
	if w.LastDate != w.FirstDate {
		days += " – " + day(w.LastDate)
	}
	if lang == i18n.German {
		return fmt.Sprintf("%s, täglich %s–%s Uhr (%s)", days, w.Earliest, w.Latest, zone)
	}
	return fmt.Sprintf("%s, daily %s–%s (%s)", days, w.Earliest, w.Latest, zone)
}

// CSV writes the batch as CSV: a header, then one account per row, each
// cell safe to open in a spreadsheet (csvsafe).
func CSV(w io.Writer, e store.Event, signIn string, creds []Credential) error {
	cw := csv.NewWriter(w)
	cell := func(s string) string { v, _ := csvsafe.Neutralise(s); return v }
	cw.Write([]string{"username", "pin", "label", "event", "sign_in_url"})
	for _, c := range creds {
		cw.Write([]string{cell(c.Username), cell(c.PIN), cell(c.Label), cell(e.Name), cell(signIn)})
	}
	cw.Flush()
	return cw.Error()
}
