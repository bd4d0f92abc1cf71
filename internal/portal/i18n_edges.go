package portal

import "context"

// semesterAfterLast says why sem is after the last semester of programme
// id, "" when it is not or the programme cannot be read (the study API
// checks it again when the module is linked).
func (s *server) semesterAfterLast(ctx context.Context, sess *session, lang Lang, id string, sem int) string {
	p, err := s.study.Programme(ctx, sess, id)
	switch {
	case err != nil || sem <= p.Semesters:
		return ""
	case p.Semesters == 1:
		return T(lang, "catalogue.recommended.after.one")
	}
	return T(lang, "catalogue.recommended.after", p.Semesters, p.Semesters)
}

// The portal's messages for issue 13's rough edges, added to the
// catalogue here rather than in the middle of it.
func init() {
	addMessages(map[Lang]map[string]string{
		English: {
			// One minute left is singular ("catalogue.unlocked" says %d minutes).
			"catalogue.unlocked.one": "Editing is unlocked for 1 more minute (until %s).",
			// A recommended semester after the programme's last (catalogue_admin.go).
			"catalogue.recommended.after":     "This programme has %d semesters; choose a semester from 1 to %d.",
			"catalogue.recommended.after.one": "This programme has only 1 semester; choose semester 1.",
			// A form sent to the portal from another website (portal.go).
			"error.crossorigin": "This form was sent from another website, so it was refused and nothing was changed. Go back to the portal, reload the page and try again.",
		},
		German: {
			"catalogue.unlocked.one":          "Die Bearbeitung ist noch 1 Minute freigegeben (bis %s).",
			"catalogue.recommended.after":     "Dieser Studiengang hat %d Semester; wählen Sie ein Semester von 1 bis %d.",
			"catalogue.recommended.after.one": "Dieser Studiengang hat nur 1 Semester; wählen Sie Semester 1.",
			"error.crossorigin":               "Dieses Formular wurde von einer anderen Website gesendet; es wurde abgelehnt und nichts wurde geändert. Gehen Sie zurück zum Portal, laden Sie die Seite neu und versuchen Sie es noch einmal.",
		},
	})
}
