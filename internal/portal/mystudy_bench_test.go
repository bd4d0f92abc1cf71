package portal

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

// bigOverview is a programme of 40 modules with 3 lectures each, graded.
func bigOverview() overview {
	ov := overview{Programme: programme{Title: "Computer Science", Degree: "B.Sc.", Semesters: 6, CreditsRequired: 180},
		CreditsEarned: 95, CreditsRequired: 180, Progress: 95.0 / 180, Mean: "2.3"}
	statuses := []string{"passed", "passed", "open", "in_progress", "not_started"}
	for m := range 40 {
		mr := moduleResult{ModuleID: fmt.Sprint("m", m), Code: fmt.Sprintf("INF-%03d", m), Title: fmt.Sprintf("Module number %d on a topic", m),
			Credits: 5, Compulsory: m%4 != 3, RecommendedSemester: 1 + m%6, Status: statuses[m%5], Mark: "2.3"}
		for l := range 3 {
			mr.Lectures = append(mr.Lectures, lectureResult{LectureID: fmt.Sprint("l", m, l), Code: fmt.Sprintf("INF-%03d-%d", m, l),
				Title: fmt.Sprintf("Lecture %d of module %d", l, m), HoursPerWeek: 2, Grade: "1.7", Attempt: 1 + l%2, Status: "passed"})
		}
		ov.Modules = append(ov.Modules, mr)
	}
	return ov
}

// BenchmarkRenderMyStudy measures the server time to render my study (the
// detailed list) for 40 modules and 120 lectures with grades, and reports
// its p99 and the page's size.
//
//	go test -run '^$' -bench RenderMyStudy -benchtime 2000x ./internal/portal
func BenchmarkRenderMyStudy(b *testing.B) {
	pages, err := parsePages()
	if err != nil {
		b.Fatal(err)
	}
	s := &server{d: Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, pages: pages, csp: contentSecurityPolicy("", false)}
	ov := bigOverview()
	var lat []time.Duration
	size := 0
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		w := httptest.NewRecorder()
		p := page{Lang: English, Title: "My study", Path: "/my", User: &session{tokens: tokens{Name: "Ben", Roles: []string{"student"}}},
			Data: map[string]any{"Detail": true, "Overview": ov, "Percent": 53, "Plan": plan(ov.Modules)}}
		s.render(w, http.StatusOK, "mystudy", p)
		lat = append(lat, time.Since(t0))
		size = w.Body.Len()
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(size)/1024, "page-KiB")
}
