package policy

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	// The DST cases need Europe/Berlin even where the system has no zoneinfo
	// (minimal CI images); this embeds it in the test binary only.
	_ "time/tzdata"
)

func berlin(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatalf("load Europe/Berlin: %v", err)
	}
	return loc
}

func TestParseTimeOfDay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    TimeOfDay
		wantErr bool
	}{
		{name: "morning", in: "08:30", want: TimeOfDay{8, 30}},
		{name: "single-digit hour", in: "8:30", want: TimeOfDay{8, 30}},
		{name: "midnight", in: "00:00", want: TimeOfDay{0, 0}},
		{name: "last minute", in: "23:59", want: TimeOfDay{23, 59}},
		{name: "24:00 is not a time of day", in: "24:00", wantErr: true},
		{name: "minute out of range", in: "12:60", wantErr: true},
		{name: "empty", in: "", wantErr: true},
		{name: "no colon", in: "0830", wantErr: true},
		{name: "letters", in: "ab:cd", wantErr: true},
		{name: "sign", in: "+8:00", wantErr: true},
		{name: "negative minute", in: "08:-5", wantErr: true},
		{name: "one-digit minute", in: "08:5", wantErr: true},
		{name: "seconds", in: "08:30:00", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseTimeOfDay(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("ParseTimeOfDay(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
			if err == nil && len(tt.in) == 5 && got.String() != tt.in {
				t.Errorf("String() = %q, want %q", got.String(), tt.in)
			}
		})
	}
}

