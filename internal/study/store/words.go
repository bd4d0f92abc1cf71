package store

import (
	"context"
	"database/sql"
	"strings"

	"campus/internal/db"
	"campus/internal/study"
	"campus/internal/textsearch"
)

// Search words: programmes by title, degree and description; modules and
// lectures by their code (whole and in parts) and title.
func programmeWords(p study.Programme) []string {
	return textsearch.Words(p.Title, p.Degree, p.Description)
}

func codeWords(code, title string) []string {
	return textsearch.Normalize(append([]string{textsearch.Fold(code)}, textsearch.Words(code, title)...))
}

// indexTx replaces the search words of one catalogue entry.
func indexTx(ctx context.Context, tx *sql.Tx, kind, id string, words []string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM catalogue_words WHERE kind = $1 AND id = $2`, kind, id); err != nil {
		return err
	}
	if len(words) == 0 {
		return nil
	}
	var a db.Args
	values := make([]string, len(words))
	k, i := a.Add(kind), a.Add(id)
	for n, w := range words {
		values[n] = "(" + k + ", " + i + ", " + a.Add([]byte(w)) + ")"
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO catalogue_words (kind, id, word) VALUES `+strings.Join(values, ", "), a.Values()...)
	return err
}

// wordConditions restricts a query on table alias t to rows whose words
// begin with every term of q; false when q has no searchable term.
func wordConditions(a *db.Args, kind, idColumn, q string) ([]string, bool) {
	terms := textsearch.Terms(q)
	if len(terms) == 0 {
		return nil, false
	}
	var where []string
	for _, t := range terms {
		lo, hi := textsearch.Range(t)
		where = append(where, idColumn+` IN (SELECT id FROM catalogue_words WHERE kind = `+a.Add(kind)+
			` AND word >= `+a.Add(lo)+` AND word < `+a.Add(hi)+`)`)
	}
	return where, true
}
