package api

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"campus/internal/rest"
	"campus/internal/study"
	"campus/internal/study/store"
)

// visible reports whether p may read a programme with this status by id:
// drafts are for staff; published and archived ones are public (the list
// shows the public only published ones).
func visible(p *Principal, status study.ProgrammeStatus) bool {
	return status != study.ProgrammeDraft || p.Staff()
}

func (s *server) listProgrammes(w http.ResponseWriter, r *http.Request, p *Principal) {
	qs := rest.NewQuery(r)
	q := store.ProgrammeQuery{Q: searchQuery(qs), Degree: qs.Get("degree"), Page: page(qs)}
	status := study.ProgrammeStatus(qs.Get("status"))
	if status != "" && !status.Valid() {
		qs.Invalid("status", "must be draft, published or archived")
	}
	if qs.Answer(w) {
		return
	}
	if status != "" {
		if status != study.ProgrammePublished && !p.Staff() {
			if p == nil {
				unauthorized(w, errNoToken)
			} else if p.ReadOnly {
				forbidden(w, r, "studies:write", p) // keys read the public catalogue only
			} else {
				// A read, so not the study token's message of forbidden.
				rest.Forbidden(w, "studies:write", "Draft and archived programmes are listed only for staff and administrators, or with the permission studies:write.")
			}
			return
		}
		q.Statuses = []study.ProgrammeStatus{status}
	} else if !p.Staff() {
		q.Statuses = []study.ProgrammeStatus{study.ProgrammePublished}
	}
	items, next, err := s.store.Programmes(r.Context(), q)
	if err != nil {
		fail(w, r, s.logger, err)
		return
	}
	out := list[programmeJSON]{Items: make([]programmeJSON, len(items)), NextCursor: next}
	for i, it := range items {
		out.Items[i] = programmeOut(it)
	}
	rest.Reply(w, http.StatusOK, 0, out)
}

// maxQuery is the longest search the catalogue lists take, in code points:
// the limit and wording of identity's user search. Every term becomes a
// condition of its own, and SQLite refuses a statement with about a
// thousand of them ("Expression tree is too large"); 200 characters hold
// at most 100 terms.
const maxQuery = 200

// searchQuery is the q parameter of a catalogue list, if it is not too long.
func searchQuery(qs *rest.Query) string {
	q := qs.Get("q")
	if utf8.RuneCountInString(q) > maxQuery {
		qs.Invalid("q", "may be at most 200 characters")
		return ""
	}
	return q
}

func (s *server) createProgramme(w http.ResponseWriter, r *http.Request, p *Principal) {
	createVersioned[programmeInput](s, w, r, s.store.CreateProgramme, programmeOut, programmeVersion, func(x study.Programme) string { return "programmes/" + x.ID })
}

// getProgramme serves a programme's whole tree. The rendering is kept and
// served again while the catalogue's revision is unchanged: one tiny
// query instead of three and the JSON encoding of the tree.
func (s *server) getProgramme(w http.ResponseWriter, r *http.Request, p *Principal) {
	id := r.PathValue("id")
	rev, err := s.revision(r.Context())
	if err != nil {
		fail(w, r, s.logger, err)
		return
	}
	t, ok := s.trees.get(id, rev)
	if !ok {
		tree, err := s.store.ProgrammeTree(r.Context(), id)
		if err != nil {
			fail(w, r, s.logger, err)
			return
		}
		t = renderedTree{rev: rev, status: tree.Status, version: tree.Version}
		for i, staff := range []bool{false, true} {
			body, err := json.Marshal(treeOut(tree, staff))
			if err != nil {
				fail(w, r, s.logger, err)
				return
			}
			t.body[i] = append(body, '\n')
		}
		s.trees.put(id, t)
	}
	if !visible(p, t.status) {
		fail(w, r, s.logger, study.ErrNotFound) // drafts do not exist for the public
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("ETag", rest.ETag(t.version))
	h.Set("Vary", "Authorization")
	if p.Staff() {
		w.Write(t.body[1])
	} else {
		w.Write(t.body[0])
	}
}

// revisionTTL bounds how long the catalogue revision is taken from memory:
// another replica's change is seen within it; this replica's own changes
// at once (they forget the revision).
const revisionTTL = 250 * time.Millisecond

func (s *server) revision(ctx context.Context) (int64, error) {
	s.rev.mu.Lock()
	rev, fresh := s.rev.value, s.now().Before(s.rev.until)
	s.rev.mu.Unlock()
	if fresh {
		return rev, nil
	}
	rev, err := s.store.CatalogueRevision(ctx)
	if err != nil {
		return 0, err
	}
	s.rev.mu.Lock()
	s.rev.value, s.rev.until = rev, s.now().Add(revisionTTL)
	s.rev.mu.Unlock()
	return rev, nil
}

// changed forgets the catalogue revision after a change made here.
func (s *server) changed() {
	s.rev.mu.Lock()
	s.rev.until = time.Time{}
	s.rev.mu.Unlock()
}

type revisionMemo struct {
	mu    sync.Mutex
	value int64
	until time.Time
}

// renderedTree is a programme tree as JSON, at a catalogue revision.
type renderedTree struct {
	rev     int64
	status  study.ProgrammeStatus
	version int
	body    [2][]byte // without the staff, with them (for Principal.Staff)
}

// treeCache keeps rendered programme trees (a university has hundreds of
// programmes at most; the cap only guards against misuse).
type treeCache struct {
	mu sync.RWMutex
	m  map[string]renderedTree
}

func (c *treeCache) get(id string, rev int64) (renderedTree, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	t, ok := c.m[id]
	return t, ok && t.rev == rev
}

func (c *treeCache) put(id string, t renderedTree) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= 2000 {
		c.m = map[string]renderedTree{}
	}
	c.m[id] = t
}

