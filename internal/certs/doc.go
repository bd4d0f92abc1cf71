// Package certs provides the TLS certificates campus serves with: a
// self-signed one for localhost created once in the data directory, one
// from files that is reloaded when the files change, or one from an ACME CA
// (Let's Encrypt) through golang.org/x/crypto/acme/autocert. It also builds
// the TLS configurations for serving and for calling other services.
//
// It does not decide which of these to use; the command's configuration does.
package certs
