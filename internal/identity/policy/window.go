package policy

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// TimeOfDay is a wall-clock time of day, minute precision. It is wall-clock
// time in the configured zone, not an offset from midnight, so that 08:00
// stays 08:00 on the days the clocks change.
type TimeOfDay struct{ Hour, Minute int }

// timeRangeError is a time of day in the right form with an hour or
// minute out of range.
type timeRangeError string

func (e timeRangeError) Error() string {
	return fmt.Sprintf("time of day %q is out of range 00:00–23:59", string(e))
}

func isRange(err error) bool {
	var r timeRangeError
	return errors.As(err, &r)
}

// WindowProblems lists every problem of a login window, each one sentence.
type WindowProblems struct{ Problems []string }

func (e *WindowProblems) Error() string { return "login window: " + strings.Join(e.Problems, "; ") }

// ParseTimeOfDay parses "HH:MM" (24-hour clock, "8:30" is accepted too).
func ParseTimeOfDay(s string) (TimeOfDay, error) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) < 1 || len(h) > 2 || len(m) != 2 {
		return TimeOfDay{}, fmt.Errorf("time of day %q is not in the form HH:MM", s)
	}
	hour, err1 := strconv.Atoi(h)
	minute, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || h[0] == '+' || h[0] == '-' || m[0] == '+' || m[0] == '-' {
		return TimeOfDay{}, fmt.Errorf("time of day %q is not in the form HH:MM", s)
	}
	t := TimeOfDay{Hour: hour, Minute: minute}
	if !t.valid() {
		return TimeOfDay{}, timeRangeError(s)
	}
	return t, nil
}

func (t TimeOfDay) valid() bool {
	return t.Hour >= 0 && t.Hour < 24 && t.Minute >= 0 && t.Minute < 60
}

func (t TimeOfDay) minutes() int { return t.Hour*60 + t.Minute }

func (t TimeOfDay) String() string { return fmt.Sprintf("%02d:%02d", t.Hour, t.Minute) }

// Date is a civil date with no time and no zone: a first or last day of a
// semester is the same day wherever the server runs.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate parses "YYYY-MM-DD" and refuses dates that do not exist.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("date %q is not a valid YYYY-MM-DD date", s)
	}
	return dateOf(t), nil
}

func dateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// IsZero reports whether d is the zero Date, which windows read as "no
// limit".
func (d Date) IsZero() bool { return d == Date{} }

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

func (d Date) compare(e Date) int {
	if c := d.Year - e.Year; c != 0 {
		return c
	}
	if c := int(d.Month) - int(e.Month); c != 0 {
		return c
	}
	return d.Day - e.Day
}

// previous returns the day before d. The arithmetic is done in UTC, where
// every day has 24 hours, so that it cannot be thrown off by a DST change.
func (d Date) previous() Date {
	return dateOf(time.Date(d.Year, d.Month, d.Day-1, 12, 0, 0, 0, time.UTC))
}

// Window is a period in which sign-in is allowed: every day between
// Earliest and Latest, optionally only from FirstDate to LastDate.
type Window struct {
	Earliest  TimeOfDay // inclusive
	Latest    TimeOfDay // exclusive end; if Latest <= Earliest the window spans midnight (22:00-06:00)
	FirstDate Date      // zero = no start date (inclusive)
	LastDate  Date      // zero = no end date (inclusive)
}

// ParseWindow builds a Window from its configured or stored form. The times
// are required; either date may be empty.
func ParseWindow(earliest, latest, firstDate, lastDate string) (Window, error) {
	var w Window
	// Every mistake is reported at once, on one line, so that an
	// administrator fixing a form does not have to submit it repeatedly.
	var problems []string
	var err error
	// Each problem is one format, so that the API can say it in the
	// client's language (the problem documents' phrasebook knows them).
	if w.Earliest, err = ParseTimeOfDay(earliest); isRange(err) {
		problems = append(problems, fmt.Sprintf("earliest: time of day %q is out of range 00:00–23:59", earliest))
	} else if err != nil {
		problems = append(problems, fmt.Sprintf("earliest: time of day %q is not in the form HH:MM", earliest))
	}
	if w.Latest, err = ParseTimeOfDay(latest); isRange(err) {
		problems = append(problems, fmt.Sprintf("latest: time of day %q is out of range 00:00–23:59", latest))
	} else if err != nil {
		problems = append(problems, fmt.Sprintf("latest: time of day %q is not in the form HH:MM", latest))
	}
	if firstDate != "" {
		if w.FirstDate, err = ParseDate(firstDate); err != nil {
			problems = append(problems, fmt.Sprintf("first date: date %q is not a valid YYYY-MM-DD date", firstDate))
		}
	}
	if lastDate != "" {
		if w.LastDate, err = ParseDate(lastDate); err != nil {
			problems = append(problems, fmt.Sprintf("last date: date %q is not a valid YYYY-MM-DD date", lastDate))
		}
	}
	if problems == nil && !w.FirstDate.IsZero() && !w.LastDate.IsZero() && w.FirstDate.compare(w.LastDate) > 0 {
		// Such a window would silently refuse every sign-in.
		problems = append(problems, fmt.Sprintf("first date %s is after last date %s", w.FirstDate, w.LastDate))
	}
	if problems != nil {
		return Window{}, &WindowProblems{Problems: problems}
	}
	return w, nil
}

