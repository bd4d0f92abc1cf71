package identity

import (
	"errors"
	"time"
)

// Sentinel errors of the identity stores; handlers map them to HTTP status.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
)

// Permission is one entry of the fixed permission catalogue. Roles carry
// permissions; a user's roles decide the scopes their tokens may carry.
type Permission string

const (
	PermUsersRead    Permission = "users:read"
	PermUsersWrite   Permission = "users:write"
	PermRolesWrite   Permission = "roles:write"
	PermStudiesWrite Permission = "studies:write"
	PermGradesWrite  Permission = "grades:write"
	PermGradesRead   Permission = "grades:read"
)

// Built-in roles; administrators may add more.
const (
	RoleAdmin   = "admin"
	RoleStaff   = "staff"
	RoleStudent = "student"
)

// Account status values.
const (
	StatusActive   = "active"
	StatusDisabled = "disabled"
)

// Account is a person who can sign in. ID is the opaque, stable subject id
// (the sub claim) that other services know the person by.
type Account struct {
	ID             string
	Username       string
	Email          string
	DisplayName    string
	GivenName      string
	FamilyName     string
	Semester       int
	ProgrammeID    string
	ProgrammeTitle string
	Status         string
	EmailVerified  bool
	Roles          []string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	LastLoginAt    *time.Time
}

// APIKey is a person's key for programs, without its secret.
type APIKey struct {
	ID         string
	AccountID  string
	Name       string
	Prefix     string // the key's first characters, for recognising it
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// Active tells whether the key may be used at now.
func (k APIKey) Active(now time.Time) bool {
	return k.RevokedAt == nil && (k.ExpiresAt == nil || now.Before(*k.ExpiresAt))
}
