package oidcop

import (
	"context"
	"crypto/sha256"
	"sync"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// rememberingKeySet verifies access tokens presented to userinfo and
// introspection like op.OpenIDKeySet, and remembers signatures it has
// verified: a token is checked many times in its life and the signature is
// most of the cost. The key is the SHA-256 of the whole token (header,
// payload and signature); expiry and revocation are still checked on every
// call by the library and the storage.
type rememberingKeySet struct {
	inner oidc.KeySet
	mu    sync.Mutex
	young map[[32]byte][]byte
	old   map[[32]byte][]byte
}

const rememberedMax = 50000 // per generation

var _ oidc.KeySet = (*rememberingKeySet)(nil)

func newRememberingKeySet(s op.Storage) *rememberingKeySet {
	return &rememberingKeySet{inner: &op.OpenIDKeySet{Storage: s}}
}

func (k *rememberingKeySet) VerifySignature(ctx context.Context, jws *jose.JSONWebSignature) ([]byte, error) {
	compact, err := jws.CompactSerialize()
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(compact))
	k.mu.Lock()
	payload, ok := k.young[sum]
	if !ok {
		if payload, ok = k.old[sum]; ok {
			k.putLocked(sum, payload)
		}
	}
	k.mu.Unlock()
	if ok {
		return payload, nil
	}
	payload, err = k.inner.VerifySignature(ctx, jws)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	k.putLocked(sum, payload)
	k.mu.Unlock()
	return payload, nil
}

func (k *rememberingKeySet) putLocked(sum [32]byte, payload []byte) {
	if k.young == nil || len(k.young) >= rememberedMax {
		k.old, k.young = k.young, make(map[[32]byte][]byte)
	}
	k.young[sum] = payload
}
