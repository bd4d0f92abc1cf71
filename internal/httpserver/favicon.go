package httpserver

import (
	"bytes"
	"io/fs"
	"net/http"
	"time"
)

// Favicon answers /favicon.ico with the file favicon.ico of fsys, which
// browsers ask for at an origin's root whatever the page links; without
// it every page logs a 404 in the console. It panics at start-up if the
// file is missing, so a broken embed fails the start, not a request.
func Favicon(fsys fs.FS) http.Handler {
	ico, err := fs.ReadFile(fsys, "favicon.ico")
	if err != nil {
		panic("httpserver: no favicon.ico: " + err.Error())
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/x-icon")
		w.Header().Set("Cache-Control", "public, max-age=86400")
		http.ServeContent(w, r, "favicon.ico", time.Time{}, bytes.NewReader(ico))
	})
}
