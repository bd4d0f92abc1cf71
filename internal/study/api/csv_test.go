package api

import (
	"strings"
	"testing"
)

func TestParseGradeCSV(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       string
		fileErr  string   // the whole file refused
		accepted []string // subjects going to the store, in order
		refused  map[int]string
	}{
		{name: "commas", in: "subject,grade\nana,1.3\nbob,2.0\n", accepted: []string{"ana", "bob"}},
		{name: "semicolons and decimal commas (a German spreadsheet)", in: "subject;grade;status\nana;1,3;final\nbob;2;provisional\n", accepted: []string{"ana", "bob"}},
		{name: "byte order mark and CRLF", in: "\xef\xbb\xbfsubject,grade\r\nana,1.0\r\n", accepted: []string{"ana"}},
		{name: "columns in any order, blank lines", in: "grade,attempt,subject\n\n1.7,2,ana\n", accepted: []string{"ana"}},
		{name: "a grade off the scale", in: "subject,grade\nana,1.5\nbob,2.3\n", accepted: []string{"bob"}, refused: map[int]string{2: "Use a grade on the scale"}},
		{name: "a bad attempt", in: "subject,grade,attempt\nana,1.0,first\n", refused: map[int]string{2: "attempt must be a number"}},
		{name: "a bad date", in: "subject,grade,graded_on\nana,1.0,14.02.2026\n", refused: map[int]string{2: "Use a date like"}},
		{name: "a template: usernames, names, ungraded rows left out", in: "subject,username,name,grade\n,ana,Ana A.,1.3\nbob-id,bob,Bob,\n,cem,\"=Cem\",2.0\n", accepted: []string{"ana", "cem"}},
		{name: "username column only", in: "username;grade\nana;1,3\n", accepted: []string{"ana"}},
		{name: "a missing subject", in: "subject,grade\n,1.0\n", refused: map[int]string{2: "Name the person"}},
		{name: "the same person twice", in: "subject,grade\nana,1.0\nana,2.0\n", accepted: []string{"ana"}, refused: map[int]string{3: "same person as on line 2"}},
		{name: "a broken quote", in: "subject,grade\n\"ana,1.0\nbob,1.3\n", refused: map[int]string{2: "Not valid CSV"}},
		{name: "not UTF-8 (Latin-1 from an old spreadsheet)", in: "subject,grade\nm\xfcller,1.0\n", fileErr: "not UTF-8"},
		{name: "no header", in: "ana,1.0\n", fileErr: "unknown column"},
		{name: "header without grade", in: "subject,mark\nana,1.0\n", fileErr: "unknown column"},
		{name: "header without a person", in: "name,grade\nana,1.0\n", fileErr: "at least subject (or username) and grade"},
		{name: "empty file", in: "", fileErr: "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rows, refused, err := parseGradeCSV([]byte(tt.in), "grader", "lecture-1")
			if tt.fileErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.fileErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.fileErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rows {
				got = append(got, r.Record.Subject)
				if r.Record.LectureID != "lecture-1" || r.Record.Grader != "grader" || !r.Record.Grade.Valid() {
					t.Errorf("row %d: %+v", r.Line, r.Record)
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.accepted, ",") {
				t.Errorf("accepted %v, want %v", got, tt.accepted)
			}
			if len(refused) != len(tt.refused) {
				t.Fatalf("refused %+v, want lines %v", refused, tt.refused)
			}
			for _, r := range refused {
				if want, ok := tt.refused[r.Line]; !ok || !strings.Contains(r.Reason, want) {
					t.Errorf("line %d refused with %q, want %q", r.Line, r.Reason, tt.refused[r.Line])
				}
			}
		})
	}
}
