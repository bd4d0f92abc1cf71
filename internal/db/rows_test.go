package db_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"campus/internal/db"
)

// fakeDriver answers a query "N" with the rows 1..N, and "N!" with them
// followed by an error from the driver; it records whether each query's
// rows were closed, which a real engine does not show.
type fakeDriver struct {
	mu     sync.Mutex
	closed map[string]bool
}

var fake = &fakeDriver{closed: map[string]bool{}}

func init() { sql.Register("campus-fake", fake) }

var errDriver = errors.New("connection lost mid-result")

func (d *fakeDriver) Open(string) (driver.Conn, error) { return fakeConn{d}, nil }

func (d *fakeDriver) wasClosed(q string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.closed[q]
}

type fakeConn struct{ d *fakeDriver }

func (fakeConn) Prepare(string) (driver.Stmt, error) { return nil, errors.New("not supported") }
func (fakeConn) Close() error                        { return nil }
func (fakeConn) Begin() (driver.Tx, error)           { return nil, errors.New("not supported") }

func (c fakeConn) QueryContext(_ context.Context, q string, _ []driver.NamedValue) (driver.Rows, error) {
	n, err := strconv.Atoi(strings.TrimSuffix(q, "!"))
	if err != nil {
		return nil, err
	}
	c.d.mu.Lock()
	c.d.closed[q] = false
	c.d.mu.Unlock()
	return &fakeRows{d: c.d, q: q, n: n, fail: strings.HasSuffix(q, "!")}, nil
}

type fakeRows struct {
	d    *fakeDriver
	q    string
	i, n int
	fail bool
}

func (r *fakeRows) Columns() []string { return []string{"n"} }

func (r *fakeRows) Close() error {
	r.d.mu.Lock()
	r.d.closed[r.q] = true
	r.d.mu.Unlock()
	return nil
}

func (r *fakeRows) Next(dest []driver.Value) error {
	if r.i == r.n {
		if r.fail {
			return errDriver
		}
		return io.EOF
	}
	r.i++
	dest[0] = int64(r.i)
	return nil
}

func TestCollect(t *testing.T) {
	conn, err := sql.Open("campus-fake", "")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	errScan := errors.New("scan refused row 2")
	upTo2 := func(r db.Scanner) (int, error) {
		v, err := db.Value[int](r)
		if v == 2 {
			return 0, errScan
		}
		return v, err
	}
	tests := []struct {
		name    string
		query   string
		scan    func(db.Scanner) (int, error)
		want    []int
		wantErr error
	}{
		{name: "all rows", query: "3", scan: db.Value[int], want: []int{1, 2, 3}},
		{name: "no rows", query: "0", scan: db.Value[int], want: nil},
		{name: "scan error stops and closes", query: "5", scan: upTo2, wantErr: errScan},
		{name: "iteration error is rows.Err", query: "2!", scan: db.Value[int], wantErr: errDriver},
		{name: "query error", query: "not a number", scan: db.Value[int], wantErr: strconv.ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := conn.QueryContext(context.Background(), tt.query)
			got, err := db.Collect(rows, err, tt.scan)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v; want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil && got != nil {
				t.Errorf("got %v with an error; want nil", got)
			}
			if tt.wantErr == nil && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v; want %v", got, tt.want)
			}
			if rows != nil && !fake.wasClosed(tt.query) {
				t.Error("rows were not closed")
			}
		})
	}
}

func TestEach(t *testing.T) {
	conn, err := sql.Open("campus-fake", "")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	stop := errors.New("stop")
	tests := []struct {
		name    string
		query   string
		stopAt  int
		sum     int
		wantErr error
	}{
		{name: "every row", query: "4", sum: 10},
		{name: "fn error stops and closes", query: "6", stopAt: 3, sum: 3, wantErr: stop},
		{name: "iteration error", query: "1!", sum: 1, wantErr: errDriver},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := conn.QueryContext(context.Background(), tt.query)
			sum := 0
			err = db.Each(rows, err, func(r db.Scanner) error {
				v, err := db.Value[int](r)
				if err != nil {
					return err
				}
				if v == tt.stopAt {
					return stop
				}
				sum += v
				return nil
			})
			if !errors.Is(err, tt.wantErr) || sum != tt.sum {
				t.Fatalf("sum, err = %d, %v; want %d, %v", sum, err, tt.sum, tt.wantErr)
			}
			if !fake.wasClosed(tt.query) {
				t.Error("rows were not closed")
			}
		})
	}
}

func TestArgs(t *testing.T) {
	tests := []struct {
		name  string
		build func(a *db.Args) string
		want  string
		vals  []any
	}{
		{name: "none", build: func(*db.Args) string { return "" }, want: "", vals: nil},
		{name: "in order", build: func(a *db.Args) string { return a.Add("x") + " " + a.Add(7) }, want: "$1 $2", vals: []any{"x", 7}},
		{name: "ten and more", build: func(a *db.Args) string {
			var last string
			for i := range 11 {
				last = a.Add(i)
			}
			return last
		}, want: "$11", vals: []any{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a db.Args
			if got := tt.build(&a); got != tt.want {
				t.Errorf("placeholders = %q; want %q", got, tt.want)
			}
			if !reflect.DeepEqual(a.Values(), tt.vals) {
				t.Errorf("Values = %#v; want %#v", a.Values(), tt.vals)
			}
		})
	}
}

func TestCursor(t *testing.T) {
	type pos struct {
		Key string `json:"k"`
		ID  string `json:"i"`
	}
	in := pos{Key: "Ä/ß?&=", ID: "0192"}
	s := db.EncodeCursor(in)
	if strings.ContainsAny(s, "+/=?&") {
		t.Errorf("cursor %q is not URL-safe", s)
	}
	var out pos
	if err := db.DecodeCursor(s, &out); err != nil || out != in {
		t.Errorf("DecodeCursor = %+v, %v; want %+v", out, err, in)
	}
	for _, bad := range []string{"", "!!!", "bm90IGpzb24", db.EncodeCursor([]int{1})} {
		var p pos
		if err := db.DecodeCursor(bad, &p); !errors.Is(err, db.ErrBadCursor) {
			t.Errorf("DecodeCursor(%q) = %v; want ErrBadCursor", bad, err)
		}
	}
}
