package service

import (
	"bytes"
	"encoding/base64"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

func TestSecret(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := filepath.Join(t.TempDir(), "data")

	first, err := Secret(dir, "", logger)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 32 {
		t.Fatalf("got %d bytes, want 32", len(first))
	}
	fi, err := os.Stat(filepath.Join(dir, SecretFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	again, err := Secret(dir, "", logger)
	if err != nil || !bytes.Equal(again, first) {
		t.Fatalf("second start: %x, %v; want the first key %x", again, err, first)
	}

	configured := bytes.Repeat([]byte{7}, 32)
	got, err := Secret(dir, base64.StdEncoding.EncodeToString(configured), logger)
	if err != nil || !bytes.Equal(got, configured) {
		t.Fatalf("configured key: %x, %v", got, err)
	}

	if err := os.WriteFile(filepath.Join(dir, SecretFile), []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Secret(dir, "", logger); err == nil {
		t.Fatal("a damaged key file was accepted")
	}
}

func TestDerivedSecretsDiffer(t *testing.T) {
	s := &Service{secret: bytes.Repeat([]byte{1}, 32)}
	portal, study, sessions := s.ClientSecret(PortalClientID), s.ClientSecret(StudyClientID), string(s.PortalSessionKey())
	if portal == study || portal == sessions || study == sessions {
		t.Fatal("derived secrets repeat")
	}
	if other := (&Service{secret: bytes.Repeat([]byte{2}, 32)}).ClientSecret(PortalClientID); other == portal {
		t.Fatal("the derived secret does not depend on identity's secret")
	}
}
