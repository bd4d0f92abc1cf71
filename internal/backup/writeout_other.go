//go:build !linux

package backup

import "os"

// writeOut leaves it to fsync on this system.
func writeOut(*os.File) error { return nil }
