package api

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"campus/internal/study"
)

// TestMyOverviewWithoutProgramme: without programme_id, /v1/me/overview
// answers for the programme the caller studies: 404 when enrolled in
// none, the one active enrolment, 400 naming programme_id with several,
// and with none active the most recent one.
func TestMyOverviewWithoutProgramme(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t, nil)
	ctx := context.Background()
	if resp, raw := a.do("GET", "/v1/me/overview", "", ""); resp.StatusCode != http.StatusNotFound || !strings.Contains(raw, "not enrolled in any programme") {
		t.Fatalf("enrolled in none: %d %s", resp.StatusCode, raw)
	}
	first, err := a.store.Enrol(ctx, study.Enrolment{Subject: graderSub, ProgrammeID: a.c.ID, Since: time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)}, false)
	if err != nil {
		t.Fatal(err)
	}
	if resp, raw := a.do("GET", "/v1/me/overview", "", ""); resp.StatusCode != http.StatusOK || !strings.Contains(raw, `"id":"`+a.c.ID+`"`) {
		t.Fatalf("one programme: %d %s", resp.StatusCode, raw)
	}
	other, err := a.store.CreateProgramme(ctx, study.Programme{Title: "M.Sc. Computer Science", Degree: "M.Sc.", Semesters: 4, CreditsRequired: 120, Language: "en", Status: study.ProgrammePublished})
	if err != nil {
		t.Fatal(err)
	}
	second, err := a.store.Enrol(ctx, study.Enrolment{Subject: graderSub, ProgrammeID: other.ID, Since: time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)}, false)
	if err != nil {
		t.Fatal(err)
	}
	if resp, raw := a.do("GET", "/v1/me/overview", "", ""); resp.StatusCode != http.StatusBadRequest || !strings.Contains(raw, `"field":"programme_id"`) {
		t.Fatalf("two programmes: %d %s", resp.StatusCode, raw)
	}
	if resp, raw := a.do("GET", "/v1/me/overview?programme_id="+a.c.ID, "", ""); resp.StatusCode != http.StatusOK || !strings.Contains(raw, `"id":"`+a.c.ID+`"`) {
		t.Fatalf("one of two named: %d %s", resp.StatusCode, raw)
	}
	// Neither active: the most recent enrolment.
	for _, e := range []study.Enrolment{first.Enrolment, second.Enrolment} {
		if _, err := a.store.SetEnrolmentStatus(ctx, e.ID, e.Version, study.EnrolmentCompleted); err != nil {
			t.Fatal(err)
		}
	}
	if resp, raw := a.do("GET", "/v1/me/overview", "", ""); resp.StatusCode != http.StatusOK || !strings.Contains(raw, `"id":"`+other.ID+`"`) {
		t.Fatalf("none active: %d %s", resp.StatusCode, raw)
	}
	if resp, raw := a.do("GET", "/v1/me/overview?programme_id=01a244a2-7acf-7c7e-bcb5-30c085e7261d", "", ""); resp.StatusCode != http.StatusNotFound || !strings.Contains(raw, "not enrolled in this programme") {
		t.Fatalf("another programme: %d %s", resp.StatusCode, raw)
	}
}
