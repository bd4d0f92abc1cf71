package api

import (
	"bytes"
	"net/http"
	"path"
	"strings"
	"unicode/utf8"
)

// fileType is a kind of file people may send: the content type it is
// stored and served as, and what its first bytes must look like
// (http.DetectContentType, WHATWG MIME Sniffing) for its extension to be
// believed. The client's Content-Type is never trusted: the extension
// names the type, the bytes confirm it.
type fileType struct {
	contentType string
	sniffed     string // what DetectContentType says (before any ';')
	check       func([]byte) bool
}

var (
	zipped = "application/zip"
	// Office's old binary formats are OLE2 compound files.
	ole2     = func(b []byte) bool { return bytes.HasPrefix(b, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}) }
	utf8Text = func(b []byte) bool { return utf8.Valid(b) && !bytes.ContainsRune(b, 0) }
)

// fileTypes is the allow-list, by lower-case extension.
var fileTypes = map[string]fileType{
	".png":  {contentType: "image/png", sniffed: "image/png"},
	".jpg":  {contentType: "image/jpeg", sniffed: "image/jpeg"},
	".jpeg": {contentType: "image/jpeg", sniffed: "image/jpeg"},
	".gif":  {contentType: "image/gif", sniffed: "image/gif"},
	".webp": {contentType: "image/webp", sniffed: "image/webp"},
	".pdf":  {contentType: "application/pdf", sniffed: "application/pdf"},
	".txt":  {contentType: "text/plain; charset=utf-8", check: utf8Text},
	".md":   {contentType: "text/plain; charset=utf-8", check: utf8Text},
	".csv":  {contentType: "text/csv; charset=utf-8", check: utf8Text},
	".zip":  {contentType: zipped, sniffed: zipped},
	".docx": {contentType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document", sniffed: zipped},
	".xlsx": {contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", sniffed: zipped},
	".pptx": {contentType: "application/vnd.openxmlformats-officedocument.presentationml.presentation", sniffed: zipped},
	".odt":  {contentType: "application/vnd.oasis.opendocument.text", sniffed: zipped},
	".ods":  {contentType: "application/vnd.oasis.opendocument.spreadsheet", sniffed: zipped},
	".odp":  {contentType: "application/vnd.oasis.opendocument.presentation", sniffed: zipped},
	".doc":  {contentType: "application/msword", check: ole2},
	".xls":  {contentType: "application/vnd.ms-excel", check: ole2},
	".ppt":  {contentType: "application/vnd.ms-powerpoint", check: ole2},
}

// allowedType returns the content type a file is stored as, or false
// when its extension is not on the list or its bytes do not match it.
func allowedType(name string, data []byte) (string, bool) {
	t, ok := fileTypes[strings.ToLower(path.Ext(name))]
	if !ok {
		return "", false
	}
	if t.check != nil {
		return t.contentType, t.check(data)
	}
	sniffed, _, _ := strings.Cut(http.DetectContentType(data), ";")
	return t.contentType, sniffed == t.sniffed
}

// inlineImage: images the browser shows in place (never SVG, which can
// hold scripts, and which is not on the list).
func inlineImage(contentType string) bool {
	switch contentType {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return true
	}
	return false
}
