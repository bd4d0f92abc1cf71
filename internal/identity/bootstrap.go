package identity

import (
	"context"
	"fmt"
)

// AdminStore is what creating the first administrator needs of a store.
type AdminStore interface {
	FirstAdminCreated(ctx context.Context) (bool, error)
	CreateFirstAdmin(ctx context.Context, a Account, passwordHash string) (Account, bool, error)
}

// FirstAdmin is the administrator made on the first start.
type FirstAdmin struct {
	Account  Account
	Password string // the generated password, to be shown once; "" if it came from configuration
}

// MinPasswordLength is the password policy's default minimum length.
const MinPasswordLength = 10

// EnsureFirstAdmin creates the first administrator unless one was ever
// created: e-mail as given, password as given or, when empty, generated.
// It returns nil when there was nothing to do, so later starts never
// recreate or reset the administrator. hash is the password hash function
// and generate makes a strong password.
func EnsureFirstAdmin(ctx context.Context, st AdminStore, email, pw string, hash func(string) (string, error), generate func() string) (*FirstAdmin, error) {
	done, err := st.FirstAdminCreated(ctx)
	if err != nil || done {
		return nil, err
	}
	generated := ""
	if pw == "" {
		pw = generate()
		generated = pw
	} else if len([]rune(pw)) < MinPasswordLength {
		return nil, fmt.Errorf("the administrator password must be at least %d characters long", MinPasswordLength)
	}
	h, err := hash(pw)
	if err != nil {
		return nil, fmt.Errorf("hash administrator password: %w", err)
	}
	a, created, err := st.CreateFirstAdmin(ctx, Account{
		Username:    "admin",
		Email:       email,
		DisplayName: "Administrator",
	}, h)
	if err != nil || !created {
		return nil, err
	}
	return &FirstAdmin{Account: a, Password: generated}, nil
}
