package main

import (
	"context"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"campus/internal/db"
	"campus/internal/identity/password"
)

// TestEventsCommand: `campus events` creates an event, makes its accounts
// from a list of names as CSV and again as PDF letters (the second batch
// replacing the first), lists the events and ends one; the PINs written
// are the ones identity checks.
func TestEventsCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cheap := []string{"--data", dir, "--argon2-memory-kib", "64", "--argon2-time", "1"}
	out, err := campusCmd(t, "events", "create", "--data", dir, "--name", "Open day", "--first-date", "2027-05-01",
		"--last-date", "2027-05-02", "--from", "09:00", "--to", "17:00", "--prefix", "open-", "--pin-length", "6", "--role", "student")
	if err != nil {
		t.Fatalf("create: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Created the event "Open day": (\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("create said: %s", out)
	}
	id := m[1]
	if out, err := campusCmd(t, "events", "create", "--data", dir, "--name", "", "--pin-length", "3"); err == nil ||
		!strings.Contains(out, "--pin-length") || !strings.Contains(out, "--first-date, --last-date") || !strings.Contains(out, "--name") {
		t.Fatalf("a bad event: %v\n%s", err, out)
	}

	if out, err := campusCmd(t, "events", "create", "--data", dir, "--name", "Exam room", "--first-date", "2027-05-01",
		"--last-date", "2027-05-01", "--role", "staff", "--mfa-roles", "admin,staff"); err == nil || !strings.Contains(out, "requires a second factor") {
		t.Fatalf("an event in a role that requires a second factor: %v\n%s", err, out)
	}

	labels := filepath.Join(t.TempDir(), "halls.txt")
	os.WriteFile(labels, []byte("Hall A\r\n\nHall B\n"), 0o600)
	csvPath := filepath.Join(t.TempDir(), "accounts.csv")
	out, err = campusCmd(t, append([]string{"events", "generate", id, "--labels", labels, "--out", csvPath}, cheap...)...)
	if err != nil || !strings.Contains(out, "Made 2 accounts") {
		t.Fatalf("generate: %v\n%s", err, out)
	}
	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(rows) != 3 || rows[1][2] != "Hall A" || rows[2][2] != "Hall B" {
		t.Fatalf("CSV: %v, %v", rows, err)
	}
	if fi, _ := os.Stat(csvPath); fi.Mode().Perm() != 0o600 {
		t.Fatalf("the file of PINs is %v, want 0600", fi.Mode().Perm())
	}
	d, err := db.Open(context.Background(), "sqlite:"+filepath.Join(dir, "identity.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	st := identityStore(t, d, dir)
	for _, r := range rows[1:] {
		if !regexp.MustCompile(`^open-[a-z2-9]{8}$`).MatchString(r[0]) || !regexp.MustCompile(`^[0-9]{6}$`).MatchString(r[1]) {
			t.Fatalf("row %v", r)
		}
		_, hash, err := st.AccountByLogin(context.Background(), r[0])
		if err != nil {
			t.Fatal(err)
		}
		if ok, _, err := password.Verify(r[1], hash, password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}); !ok || err != nil {
			t.Fatalf("the PIN of %s does not verify: %v", r[0], err)
		}
	}

	pdfPath := filepath.Join(t.TempDir(), "letters.pdf")
	out, err = campusCmd(t, append([]string{"events", "generate", id, "--count", "3", "--format", "pdf", "--out", pdfPath, "--lang", "de"}, cheap...)...)
	if err != nil {
		t.Fatalf("generate pdf: %v\n%s", err, out)
	}
	pdf, _ := os.ReadFile(pdfPath)
	if !strings.HasPrefix(string(pdf), "%PDF-") {
		t.Fatalf("not a PDF: %.20q", pdf)
	}
	if tool, err := exec.LookPath("pdftotext"); err == nil {
		text, err := exec.Command(tool, pdfPath, "-").Output()
		if err != nil || !strings.Contains(string(text), "Benutzername") || len(regexp.MustCompile(`open-[a-z2-9]{8}`).FindAllString(string(text), -1)) != 3 ||
			!strings.Contains(string(text), "01.05.2027") {
			t.Fatalf("letters: %v\n%s", err, text)
		}
	} else if os.Getenv("CI") == "true" {
		t.Fatal("pdftotext not installed (apt-get install poppler-utils)")
	}
	if _, _, err := st.AccountByLogin(context.Background(), rows[1][0]); err == nil {
		t.Fatal("an account of the replaced batch is still there")
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"events", "generate", id}, "--count N or --labels FILE"},
		{[]string{"events", "generate", "no-such-event", "--count", "1"}, "there is no event"},
		{[]string{"events", "generate", id, "--count", "1", "--format", "pdf"}, "--out letters.pdf"},
		{[]string{"events", "generate", id, "--count", "9999"}, "1 to 5000"},
	} {
		if out, err := campusCmd(t, append(c.args, "--data", dir)...); err == nil || !strings.Contains(out, c.want) {
			t.Errorf("%v: %v\n%s", c.args, err, out)
		}
	}

	out, err = campusCmd(t, "events", "list", "--data", dir)
	if err != nil || !strings.Contains(out, "Open day") || !strings.Contains(out, "2027-05-01..2027-05-02") {
		t.Fatalf("list: %v\n%s", err, out)
	}
	out, err = campusCmd(t, "events", "end", id, "--data", dir)
	if err != nil || !strings.Contains(out, "3 accounts deleted") {
		t.Fatalf("end: %v\n%s", err, out)
	}
	if out, _ := campusCmd(t, "events", "list", "--data", dir); !strings.Contains(out, "Open day (ended)") {
		t.Fatalf("list after the end: %s", out)
	}
	if out, err := campusCmd(t, append([]string{"events", "generate", id, "--count", "1"}, cheap...)...); err == nil || !strings.Contains(out, "has ended") {
		t.Fatalf("a batch after the end: %v\n%s", err, out)
	}
}
