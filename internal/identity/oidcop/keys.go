package oidcop

import (
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"campus/internal/identity"
)

// Algorithms campus signs with. Access tokens use ES256 (only campus's own
// APIs read them, and it is far cheaper than RSA); id_tokens use RS256 by
// default for the widest client support, ES256 or EdDSA per client.
var Algorithms = []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA}

// AccessTokenAlg signs every access token.
const AccessTokenAlg = jose.ES256

// KeyStore is what key management needs of the store.
type KeyStore interface {
	SigningKeys(ctx context.Context) ([]identity.SigningKey, error)
	AddSigningKeys(ctx context.Context, keys []identity.SigningKey) (bool, error)
	RotateSigningKeys(ctx context.Context, next []identity.SigningKey) error
}

// signingKey is a usable private key; it satisfies op.SigningKey.
type signingKey struct {
	id  string
	alg jose.SignatureAlgorithm
	key crypto.Signer
}

func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return k.alg }
func (k *signingKey) Key() any                                    { return k.key }
func (k *signingKey) ID() string                                  { return k.id }

// publicKey is a published key; it satisfies op.Key.
type publicKey struct {
	id  string
	alg jose.SignatureAlgorithm
	key any
}

func (k *publicKey) ID() string                         { return k.id }
func (k *publicKey) Algorithm() jose.SignatureAlgorithm { return k.alg }
func (k *publicKey) Use() string                        { return "sig" }
func (k *publicKey) Key() any                           { return k.key }

// Keys holds the signing keys in memory, reloading them from the store at
// most every reloadEvery so that a rotation made by `campus keys rotate`
// (another process) takes effect without a restart.
type Keys struct {
	store KeyStore
	kek   cipher.AEAD
	now   func() time.Time

	mu       sync.RWMutex
	current  map[jose.SignatureAlgorithm]*signingKey
	public   []*publicKey
	loadedAt time.Time
	static   map[jose.SignatureAlgorithm]*signingKey
}

const reloadEvery = 30 * time.Second

// NewKeys returns the key set; kek is the 32-byte key-encryption key.
func NewKeys(store KeyStore, kek []byte, now func() time.Time) (*Keys, error) {
	if len(kek) != 32 {
		return nil, fmt.Errorf("key-encryption key must be 32 bytes, got %d", len(kek))
	}
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Keys{store: store, kek: aead, now: now, static: map[jose.SignatureAlgorithm]*signingKey{}}, nil
}

// UseStatic makes a key from a PEM file sign for its algorithm instead of
// the stored keys; it is published too.
func (ks *Keys) UseStatic(id string, alg jose.SignatureAlgorithm, key crypto.Signer) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	ks.static[alg] = &signingKey{id: id, alg: alg, key: key}
	ks.loadedAt = time.Time{}
}

// Ensure creates a current and a next key for every algorithm that has
// none (the first start), then loads the keys.
func (ks *Keys) Ensure(ctx context.Context) error {
	have, err := ks.store.SigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("read signing keys: %w", err)
	}
	present := map[string]bool{}
	for _, k := range have {
		present[k.Alg+"/"+k.State] = true
	}
	var add []identity.SigningKey
	for _, alg := range Algorithms {
		for _, state := range []string{"current", "next"} {
			if present[string(alg)+"/"+state] {
				continue
			}
			k, err := ks.generate(alg, state)
			if err != nil {
				return err
			}
			add = append(add, k)
		}
	}
	if len(add) > 0 {
		if _, err := ks.store.AddSigningKeys(ctx, add); err != nil {
			return fmt.Errorf("store signing keys: %w", err)
		}
	}
	return ks.reload(ctx)
}

// Rotate makes the next keys current, the current ones previous (still
// published, so tokens in flight verify), retires the previous ones, and
// creates new next keys (published before they sign, so caches know them).
func (ks *Keys) Rotate(ctx context.Context) error {
	var next []identity.SigningKey
	for _, alg := range Algorithms {
		k, err := ks.generate(alg, "next")
		if err != nil {
			return err
		}
		next = append(next, k)
	}
	if err := ks.store.RotateSigningKeys(ctx, next); err != nil {
		return fmt.Errorf("rotate signing keys: %w", err)
	}
	return ks.reload(ctx)
}

func (ks *Keys) generate(alg jose.SignatureAlgorithm, state string) (identity.SigningKey, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case jose.RS256:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case jose.ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jose.EdDSA:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		return identity.SigningKey{}, fmt.Errorf("unsupported algorithm %s", alg)
	}
	if err != nil {
		return identity.SigningKey{}, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return identity.SigningKey{}, err
	}
	id := randomID(12)
	jwk, err := json.Marshal(jose.JSONWebKey{Key: priv.Public(), KeyID: id, Algorithm: string(alg), Use: "sig"})
	if err != nil {
		return identity.SigningKey{}, err
	}
	nonce := make([]byte, ks.kek.NonceSize())
	rand.Read(nonce)
	// The key id is authenticated data: a ciphertext cannot be moved to
	// another row.
	sealed := ks.kek.Seal(nonce, nonce, der, []byte(id))
	return identity.SigningKey{ID: id, Alg: string(alg), State: state, PrivateKey: sealed, PublicJWK: string(jwk), CreatedAt: ks.now()}, nil
}

