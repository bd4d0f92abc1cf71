package db

import "database/sql"

// Scanner is one row to read: a *sql.Row or the current row of *sql.Rows.
// It is an alias, so a store's scanX(row interface{ Scan(...any) error })
// helper serves both QueryRow and Collect.
type Scanner = interface{ Scan(dest ...any) error }

// Collect reads every row of a query with scan and closes the rows. It
// takes the query's error as well, so that a call reads
//
//	rows, err := tx.QueryContext(ctx, q, args...)
//	out, err := db.Collect(rows, err, scanThing)
//
// It returns the first error of the query, of scan, or of the iteration
// (rows.Err), and no rows with it.
func Collect[T any](rows *sql.Rows, err error, scan func(Scanner) (T, error)) ([]T, error) {
	var out []T
	err = Each(rows, err, func(r Scanner) error {
		v, err := scan(r)
		if err != nil {
			return err
		}
		out = append(out, v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Each calls fn for every row of a query and closes the rows; for loops
// that fill a map, count, or stream rather than collect. It stops at the
// first error of the query, of fn, or of the iteration (rows.Err).
func Each(rows *sql.Rows, err error, fn func(Scanner) error) error {
	if err != nil {
		if rows != nil {
			rows.Close()
		}
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Value scans a one-column row into a T: db.Collect(rows, err, db.Value[string]).
func Value[T any](row Scanner) (T, error) {
	var v T
	err := row.Scan(&v)
	return v, err
}