// Allows reports whether the window is open at t, read as wall-clock time
// in loc (UTC if loc is nil).
//
// For a window that spans midnight, the dates apply to the evening on which
// the window opened: a night window 22:00–06:00 whose last date is
// 2027-03-31 still allows 05:00 on 2027-04-01, because that is the end of
// the night that began on the last date.
func (w Window) Allows(t time.Time, loc *time.Location) bool {
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	now := t.Hour()*60 + t.Minute()
	start, end := w.Earliest.minutes(), w.Latest.minutes()
	opened := dateOf(t)
	switch {
	case start < end:
		if now < start || now >= end {
			return false
		}
	case now >= start:
		// Spanning midnight, before midnight: opened today.
	case now < end:
		// Spanning midnight, after midnight: opened yesterday.
		opened = opened.previous()
	default:
		return false
	}
	if !w.FirstDate.IsZero() && opened.compare(w.FirstDate) < 0 {
		return false
	}
	if !w.LastDate.IsZero() && opened.compare(w.LastDate) > 0 {
		return false
	}
	return true
}

// String renders the window for people, e.g. "08:00–18:00" or
// "08:00–18:00 from 2026-10-01 to 2027-03-31".
func (w Window) String() string {
	s := w.Earliest.String() + "–" + w.Latest.String()
	switch {
	case !w.FirstDate.IsZero() && !w.LastDate.IsZero():
		s += " from " + w.FirstDate.String() + " to " + w.LastDate.String()
	case !w.FirstDate.IsZero():
		s += " from " + w.FirstDate.String()
	case !w.LastDate.IsZero():
		s += " until " + w.LastDate.String()
	}
	return s
}

// WindowError tells a person when they may sign in. It is meant to be shown
// on the login page as it is.
type WindowError struct {
	Windows []Window // every window that applies, not only those closed now
	Zone    string   // the zone the windows are read in, e.g. "Europe/Berlin"
}

func (e *WindowError) Error() string {
	parts := make([]string, len(e.Windows))
	for i, w := range e.Windows {
		parts[i] = w.String()
	}
	// "only A, and only B" rather than "A and B", which would read as either.
	return "Sign-in is allowed only " + strings.Join(parts, ", and only ") + " (" + e.Zone + ")."
}

// Decide applies campus's rule for login windows at t, read in loc.
//
// If the account has its own window, it alone decides: an account window
// is set for one person on purpose (a guest, a night-shift technician) and
// must be able to both narrow and widen what their roles would allow.
// Otherwise every window of the person's roles must allow, because each
// role's window is a restriction someone chose for that role, and holding a
// second role must not lift it; roles without a window add none.
//
// The error lists every window that applies, not only those closed at t,
// so that the person learns when sign-in would actually succeed.
func Decide(account *Window, roleWindows map[string]Window, t time.Time, loc *time.Location) error {
	if loc == nil {
		loc = time.UTC
	}
	if account != nil {
		if account.Allows(t, loc) {
			return nil
		}
		return &WindowError{Windows: []Window{*account}, Zone: loc.String()}
	}
	refused := false
	var windows []Window
	// Sorted so that the message does not change from one attempt to the next.
	for _, role := range slices.Sorted(maps.Keys(roleWindows)) {
		w := roleWindows[role]
		if !w.Allows(t, loc) {
			refused = true
		}
		if !slices.Contains(windows, w) {
			windows = append(windows, w)
		}
	}
	if !refused {
		return nil
	}
	return &WindowError{Windows: windows, Zone: loc.String()}
}