func (s *server) patchProgramme(w http.ResponseWriter, r *http.Request, p *Principal) {
	patchVersioned[programmeInput](s, w, r, s.store.Programme, s.store.UpdateProgramme, programmeOut, programmeVersion)
}

func (s *server) deleteProgramme(w http.ResponseWriter, r *http.Request, p *Principal) {
	deleteVersioned(s, w, r, s.store.Programme, programmeVersion, s.store.DeleteProgramme)
}

func (s *server) listModules(w http.ResponseWriter, r *http.Request, p *Principal) {
	qs := rest.NewQuery(r)
	q := store.ListQuery{Q: searchQuery(qs), Page: page(qs)}
	if qs.Answer(w) {
		return
	}
	items, next, err := s.store.Modules(r.Context(), q)
	if err != nil {
		fail(w, r, s.logger, err)
		return
	}
	out := list[moduleJSON]{Items: make([]moduleJSON, len(items)), NextCursor: next}
	for i, it := range items {
		out.Items[i] = moduleOut(it)
	}
	rest.Reply(w, http.StatusOK, 0, out)
}

func (s *server) createModule(w http.ResponseWriter, r *http.Request, p *Principal) {
	createVersioned[moduleInput](s, w, r, s.store.CreateModule, moduleOut, moduleVersion, func(x study.Module) string { return "modules/" + x.ID })
}

func (s *server) getModule(w http.ResponseWriter, r *http.Request, p *Principal) {
	d, err := s.store.ModuleDetail(r.Context(), r.PathValue("id"))
	if err != nil {
		fail(w, r, s.logger, err)
		return
	}
	if !p.Staff() {
		// The public sees a module only in the programmes it can see.
		d.Programmes = slices.DeleteFunc(d.Programmes, func(ref study.ProgrammeRef) bool {
			prog, err := s.store.Programme(r.Context(), ref.ID)
			return err != nil || !visible(p, prog.Status)
		})
	}
	rest.Reply(w, http.StatusOK, d.Version, moduleDetailOut(d, p.Staff()))
}

func (s *server) patchModule(w http.ResponseWriter, r *http.Request, p *Principal) {
	patchVersioned[moduleInput](s, w, r, s.store.Module, s.store.UpdateModule, moduleOut, moduleVersion)
}

func (s *server) deleteModule(w http.ResponseWriter, r *http.Request, p *Principal) {
	deleteVersioned(s, w, r, s.store.Module, moduleVersion, s.store.DeleteModule)
}

func (s *server) listLectures(w http.ResponseWriter, r *http.Request, p *Principal) {
	qs := rest.NewQuery(r)
	q := store.ListQuery{Q: searchQuery(qs), Page: page(qs), Semester: study.Offered(qs.Get("semester"))}
	if q.Semester != "" && !q.Semester.Valid() {
		qs.Invalid("semester", "must be winter, summer or both")
	}
	if qs.Answer(w) {
		return
	}
	items, next, err := s.store.Lectures(r.Context(), q)
	if err != nil {
		fail(w, r, s.logger, err)
		return
	}
	rest.Reply(w, http.StatusOK, 0, list[lectureJSON]{Items: lecturesOut(items), NextCursor: next})
}

func (s *server) createLecture(w http.ResponseWriter, r *http.Request, p *Principal) {
	createVersioned[lectureInput](s, w, r, s.store.CreateLecture, lectureOut, lectureVersion, func(x study.Lecture) string { return "lectures/" + x.ID })
}

func (s *server) getLecture(w http.ResponseWriter, r *http.Request, p *Principal) {
	d, err := s.store.LectureDetail(r.Context(), r.PathValue("id"))
	if err != nil {
		fail(w, r, s.logger, err)
		return
	}
	rest.Reply(w, http.StatusOK, d.Version, lectureDetailOut(d))
}

