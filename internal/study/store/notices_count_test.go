package store_test

import (
	"context"
	"testing"
	"time"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/study/store"
)

// TestNoticeCounts: the notices outbox counted for monitoring, on both
// engines.
func TestNoticeCounts(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if _, err := d.ExecContext(ctx, `INSERT INTO notices_outbox (id, kind, recipients, text, text_de, created_at, next_attempt_at, attempts)
			VALUES ('n1', 'grade', '[]', 't', 't', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1),
			       ('n2', 'grade', '[]', 't', 't', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 0)`); err != nil {
			t.Fatal(err)
		}
		if _, err := d.ExecContext(ctx, `INSERT INTO notices_outbox (id, kind, recipients, text, text_de, created_at, next_attempt_at, failed_at)
			VALUES ('n3', 'grade', '[]', 't', 't', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)`); err != nil {
			t.Fatal(err)
		}
		c, err := store.New(d, time.Now).NoticeCounts(ctx)
		if err != nil || c.Name != "notices" || c.Pending != 2 || c.Retrying != 1 || c.Failed != 1 || c.OldestPending.IsZero() {
			t.Fatalf("counts = %+v, %v", c, err)
		}
	})
}
