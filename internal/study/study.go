package study

import "errors"

// Sentinel errors of the study stores; the API maps them to HTTP status.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
)
