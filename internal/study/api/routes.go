package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"campus/internal/httpserver"
	"campus/internal/problem"
	"campus/internal/rest"
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
	// People says whether subject ids are identity's people, before staff
	// enrol someone; nil refuses such enrolments (503), since they could
	// not be checked.
	People People
	Now    func() time.Time
	// RequireMFA refuses the catalogue's and grades' changes (the
	// operations that need studies:write or grades:write) to tokens of a
	// sign-in without a second factor; see needs.
	RequireMFA bool
}

// People says which of some subject ids identity does not know
// (subjects.Checker); an error means it could not tell.
type People interface {
	Unknown(ctx context.Context, ids []string) ([]string, error)
}

// NewServer returns the study service's handler, relative to its base path.
// The documentation page was rendered from the spec by go generate.
func NewServer(d Deps) (http.Handler, error) {
	docs, err := generatedDocs()
	if err != nil {
		return nil, err
	}
	s := &server{store: d.Store, auth: &authenticator{jwt: d.JWT, keys: d.Keys}, people: d.People, logger: d.Logger, now: d.Now,
		requireMFA: d.RequireMFA}
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", httpserver.Healthz("study"))
	mux.Handle("GET /readyz", httpserver.Readyz("study", d.Logger, d.Ready...))
	mux.Handle("GET /{$}", httpserver.JSON(map[string]string{
		"service":      "study",
		"description":  "campus study: programmes, modules, lectures, enrolments and grades (REST API)",
		"api":          "v1",
		"token_issuer": d.Issuer,
		"docs":         "v1/docs",
	}))
	patterns := []string{"GET /healthz", "GET /readyz", "GET /{$}"}
	for _, rt := range s.routes(docs) {
		mux.Handle(rt.pattern, rt.h)
		patterns = append(patterns, rt.pattern)
	}
	mux.Handle("/", rest.MethodNotAllowed(patterns, problem.NotFound()))
	return mux, nil
}

type route struct {
	pattern string
	h       http.Handler
}

// routes is the API: every route here is an operation of api/study.yaml
// and the other way round (TestRoutesMatchTheSpec).
func (s *server) routes(docs *docs) []route {
	const write, gradesW, gradesR = "studies:write", "grades:write", "grades:read"
	return []route{
		// The catalogue: public reads, studies:write for changes.
		{"GET /v1/programmes", s.public(s.listProgrammes)},
		{"POST /v1/programmes", s.needs(write, s.createProgramme)},
		{"GET /v1/programmes/{id}", s.public(s.getProgramme)},
		{"PATCH /v1/programmes/{id}", s.needs(write, s.patchProgramme)},
		{"DELETE /v1/programmes/{id}", s.needs(write, s.deleteProgramme)},
		{"PUT /v1/programmes/{id}/modules/{moduleId}", s.needs(write, s.linkModule)},
		{"DELETE /v1/programmes/{id}/modules/{moduleId}", s.needs(write, s.unlinkModule)},
		{"GET /v1/modules", s.public(s.listModules)},
		{"POST /v1/modules", s.needs(write, s.createModule)},
		{"GET /v1/modules/{id}", s.public(s.getModule)},
		{"PATCH /v1/modules/{id}", s.needs(write, s.patchModule)},
		{"DELETE /v1/modules/{id}", s.needs(write, s.deleteModule)},
		{"PUT /v1/modules/{id}/lectures/{lectureId}", s.needs(write, s.linkLecture)},
		{"DELETE /v1/modules/{id}/lectures/{lectureId}", s.needs(write, s.unlinkLecture)},
		{"PUT /v1/programmes/{id}/staff/{sub}", s.needs(write, s.putStaff(s.store.AddProgrammeStaff))},
		{"DELETE /v1/programmes/{id}/staff/{sub}", s.needs(write, s.deleteStaff(s.store.RemoveProgrammeStaff))},
		{"PUT /v1/modules/{id}/staff/{sub}", s.needs(write, s.putStaff(s.store.AddModuleStaff))},
		{"DELETE /v1/modules/{id}/staff/{sub}", s.needs(write, s.deleteStaff(s.store.RemoveModuleStaff))},
		{"GET /v1/lectures", s.public(s.listLectures)},
		{"POST /v1/lectures", s.needs(write, s.createLecture)},
		{"GET /v1/lectures/{id}", s.public(s.getLecture)},
		{"PATCH /v1/lectures/{id}", s.needs(write, s.patchLecture)},
		{"DELETE /v1/lectures/{id}", s.needs(write, s.deleteLecture)},

		// A person's own enrolments and grades.
		{"GET /v1/me/enrolments", s.person(s.myEnrolments)},
		{"POST /v1/me/enrolments", s.person(s.enrolMe)},
		{"PATCH /v1/me/enrolments/{id}", s.person(s.patchMyEnrolment)},
		{"GET /v1/me/grades", s.person(s.myGrades)},
		{"GET /v1/me/overview", s.person(s.myOverview)},

		// Staff: enrolments and grades of others.
		{"GET /v1/enrolments", s.needs(gradesR, s.listEnrolments)},
		{"POST /v1/enrolments", s.needs(gradesW, s.enrol)},
		{"GET /v1/lectures/{id}/students", s.needs(gradesR, s.lectureStudents)},
		{"GET /v1/lectures/{id}/grades", s.needs(gradesR, s.lectureGrades)},
		{"POST /v1/lectures/{id}/grades", s.needs(gradesW, func(w http.ResponseWriter, r *http.Request, p *Principal) {
			s.addGrade(w, r, p, r.PathValue("id"), "")
		})},
		{"POST /v1/lectures/{id}/grades/upload", s.needs(gradesW, s.uploadGrades)},
		{"GET /v1/lectures/{id}/statistics", s.needs(gradesR, s.lectureStatistics)},
		{"POST /v1/modules/{id}/grades", s.needs(gradesW, func(w http.ResponseWriter, r *http.Request, p *Principal) {
			s.addGrade(w, r, p, "", r.PathValue("id"))
		})},
		{"PATCH /v1/grades/{id}", s.needs(gradesW, s.patchGrade)},
		{"DELETE /v1/grades/{id}", s.needs(gradesW, s.deleteGrade)},
		{"GET /v1/grades/export", s.needs(gradesR, s.exportGrades)},

		// Services: the rosters of the course groups in messages.
		{"GET /v1/rosters", s.needs("rosters:read", s.rosters)},

		// About the API.
		{"GET /v1/openapi.yaml", handleSpec()},
		{"GET /v1/docs", docs.handlePage()},
		{"GET /v1/docs.css", docs.handleCSS()},
	}
}
