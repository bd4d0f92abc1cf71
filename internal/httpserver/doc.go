// Package httpserver is the HTTP plumbing every campus service shares:
// a hardened http.Server with graceful shutdown, middleware for request ids,
// request logs, security headers and panic recovery, and the /healthz and
// /readyz handlers. It holds no routes of any service.
package httpserver
