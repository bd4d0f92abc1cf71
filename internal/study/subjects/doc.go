// Package subjects answers whether subject ids name people at identity,
// for the study service, which knows people by subject id only. It asks
// identity's GET /api/v1/people with the study service's own
// client-credentials token. It does not read names for display (the
// portal does), nor authenticate callers (tokencheck does).
package subjects
