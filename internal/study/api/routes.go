package api

import (
	"log/slog"
	"net/http"
	"time"

	"campus/internal/httpserver"
	"campus/internal/problem"
	"campus/internal/study/store"
)

// Deps is what the study API needs.
type Deps struct {
	Logger *slog.Logger
	// Issuer is identity's issuer URL, whose tokens the API trusts.
	Issuer string
	// Ready are the readiness checks: the study database and identity.
	Ready []httpserver.Check
	Store *store.Store
	// JWT verifies identity's access tokens; Keys introspects opaque ones
	// (API keys), nil to refuse them.
	JWT  JWTVerifier
	Keys Introspector
	Now  func() time.Time
}

// NewServer returns the study service's handler, relative to its base path.
func NewServer(d Deps) http.Handler {
	s := &server{store: d.Store, auth: &authenticator{jwt: d.JWT, keys: d.Keys}, logger: d.Logger, now: d.Now}
	const write, gradesW, gradesR = "studies:write", "grades:write", "grades:read"
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", httpserver.Healthz("study"))
	mux.Handle("GET /readyz", httpserver.Readyz("study", d.Logger, d.Ready...))
	mux.Handle("GET /{$}", httpserver.JSON(map[string]string{
		"service":      "study",
		"description":  "campus study: programmes, modules, lectures, enrolments and grades (REST API)",
		"api":          "v1",
		"token_issuer": d.Issuer,
	}))

	// Catalogue: public reads, studies:write for changes.
	mux.Handle("GET /v1/programmes", s.public(s.listProgrammes))
	mux.Handle("POST /v1/programmes", s.needs(write, s.createProgramme))
	mux.Handle("GET /v1/programmes/{id}", s.public(s.getProgramme))
	mux.Handle("PATCH /v1/programmes/{id}", s.needs(write, s.patchProgramme))
	mux.Handle("DELETE /v1/programmes/{id}", s.needs(write, s.deleteProgramme))
	mux.Handle("PUT /v1/programmes/{id}/modules/{moduleId}", s.needs(write, s.linkModule))
	mux.Handle("DELETE /v1/programmes/{id}/modules/{moduleId}", s.needs(write, s.unlinkModule))
	mux.Handle("GET /v1/modules", s.public(s.listModules))
	mux.Handle("POST /v1/modules", s.needs(write, s.createModule))
	mux.Handle("GET /v1/modules/{id}", s.public(s.getModule))
	mux.Handle("PATCH /v1/modules/{id}", s.needs(write, s.patchModule))
	mux.Handle("DELETE /v1/modules/{id}", s.needs(write, s.deleteModule))
	mux.Handle("PUT /v1/modules/{id}/lectures/{lectureId}", s.needs(write, s.linkLecture))
	mux.Handle("DELETE /v1/modules/{id}/lectures/{lectureId}", s.needs(write, s.unlinkLecture))
	mux.Handle("GET /v1/lectures", s.public(s.listLectures))
	mux.Handle("POST /v1/lectures", s.needs(write, s.createLecture))
	mux.Handle("GET /v1/lectures/{id}", s.public(s.getLecture))
	mux.Handle("PATCH /v1/lectures/{id}", s.needs(write, s.patchLecture))
	mux.Handle("DELETE /v1/lectures/{id}", s.needs(write, s.deleteLecture))

	// A person's own enrolments and grades.
	mux.Handle("GET /v1/me/enrolments", s.person(s.myEnrolments))
	mux.Handle("POST /v1/me/enrolments", s.person(s.enrolMe))
	mux.Handle("PATCH /v1/me/enrolments/{id}", s.person(s.patchMyEnrolment))
	mux.Handle("GET /v1/me/grades", s.person(s.myGrades))
	mux.Handle("GET /v1/me/overview", s.person(s.myOverview))

	// Staff: enrolments and grades of others.
	mux.Handle("GET /v1/enrolments", s.needs(gradesR, s.listEnrolments))
	mux.Handle("POST /v1/enrolments", s.needs(gradesW, s.enrol))
	mux.Handle("GET /v1/lectures/{id}/students", s.needs(gradesR, s.lectureStudents))
	mux.Handle("GET /v1/lectures/{id}/grades", s.needs(gradesR, s.lectureGrades))
	mux.Handle("POST /v1/lectures/{id}/grades", s.needs(gradesW, func(w http.ResponseWriter, r *http.Request, p *Principal) {
		s.addGrade(w, r, p, r.PathValue("id"), "")
	}))
	mux.Handle("POST /v1/lectures/{id}/grades/upload", s.needs(gradesW, s.uploadGrades))
	mux.Handle("GET /v1/lectures/{id}/statistics", s.needs(gradesR, s.lectureStatistics))
	mux.Handle("POST /v1/modules/{id}/grades", s.needs(gradesW, func(w http.ResponseWriter, r *http.Request, p *Principal) {
		s.addGrade(w, r, p, "", r.PathValue("id"))
	}))
	mux.Handle("PATCH /v1/grades/{id}", s.needs(gradesW, s.patchGrade))
	mux.Handle("DELETE /v1/grades/{id}", s.needs(gradesW, s.deleteGrade))
	mux.Handle("GET /v1/grades/export", s.needs(gradesR, s.exportGrades))

	mux.Handle("/", problem.NotFound())
	return mux
}
