package devicelogin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// Credentials are what login keeps for one campus.
type Credentials struct {
	// Issuer is identity's issuer; TokenURL and RevocationURL are its
	// endpoints (from discovery, at login).
	Issuer        string `json:"issuer"`
	ClientID      string `json:"client_id"`
	TokenURL      string `json:"token_endpoint"`
	RevocationURL string `json:"revocation_endpoint,omitempty"`
	// CACert is the --ca-cert of the login, used again by token and logout.
	CACert       string    `json:"ca_cert,omitempty"`
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	Expiry       time.Time `json:"expiry"`
	// Scopes are those granted with the current access token.
	Scopes []string `json:"scopes"`
	// Write: the login asked for the step-up scope (studies:write), which
	// only the first access token carries.
	Write bool `json:"write,omitempty"`
}

// file is credentials.json: the credentials per campus URL.
type file struct {
	Sites map[string]Credentials `json:"sites"`
}

// DefaultPath is os.UserConfigDir()/campus/credentials.json.
func DefaultPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the config directory for the credentials: %w", err)
	}
	return filepath.Join(dir, "campus", "credentials.json"), nil
}

func load(path string) (file, error) {
	f := file{Sites: map[string]Credentials{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return f, err
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return f, fmt.Errorf("%s: %w (delete the file and log in again)", path, err)
	}
	if f.Sites == nil {
		f.Sites = map[string]Credentials{}
	}
	return f, nil
}

// save writes the file atomically: a temporary file of mode 0600 in the
// same directory (created 0700), synced, then renamed over the old one,
// so a reader never sees half a file and the tokens are never readable by
// others, not even for a moment.
func save(path string, f file) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".credentials-*.json") // mode 0600
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// sites lists the URLs with credentials.
func (f file) sites() []string {
	var out []string
	for u := range f.Sites {
		out = append(out, u)
	}
	sort.Strings(out)
	return out
}