func (ks *Keys) open(k identity.SigningKey) (crypto.Signer, error) {
	n := ks.kek.NonceSize()
	if len(k.PrivateKey) < n {
		return nil, errors.New("truncated key")
	}
	der, err := ks.kek.Open(nil, k.PrivateKey[:n], k.PrivateKey[n:], []byte(k.ID))
	if err != nil {
		return nil, fmt.Errorf("signing key %s does not decrypt: is the key-encryption key the one it was made with? %w", k.ID, err)
	}
	priv, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, err
	}
	s, ok := priv.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("signing key %s: not a signer", k.ID)
	}
	return s, nil
}

func (ks *Keys) reload(ctx context.Context) error {
	stored, err := ks.store.SigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("read signing keys: %w", err)
	}
	current := map[jose.SignatureAlgorithm]*signingKey{}
	var public []*publicKey
	for _, k := range stored {
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON([]byte(k.PublicJWK)); err != nil {
			return fmt.Errorf("signing key %s: %w", k.ID, err)
		}
		alg := jose.SignatureAlgorithm(k.Alg)
		public = append(public, &publicKey{id: k.ID, alg: alg, key: jwk.Key})
		if k.State == "current" && current[alg] == nil {
			priv, err := ks.open(k)
			if err != nil {
				return err
			}
			current[alg] = &signingKey{id: k.ID, alg: alg, key: priv}
		}
	}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	for alg, k := range ks.static {
		current[alg] = k
		public = append(public, &publicKey{id: k.id, alg: alg, key: k.key.Public()})
	}
	for _, alg := range Algorithms {
		if current[alg] == nil {
			return fmt.Errorf("no current %s signing key", alg)
		}
	}
	ks.current, ks.public, ks.loadedAt = current, public, ks.now()
	return nil
}

func (ks *Keys) fresh(ctx context.Context) error {
	ks.mu.RLock()
	stale := ks.now().Sub(ks.loadedAt) >= reloadEvery
	ks.mu.RUnlock()
	if !stale {
		return nil
	}
	return ks.reload(ctx)
}

// Signer returns the current key for alg.
func (ks *Keys) Signer(ctx context.Context, alg jose.SignatureAlgorithm) (*signingKey, error) {
	if err := ks.fresh(ctx); err != nil {
		return nil, err
	}
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	k := ks.current[alg]
	if k == nil {
		return nil, fmt.Errorf("no %s signing key", alg)
	}
	return k, nil
}

// Public returns every published key: next, current and previous.
func (ks *Keys) Public(ctx context.Context) ([]*publicKey, error) {
	if err := ks.fresh(ctx); err != nil {
		return nil, err
	}
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	return ks.public, nil
}

func randomID(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// LoadStaticKey reads a PEM private key (PKCS#8, or PKCS#1 RSA, or SEC 1
// EC) for UseStatic: RSA signs RS256, P-256 ES256, Ed25519 EdDSA. The key
// id is the RFC 7638 thumbprint, stable across restarts and replicas.
func LoadStaticKey(path string) (id string, alg jose.SignatureAlgorithm, key crypto.Signer, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return "", "", nil, fmt.Errorf("signing key %s: no PEM block", path)
	}
	var parsed any
	switch block.Type {
	case "RSA PRIVATE KEY":
		parsed, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		parsed, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		parsed, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	}
	if err != nil {
		return "", "", nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	switch k := parsed.(type) {
	case *rsa.PrivateKey:
		if k.N.BitLen() < 2048 {
			return "", "", nil, fmt.Errorf("signing key %s: RSA keys need at least 2048 bits", path)
		}
		alg, key = jose.RS256, k
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() {
			return "", "", nil, fmt.Errorf("signing key %s: only P-256 EC keys (ES256)", path)
		}
		alg, key = jose.ES256, k
	case ed25519.PrivateKey:
		alg, key = jose.EdDSA, k
	default:
		return "", "", nil, fmt.Errorf("signing key %s: unsupported key type %T", path, parsed)
	}
	tp, err := (&jose.JSONWebKey{Key: key.Public()}).Thumbprint(crypto.SHA256)
	if err != nil {
		return "", "", nil, err
	}
	return base64.RawURLEncoding.EncodeToString(tp), alg, key, nil
}
