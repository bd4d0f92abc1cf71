package httpserver

import (
	"io/fs"
	"net/http"
	"path"
	"strings"
)

// Files serves the files of fsys, like http.FileServerFS, but answers 404
// for a directory instead of listing it: pages link to files by name, and a
// listing only shows a visitor what else is there.
func Files(fsys fs.FS) http.Handler {
	files := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
		if name == "" {
			name = "."
		}
		if fi, err := fs.Stat(fsys, name); err != nil || fi.IsDir() {
			http.NotFound(w, r)
			return
		}
		files.ServeHTTP(w, r)
	})
}
