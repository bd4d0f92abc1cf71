package portal

import (
	"net/http"
	"strings"
	"testing"
)

// TestUploadRowLimitShown: the study service refuses a file with too many
// rows naming the limit; the preview page says so in the reader's
// language, not the service's English.
func TestUploadRowLimitShown(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.lectureAPI()
	p.api.on(dryRunKey, 413, `{"title":"Too many rows","status":413,"detail":"A grade file may have at most 5000 rows; split it into several files.","max_rows":5000}`)
	file := "subject,grade\n" + strings.Repeat("s1,1.0\n", 3)
	r := p.upload(p.signIn(staff()), "/grading/l1/upload", "grades.csv", file)
	r.want(t, http.StatusUnprocessableEntity, msg("grading.toomanyrows", 5000))
	if de := T(German, "grading.toomanyrows", 5000); !strings.Contains(de, "5000 Zeilen") {
		t.Errorf("German: %q", de)
	}
	// A 413 for bytes, without max_rows, keeps the service's words.
	p2 := newPortal(t)
	p2.lectureAPI()
	p2.api.on(dryRunKey, 413, `{"title":"Request Entity Too Large","status":413,"detail":"The file may be at most 5 MB."}`)
	p2.upload(p2.signIn(staff()), "/grading/l1/upload", "grades.csv", file).
		want(t, http.StatusUnprocessableEntity, msg("grading.badfile", "The file may be at most 5 MB."))
}
