package directory_test

import (
	"testing"

	"campus/internal/identity/directory"
	"campus/internal/identity/directory/ldaptest"
)

// BenchmarkMembers10000 reads a group of 10,000 members with the default
// page size (20 pages of 500).
func BenchmarkMembers10000(b *testing.B) {
	const n = 10000
	srv := ldaptest.Start(b)
	srv.AddUsers(b, people("u", n), true)
	c := newClient(b, srv.Config())

	for b.Loop() {
		read := 0
		_, err := c.Members(b.Context(), func(directory.Entry) error {
			read++
			return nil
		}, nil)
		if err != nil {
			b.Fatalf("Members: %v", err)
		}
		if read != n {
			b.Fatalf("read %d members, want %d", read, n)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "entries/s")
}
