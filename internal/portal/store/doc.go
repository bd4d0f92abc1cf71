// Package store is the portal's SQL store (browser sessions only) with its
// embedded migrations.
package store