func (s *server) patchLecture(w http.ResponseWriter, r *http.Request, p *Principal) {
	patchVersioned[lectureInput](s, w, r, s.store.Lecture, s.store.UpdateLecture, lectureOut, lectureVersion)
}

func (s *server) deleteLecture(w http.ResponseWriter, r *http.Request, p *Principal) {
	deleteVersioned(s, w, r, s.store.Lecture, lectureVersion, s.store.DeleteLecture)
}

func (s *server) linkModule(w http.ResponseWriter, r *http.Request, p *Principal) {
	in := linkInput{}
	if r.ContentLength != 0 && !rest.Decode(w, r, &in, nil) {
		return
	}
	pm := study.ProgrammeModule{ProgrammeID: r.PathValue("id"), ModuleID: r.PathValue("moduleId"), Compulsory: true, RecommendedSemester: 1}
	set(&pm.Compulsory, in.Compulsory)
	set(&pm.RecommendedSemester, in.RecommendedSemester)
	created, err := s.store.LinkModule(r.Context(), pm)
	if err != nil {
		fail(w, r, s.logger, err)
		return
	}
	m, err := s.store.ModuleDetail(r.Context(), pm.ModuleID)
	if err != nil {
		fail(w, r, s.logger, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	rest.Reply(w, status, 0, moduleInProgrammeJSON{moduleJSON: moduleOut(m.Module), Compulsory: pm.Compulsory,
		RecommendedSemester: pm.RecommendedSemester, Lectures: lecturesOut(m.Lectures)})
}

func (s *server) unlinkModule(w http.ResponseWriter, r *http.Request, p *Principal) {
	if err := s.store.UnlinkModule(r.Context(), r.PathValue("id"), r.PathValue("moduleId")); err != nil {
		fail(w, r, s.logger, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) linkLecture(w http.ResponseWriter, r *http.Request, p *Principal) {
	created, err := s.store.LinkLecture(r.Context(), r.PathValue("id"), r.PathValue("lectureId"))
	if err != nil {
		fail(w, r, s.logger, err)
		return
	}
	l, err := s.store.Lecture(r.Context(), r.PathValue("lectureId"))
	if err != nil {
		fail(w, r, s.logger, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	rest.Reply(w, status, l.Version, lectureOut(l))
}

func (s *server) unlinkLecture(w http.ResponseWriter, r *http.Request, p *Principal) {
	if err := s.store.UnlinkLecture(r.Context(), r.PathValue("id"), r.PathValue("lectureId")); err != nil {
		fail(w, r, s.logger, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// createVersioned creates one catalogue item from the body In decodes and
// answers it with its address under path ("programmes/").
func createVersioned[In interface{ apply(*T) }, T, J any](s *server, w http.ResponseWriter, r *http.Request,
	create func(context.Context, T) (T, error), out func(T) J, versionOf func(T) int, path func(T) string) {
	var in In
	if !rest.Decode(w, r, &in, nil) {
		return
	}
	var x T
	in.apply(&x)
	created, err := create(r.Context(), x)
	if err != nil {
		fail(w, r, s.logger, err)
		return
	}
	w.Header().Set("Location", path(created))
	rest.Reply(w, http.StatusCreated, versionOf(created), out(created))
}

// patchVersioned changes one catalogue item by the merge patch In decodes,
// against the version the caller read (If-Match), and answers the result.
func patchVersioned[In interface{ apply(*T) }, T, J any](s *server, w http.ResponseWriter, r *http.Request,
	get func(context.Context, string) (T, error), update func(ctx context.Context, id string, version int, change func(*T)) (T, error),
	out func(T) J, versionOf func(T) int) {
	version, ok := s.ifMatch(w, r, versionAt(r, get, versionOf))
	if !ok {
		return
	}
	var in In
	if !rest.Decode(w, r, &in, nil) {
		return
	}
	updated, err := update(r.Context(), r.PathValue("id"), version, in.apply)
	if err != nil {
		fail(w, r, s.logger, err)
		return
	}
	rest.Reply(w, http.StatusOK, versionOf(updated), out(updated))
}

// deleteVersioned deletes the item at {id} with the version If-Match
// names; ?force=true also removes its links.
func deleteVersioned[T any](s *server, w http.ResponseWriter, r *http.Request, get func(context.Context, string) (T, error),
	versionOf func(T) int, del func(ctx context.Context, id string, version int, force bool) error) {
	version, ok := s.ifMatch(w, r, versionAt(r, get, versionOf))
	if !ok {
		return
	}
	if err := del(r.Context(), r.PathValue("id"), version, r.URL.Query().Get("force") == "true"); err != nil {
		fail(w, r, s.logger, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func programmeVersion(p study.Programme) int { return p.Version }
func moduleVersion(m study.Module) int       { return m.Version }
func lectureVersion(l study.Lecture) int     { return l.Version }
