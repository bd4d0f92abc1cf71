package main

import (
	"bytes"
	"context"
	"regexp"
	"testing"

	"campus/internal/identity/directory/ldaptest"
)

// TestDirectorySyncOutput: `campus directory sync` writes progress lines
// to stderr while it runs and one summary to stdout at the end; nothing
// follows the summary ("Applying 2 done" did), and one member is singular.
func TestDirectorySyncOutput(t *testing.T) {
	t.Parallel()
	srv := ldaptest.Start(t)
	srv.AddUsers(t, members(2), true)
	dir := t.TempDir()
	sync := func() (string, string) {
		t.Helper()
		var out, errOut bytes.Buffer
		if err := run(context.Background(), []string{"directory", "sync", "--data", dir}, envMap(ldapEnv(srv)), &out, &errOut); err != nil {
			t.Fatalf("sync: %v\n%s%s", err, out.String(), errOut.String())
		}
		return out.String(), errOut.String()
	}
	out, progress := sync()
	if !regexp.MustCompile(`^Synced 2 members: 2 created, 0 updated, 0 enabled again, 0 disabled, 0 unchanged, 0 skipped in [0-9.]+m?s\.\n$`).MatchString(out) {
		t.Errorf("summary:\n%q", out)
	}
	if want := "Reading the group: 2 members read\nApplying: 0 of 2 members\nApplying: 2 of 2 members\n"; progress != want {
		t.Errorf("progress:\n%q\nwant\n%q", progress, want)
	}

	// A group of one member: singular.
	srv2 := ldaptest.Start(t)
	srv2.AddUsers(t, members(1), true)
	var outBuf, errBuf bytes.Buffer
	if err := run(context.Background(), []string{"directory", "sync", "--data", t.TempDir()}, envMap(ldapEnv(srv2)), &outBuf, &errBuf); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^Synced 1 member: 1 created, `).MatchString(outBuf.String()) ||
		errBuf.String() != "Reading the group: 1 member read\nApplying: 0 of 1 member\nApplying: 1 of 1 member\n" {
		t.Errorf("one member:\n%q\n%q", outBuf.String(), errBuf.String())
	}
}

// TestSyncProgressOnATerminal: on a terminal the progress is one line,
// rewritten in place and erased at the end, so the summary stands alone.
func TestSyncProgressOnATerminal(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	p := &syncProgress{w: &b, terminal: true}
	p.update("read", 500, 0)
	p.update("read", 500, 0) // the same again is not written again
	p.update("apply", 0, 500)
	p.update("apply", 500, 500)
	p.end()
	want := "\rReading the group: 500 members read\x1b[K\rApplying: 0 of 500 members\x1b[K\rApplying: 500 of 500 members\x1b[K\r\x1b[K"
	if b.String() != want {
		t.Fatalf("%q\nwant\n%q", b.String(), want)
	}
}
