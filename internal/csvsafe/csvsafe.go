// Package csvsafe writes and reads CSV cells that no spreadsheet runs as
// a formula (OWASP, "CSV Injection"): the grade export, the grade
// template, and the upload that reads them back.
package csvsafe

import (
	"bufio"
	"strings"
	"unicode"
	"unicode/utf8"
)

// formulaTriggers are the first characters that make a spreadsheet read a
// cell as a formula (OWASP, "CSV Injection"): = + - @, and tab and
// carriage return, which some spreadsheets skip before looking.
const formulaTriggers = "=+-@\t\r"

// Neutralise makes a cell that a spreadsheet would run as a formula plain
// text, as OWASP recommends: a single quote before it. The caller quotes
// the cell. It reports whether it changed the cell. A cell that looks
// neutralised already (quotes, then a trigger) gets a quote too, so that
// Unneutralise gives every cell back as it was.
func Neutralise(cell string) (string, bool) {
	if rest := strings.TrimLeft(cell, "'"); rest != "" && strings.IndexByte(formulaTriggers, rest[0]) >= 0 {
		return "'" + cell, true
	}
	return cell, false
}

// Unneutralise undoes Neutralise on a cell read back from a file: one
// quote comes off a cell of quotes then a trigger.
func Unneutralise(cell string) string {
	if rest := strings.TrimLeft(cell, "'"); len(rest) < len(cell) && rest != "" && strings.IndexByte(formulaTriggers, rest[0]) >= 0 {
		return cell[1:]
	}
	return cell
}

// WriteRecord writes one line of RFC 4180 CSV, as encoding/csv does,
// except that a cell Neutralise changed is always quoted (OWASP: prefix
// and quote), so that no spreadsheet runs data from the database as a
// formula. Values that need no neutralising (grades such as 1.3, dates,
// ids) are written exactly as before.
func WriteRecord(w *bufio.Writer, record []string) {
	for i, cell := range record {
		if i > 0 {
			w.WriteByte(',')
		}
		cell, quote := Neutralise(cell)
		if !quote && !csvNeedsQuotes(cell) {
			w.WriteString(cell)
			continue
		}
		w.WriteByte('"')
		w.WriteString(strings.ReplaceAll(cell, `"`, `""`))
		w.WriteByte('"')
	}
	w.WriteByte('\n')
}

// csvNeedsQuotes is encoding/csv's rule: a separator, a quote or a line
// break inside, or a leading space.
func csvNeedsQuotes(cell string) bool {
	if cell == "" {
		return false
	}
	if cell == `\.` || strings.ContainsAny(cell, ",\"\r\n") {
		return true
	}
	r, _ := utf8.DecodeRuneInString(cell)
	return unicode.IsSpace(r)
}