func TestTimeOfDayString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   TimeOfDay
		want string
	}{
		{name: "padded", in: TimeOfDay{8, 5}, want: "08:05"},
		{name: "midnight", in: TimeOfDay{}, want: "00:00"},
		{name: "evening", in: TimeOfDay{22, 30}, want: "22:30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.in.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    Date
		wantErr bool
	}{
		{name: "semester start", in: "2026-10-01", want: Date{2026, time.October, 1}},
		{name: "leap day", in: "2028-02-29", want: Date{2028, time.February, 29}},
		{name: "no leap day", in: "2026-02-29", wantErr: true},
		{name: "day out of range", in: "2026-04-31", wantErr: true},
		{name: "unpadded", in: "2026-1-01", wantErr: true},
		{name: "German order", in: "01.10.2026", wantErr: true},
		{name: "empty", in: "", wantErr: true},
		{name: "with time", in: "2026-10-01T00:00:00Z", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseDate(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("ParseDate(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
			if err == nil && got.String() != tt.in {
				t.Errorf("String() = %q, want %q", got.String(), tt.in)
			}
			if err == nil && got.IsZero() {
				t.Errorf("IsZero() = true for %v", got)
			}
		})
	}
	if !(Date{}).IsZero() {
		t.Error("Date{}.IsZero() = false")
	}
}

func TestDatePrevious(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   Date
		want Date
	}{
		{name: "within a month", in: Date{2026, time.October, 2}, want: Date{2026, time.October, 1}},
		{name: "month boundary", in: Date{2026, time.October, 1}, want: Date{2026, time.September, 30}},
		{name: "year boundary", in: Date{2027, time.January, 1}, want: Date{2026, time.December, 31}},
		{name: "leap year", in: Date{2028, time.March, 1}, want: Date{2028, time.February, 29}},
		{name: "day after spring DST change", in: Date{2026, time.March, 30}, want: Date{2026, time.March, 29}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.in.previous(); got != tt.want {
				t.Errorf("%v.previous() = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseWindow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                string
		earliest, latest    string
		firstDate, lastDate string
		want                Window
		wantErr             string // substring; "" = no error
	}{
		{name: "times only", earliest: "08:00", latest: "18:00", want: Window{Earliest: TimeOfDay{8, 0}, Latest: TimeOfDay{18, 0}}},
		{name: "with dates", earliest: "22:00", latest: "06:00", firstDate: "2026-10-01", lastDate: "2027-03-31",
			want: Window{TimeOfDay{22, 0}, TimeOfDay{6, 0}, Date{2026, time.October, 1}, Date{2027, time.March, 31}}},
		{name: "first date only", earliest: "08:00", latest: "18:00", firstDate: "2026-10-01",
			want: Window{Earliest: TimeOfDay{8, 0}, Latest: TimeOfDay{18, 0}, FirstDate: Date{2026, time.October, 1}}},
		{name: "one-day window", earliest: "08:00", latest: "18:00", firstDate: "2026-10-01", lastDate: "2026-10-01",
			want: Window{TimeOfDay{8, 0}, TimeOfDay{18, 0}, Date{2026, time.October, 1}, Date{2026, time.October, 1}}},
		{name: "missing earliest", earliest: "", latest: "18:00", wantErr: "earliest"},
		{name: "bad latest", earliest: "08:00", latest: "25:00", wantErr: "latest"},
		{name: "bad first date", earliest: "08:00", latest: "18:00", firstDate: "2026-13-01", wantErr: "first date"},
		{name: "bad last date", earliest: "08:00", latest: "18:00", lastDate: "tomorrow", wantErr: "last date"},
		{name: "dates reversed", earliest: "08:00", latest: "18:00", firstDate: "2027-03-31", lastDate: "2026-10-01",
			wantErr: "first date 2027-03-31 is after last date 2026-10-01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseWindow(tt.earliest, tt.latest, tt.firstDate, tt.lastDate)
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Fatalf("ParseWindow = %+v, %v; want %+v", got, err, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("ParseWindow error = %v, want one mentioning %q", err, tt.wantErr)
			}
			if got != (Window{}) {
				t.Errorf("ParseWindow returned %+v with an error", got)
			}
		})
	}
}

func TestParseWindowReportsEveryMistake(t *testing.T) {
	t.Parallel()
	_, err := ParseWindow("8", "x", "2026-02-30", "")
	if err == nil {
		t.Fatal("ParseWindow accepted three mistakes")
	}
	for _, want := range []string{"earliest", "latest", "first date"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestWindowString(t *testing.T) {
	t.Parallel()
	day := Window{Earliest: TimeOfDay{8, 0}, Latest: TimeOfDay{18, 0}}
	first, last := Date{2026, time.October, 1}, Date{2027, time.March, 31}
	tests := []struct {
		name string
		w    Window
		want string
	}{
		{name: "times only", w: day, want: "08:00–18:00"},
		{name: "both dates", w: Window{day.Earliest, day.Latest, first, last}, want: "08:00–18:00 from 2026-10-01 to 2027-03-31"},
		{name: "first date", w: Window{Earliest: day.Earliest, Latest: day.Latest, FirstDate: first}, want: "08:00–18:00 from 2026-10-01"},
		{name: "last date", w: Window{Earliest: day.Earliest, Latest: day.Latest, LastDate: last}, want: "08:00–18:00 until 2027-03-31"},
		{name: "night", w: Window{Earliest: TimeOfDay{22, 0}, Latest: TimeOfDay{6, 0}}, want: "22:00–06:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.w.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestWindowAllows(t *testing.T) {
	t.Parallel()
	loc := berlin(t)
	at := func(y int, mo time.Month, d, h, mi, s int) time.Time { return time.Date(y, mo, d, h, mi, s, 0, loc) }
	utc := func(y int, mo time.Month, d, h, mi int) time.Time { return time.Date(y, mo, d, h, mi, 0, 0, time.UTC) }
	w := func(e, l, first, last string) Window {
		win, err := ParseWindow(e, l, first, last)
		if err != nil {
			t.Fatal(err)
		}
		return win
	}
	day := w("08:00", "18:00", "", "")
	night := w("22:00", "06:00", "", "")
	tests := []struct {
		name string
		w    Window
		t    time.Time
		loc  *time.Location
		want bool
	}{
		// Plain day window, boundaries.
		{name: "day: before the start", w: day, t: at(2026, 10, 5, 7, 59, 59), loc: loc, want: false},
		{name: "day: exactly the start", w: day, t: at(2026, 10, 5, 8, 0, 0), loc: loc, want: true},
		{name: "day: last second", w: day, t: at(2026, 10, 5, 17, 59, 59), loc: loc, want: true},
		{name: "day: exactly the end", w: day, t: at(2026, 10, 5, 18, 0, 0), loc: loc, want: false},
		{name: "day: midnight", w: day, t: at(2026, 10, 5, 0, 0, 0), loc: loc, want: false},

		// Window spanning midnight.
		{name: "night: just before the start", w: night, t: at(2026, 10, 5, 21, 59, 0), loc: loc, want: false},
		{name: "night: exactly the start", w: night, t: at(2026, 10, 5, 22, 0, 0), loc: loc, want: true},
		{name: "night: midnight", w: night, t: at(2026, 10, 6, 0, 0, 0), loc: loc, want: true},
		{name: "night: last minute", w: night, t: at(2026, 10, 6, 5, 59, 0), loc: loc, want: true},
		{name: "night: exactly the end", w: night, t: at(2026, 10, 6, 6, 0, 0), loc: loc, want: false},
		{name: "night: midday", w: night, t: at(2026, 10, 6, 12, 0, 0), loc: loc, want: false},
		{name: "equal times mean the whole day", w: w("00:00", "00:00", "", ""), t: at(2026, 10, 6, 13, 37, 0), loc: loc, want: true},
		{name: "equal times mean 24 hours from then", w: w("07:00", "07:00", "", ""), t: at(2026, 10, 6, 6, 59, 0), loc: loc, want: true},

		// Dates.
		{name: "day before the first date", w: w("08:00", "18:00", "2026-10-01", ""), t: at(2026, 9, 30, 12, 0, 0), loc: loc, want: false},
		{name: "on the first date", w: w("08:00", "18:00", "2026-10-01", ""), t: at(2026, 10, 1, 8, 0, 0), loc: loc, want: true},
		{name: "on the last date", w: w("08:00", "18:00", "", "2027-03-31"), t: at(2027, 3, 31, 17, 59, 0), loc: loc, want: true},
		{name: "day after the last date", w: w("08:00", "18:00", "", "2027-03-31"), t: at(2027, 4, 1, 8, 0, 0), loc: loc, want: false},
		{name: "one-day window", w: w("00:00", "00:00", "2026-10-01", "2026-10-01"), t: at(2026, 10, 1, 23, 59, 59), loc: loc, want: true},
		{name: "one-day window, next day", w: w("00:00", "00:00", "2026-10-01", "2026-10-01"), t: at(2026, 10, 2, 0, 0, 0), loc: loc, want: false},
		{name: "night: early morning of the first date belongs to the night before", w: w("22:00", "06:00", "2026-10-01", ""), t: at(2026, 10, 1, 3, 0, 0), loc: loc, want: false},
		{name: "night: evening of the first date", w: w("22:00", "06:00", "2026-10-01", ""), t: at(2026, 10, 1, 23, 0, 0), loc: loc, want: true},
		{name: "night: morning after the first date", w: w("22:00", "06:00", "2026-10-01", ""), t: at(2026, 10, 2, 3, 0, 0), loc: loc, want: true},
		{name: "night: morning after the last date", w: w("22:00", "06:00", "", "2027-03-31"), t: at(2027, 4, 1, 5, 0, 0), loc: loc, want: true},
		{name: "night: evening after the last date", w: w("22:00", "06:00", "", "2027-03-31"), t: at(2027, 4, 1, 22, 0, 0), loc: loc, want: false},
		{name: "night: across the new year", w: w("22:00", "06:00", "", "2026-12-31"), t: at(2027, 1, 1, 1, 0, 0), loc: loc, want: true},

		// The instant is read in loc, whatever zone it arrives in.
		{name: "UTC instant in summer", w: day, t: utc(2026, 7, 1, 6, 30), loc: loc, want: true},                                    // 08:30 CEST
		{name: "UTC instant in winter", w: day, t: utc(2026, 1, 15, 6, 30), loc: loc, want: false},                                  // 07:30 CET
		{name: "date is taken in loc", w: w("00:00", "00:00", "2026-10-02", ""), t: utc(2026, 10, 1, 22, 30), loc: loc, want: true}, // 00:30 on 2 October
		{name: "nil zone means UTC", w: day, t: utc(2026, 7, 1, 7, 30), loc: nil, want: false},

		// Europe/Berlin springs forward on 2026-03-29 at 02:00 CET to 03:00 CEST.
		{name: "DST spring: 17:30 CET the day before", w: day, t: utc(2026, 3, 28, 16, 30), loc: loc, want: true},
		{name: "DST spring: 18:30 CEST on the day", w: day, t: utc(2026, 3, 29, 16, 30), loc: loc, want: false},
		{name: "DST spring: 17:59 CEST on the day", w: day, t: utc(2026, 3, 29, 15, 59), loc: loc, want: true},
		{name: "DST spring: 08:00 CEST on the day", w: day, t: utc(2026, 3, 29, 6, 0), loc: loc, want: true},
		{name: "DST spring: 07:59 CEST on the day", w: day, t: utc(2026, 3, 29, 5, 59), loc: loc, want: false},
		{name: "DST spring: 01:59 CET, before the skipped hour", w: w("02:00", "03:00", "", ""), t: utc(2026, 3, 29, 0, 59), loc: loc, want: false},
		{name: "DST spring: 03:00 CEST, the skipped hour never happens", w: w("02:00", "03:00", "", ""), t: utc(2026, 3, 29, 1, 0), loc: loc, want: false},
		{name: "DST spring: night that began before the change", w: w("22:00", "06:00", "", "2026-03-28"), t: utc(2026, 3, 29, 3, 59), loc: loc, want: true}, // 05:59 CEST
		{name: "DST spring: night ends at 06:00 wall clock", w: w("22:00", "06:00", "", "2026-03-28"), t: utc(2026, 3, 29, 4, 0), loc: loc, want: false},     // 06:00 CEST

		// Europe/Berlin falls back on 2026-10-25 at 03:00 CEST to 02:00 CET; 02:00–03:00 happens twice.
		{name: "DST autumn: 01:59 CEST", w: w("02:00", "03:00", "", ""), t: utc(2026, 10, 24, 23, 59), loc: loc, want: false},
		{name: "DST autumn: first 02:30 (CEST)", w: w("02:00", "03:00", "", ""), t: utc(2026, 10, 25, 0, 30), loc: loc, want: true},
		{name: "DST autumn: second 02:30 (CET)", w: w("02:00", "03:00", "", ""), t: utc(2026, 10, 25, 1, 30), loc: loc, want: true},
		{name: "DST autumn: 03:00 CET", w: w("02:00", "03:00", "", ""), t: utc(2026, 10, 25, 2, 0), loc: loc, want: false},
		{name: "DST autumn: 07:30 CET", w: day, t: utc(2026, 10, 25, 6, 30), loc: loc, want: false},
		{name: "DST autumn: 08:30 CET", w: day, t: utc(2026, 10, 25, 7, 30), loc: loc, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.w.Allows(tt.t, tt.loc); got != tt.want {
				t.Errorf("%v.Allows(%v) = %v, want %v", tt.w, tt.t.In(loc), got, tt.want)
			}
		})
	}
}

func TestDecide(t *testing.T) {
	t.Parallel()
	loc := berlin(t)
	day := Window{Earliest: TimeOfDay{8, 0}, Latest: TimeOfDay{18, 0}}
	late := Window{Earliest: TimeOfDay{9, 0}, Latest: TimeOfDay{20, 0}}
	night := Window{Earliest: TimeOfDay{22, 0}, Latest: TimeOfDay{6, 0}}
	semester := Window{Earliest: TimeOfDay{8, 0}, Latest: TimeOfDay{18, 0}, FirstDate: Date{2026, time.October, 1}, LastDate: Date{2027, time.March, 31}}
	noon := time.Date(2026, 10, 5, 12, 0, 0, 0, loc)
	evening := time.Date(2026, 10, 5, 19, 0, 0, 0, loc)
	morning := time.Date(2026, 10, 5, 8, 30, 0, 0, loc)
	tests := []struct {
		name        string
		account     *Window
		roles       map[string]Window
		t           time.Time
		loc         *time.Location
		wantWindows []Window // nil = allowed
		wantMessage string
	}{
		{name: "no windows at all", t: evening, loc: loc},
		{name: "empty role map", roles: map[string]Window{}, t: evening, loc: loc},
		{name: "role window allows", roles: map[string]Window{"student": day}, t: noon, loc: loc},
		{
			name: "role window refuses", roles: map[string]Window{"student": day}, t: evening, loc: loc,
			wantWindows: []Window{day}, wantMessage: "Sign-in is allowed only 08:00–18:00 (Europe/Berlin).",
		},
		{name: "every role window allows", roles: map[string]Window{"student": day, "tutor": late}, t: noon, loc: loc},
		{
			name: "one role refuses: both windows are named, sorted by role", roles: map[string]Window{"tutor": late, "student": day}, t: evening, loc: loc,
			wantWindows: []Window{day, late}, wantMessage: "Sign-in is allowed only 08:00–18:00, and only 09:00–20:00 (Europe/Berlin).",
		},
		{
			name: "the other role refuses", roles: map[string]Window{"student": day, "tutor": late}, t: morning, loc: loc,
			wantWindows: []Window{day, late},
		},
		{
			name: "identical windows are named once", roles: map[string]Window{"student": day, "guest": day}, t: evening, loc: loc,
			wantWindows: []Window{day}, wantMessage: "Sign-in is allowed only 08:00–18:00 (Europe/Berlin).",
		},
		{
			name: "disjoint role windows never allow", roles: map[string]Window{"a-day": day, "b-night": night}, t: time.Date(2026, 10, 5, 23, 0, 0, 0, loc), loc: loc,
			wantWindows: []Window{day, night},
		},
		{name: "account window alone decides: allows where a role would refuse", account: &night, roles: map[string]Window{"student": day}, t: time.Date(2026, 10, 5, 23, 0, 0, 0, loc), loc: loc},
		{
			name: "account window alone decides: refuses where roles would allow", account: &late, roles: map[string]Window{"student": day}, t: morning, loc: loc,
			wantWindows: []Window{late}, wantMessage: "Sign-in is allowed only 09:00–20:00 (Europe/Berlin).",
		},
		{name: "account window without roles", account: &day, t: noon, loc: loc},
		{
			name: "message names the dates", account: &semester, t: time.Date(2027, 4, 1, 12, 0, 0, 0, loc), loc: loc,
			wantWindows: []Window{semester}, wantMessage: "Sign-in is allowed only 08:00–18:00 from 2026-10-01 to 2027-03-31 (Europe/Berlin).",
		},
		{
			name: "nil zone means UTC", roles: map[string]Window{"student": day}, t: time.Date(2026, 10, 5, 18, 30, 0, 0, time.UTC), loc: nil,
			wantWindows: []Window{day}, wantMessage: "Sign-in is allowed only 08:00–18:00 (UTC).",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := Decide(tt.account, tt.roles, tt.t, tt.loc)
			if tt.wantWindows == nil {
				if err != nil {
					t.Fatalf("Decide = %v, want nil", err)
				}
				return
			}
			var we *WindowError
			if !errors.As(err, &we) {
				t.Fatalf("Decide = %v, want a *WindowError", err)
			}
			if !slices.Equal(we.Windows, tt.wantWindows) {
				t.Errorf("Windows = %v, want %v", we.Windows, tt.wantWindows)
			}
			wantZone := "UTC"
			if tt.loc != nil {
				wantZone = tt.loc.String()
			}
			if we.Zone != wantZone {
				t.Errorf("Zone = %q, want %q", we.Zone, wantZone)
			}
			if tt.wantMessage != "" && err.Error() != tt.wantMessage {
				t.Errorf("message = %q, want %q", err.Error(), tt.wantMessage)
			}
		})
	}
}
