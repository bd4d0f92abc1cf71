package service

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
)

// SecretFile is the key-encryption key's file in the data directory,
// made on the first start when none is configured.
const SecretFile = "identity-secret.key"

// Secret is the key-encryption key: kek when configured, else the one in
// dataDir, made there on the first start. It encrypts the signing keys and
// derives the secrets of campus's own clients.
func Secret(dataDir, kek string, logger *slog.Logger) ([]byte, error) {
	if kek != "" {
		return DecodeKey(kek)
	}
	path := filepath.Join(dataDir, SecretFile)
	if b, err := os.ReadFile(path); err == nil {
		k, err := DecodeKey(string(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return k, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("cannot create data directory %s: %w", dataDir, errors.Unwrap(err))
	}
	k := make([]byte, 32)
	rand.Read(k)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	defer f.Close()
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(k) + "\n"); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	logger.Info("created the key that encrypts identity's signing keys; back it up with the database", "path", path)
	return k, nil
}
