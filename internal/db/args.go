package db

import "strconv"

// Args collects a query's arguments and hands out their placeholders,
// $1, $2, ... in the order they are added, so that a query built from
// optional conditions stays parameterised:
//
//	var a db.Args
//	where = append(where, `status = `+a.Add(status))
//	rows, err := tx.QueryContext(ctx, q, a.Values()...)
type Args struct{ values []any }

// Add appends v and returns its placeholder.
func (a *Args) Add(v any) string {
	a.values = append(a.values, v)
	return "$" + strconv.Itoa(len(a.values))
}

// Values returns the arguments, for QueryContext and ExecContext.
func (a *Args) Values() []any { return a.values }
