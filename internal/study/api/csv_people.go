package api

import (
	"context"
	"fmt"

	"campus/internal/study/store"
	"campus/internal/study/subjects"
)

// Resolver finds the subject ids of usernames and e-mail addresses at
// identity (subjects.Checker): a map from each login as given to its id,
// the logins of nobody absent; an error means identity could not tell.
// People implementations may offer it; without it a grade file must name
// people by subject id.
type Resolver interface {
	Resolve(ctx context.Context, logins []string) (map[string]string, error)
}

var _ Resolver = (*subjects.Checker)(nil)

// resolvePeople gives every row that names its person by username or
// e-mail address (anything that is not a subject id) the person's subject
// id, asking identity once for all of them. Rows whose person identity
// does not know are refused with the row's line and value; a person named
// twice (by id and by username, say) is refused on the later line, as in
// parseGradeCSV. persons maps a line to the name the file gave, for the
// report. The error is identity's, when it could not answer: then nothing
// may be applied.
func (s *server) resolvePeople(ctx context.Context, rows []store.GradeRow, refused []csvRowJSON) (_ []store.GradeRow, _ []csvRowJSON, persons map[int]string, _ error) {
	persons = map[int]string{}
	var logins []string
	asked := map[string]bool{}
	for _, row := range rows {
		if sub := row.Record.Subject; !subjects.ValidID(sub) {
			persons[row.Line] = sub
			if !asked[sub] {
				asked[sub] = true
				logins = append(logins, sub)
			}
		}
	}
	if len(logins) == 0 {
		return rows, refused, persons, nil
	}
	found := map[string]string{}
	resolver, ok := s.people.(Resolver)
	if ok {
		var err error
		if found, err = resolver.Resolve(ctx, logins); err != nil {
			return nil, nil, nil, err
		}
	}
	kept := rows[:0]
	seen := map[string]int{}
	for _, row := range rows {
		if name, byName := persons[row.Line]; byName {
			id, known := found[name]
			if !known {
				reason := fmt.Sprintf("No account has the username or e-mail address %q.", name)
				if !ok {
					reason = "Name the person by their subject id: usernames cannot be looked up, as the study service has no client credentials at identity."
				}
				refused = append(refused, csvRowJSON{Line: row.Line, Subject: name, Person: name, Grade: row.Record.Grade.String(),
					Result: "refused", Reason: reason})
				continue
			}
			row.Record.Subject = id
		}
		if first, dup := seen[row.Record.Subject]; dup {
			refused = append(refused, csvRowJSON{Line: row.Line, Subject: row.Record.Subject, Person: persons[row.Line], Grade: row.Record.Grade.String(),
				Result: "refused", Reason: fmt.Sprintf("The same person as on line %d.", first)})
			continue
		}
		seen[row.Record.Subject] = row.Line
		kept = append(kept, row)
	}
	return kept, refused, persons, nil
}
