package markdown

import (
	"html"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// LinkRel is the rel of every link: messages come from people, so links
// pass no ranking (nofollow), no window handle (noopener) and no Referer
// (noreferrer) that would tell the target which conversation they came
// from.
const LinkRel = "nofollow noopener noreferrer"

// maxDepth bounds the nesting of inline spans (bold in italic in a link
// ...); deeper markers stay as text, so that no input makes the renderer
// recurse without end.
const maxDepth = 6

// Render returns src as HTML. The result is well formed: every tag it
// opens it closes, in order, and every attribute value is quoted and
// escaped.
func Render(src string) string {
	src = strings.ToValidUTF8(src, "\uFFFD")
	src = strings.ReplaceAll(src, "\x00", "\uFFFD")
	src = strings.ReplaceAll(src, "\r\n", "\n")
	src = strings.ReplaceAll(src, "\r", "\n")
	lines := strings.Split(src, "\n")
	var b strings.Builder
	b.Grow(len(src) + len(src)/4)
	first := true
	block := func() {
		if !first {
			b.WriteByte('\n')
		}
		first = false
	}
	for i := 0; i < len(lines); {
		line := lines[i]
		switch {
		case strings.TrimSpace(line) == "":
			i++
		case isFence(line):
			block()
			i++
			start := i
			for i < len(lines) && !isFence(lines[i]) {
				i++
			}
			b.WriteString("<pre><code>")
			b.WriteString(html.EscapeString(strings.Join(lines[start:i], "\n")))
			b.WriteString("</code></pre>")
			if i < len(lines) {
				i++ // the closing fence
			}
		case isItem(line):
			block()
			b.WriteString("<ul>")
			for i < len(lines) && isItem(lines[i]) {
				b.WriteString("<li>")
				inline(&b, itemText(lines[i]), 0)
				b.WriteString("</li>")
				i++
			}
			b.WriteString("</ul>")
		default:
			block()
			b.WriteString("<p>")
			for n := 0; i < len(lines) && strings.TrimSpace(lines[i]) != "" && !isFence(lines[i]) && !isItem(lines[i]); n++ {
				if n > 0 {
					b.WriteString("<br>\n")
				}
				inline(&b, strings.TrimSpace(lines[i]), 0)
				i++
			}
			b.WriteString("</p>")
		}
	}
	return b.String()
}

func isFence(line string) bool {
	return strings.HasPrefix(strings.TrimLeft(line, " "), "```")
}

// isItem tells a bullet list item: "- ", "* " or "+ " after at most three
// spaces. "**bold**" at the start of a line is not one.
func isItem(line string) bool {
	t := strings.TrimLeft(line, " ")
	if len(line)-len(t) > 3 || len(t) < 2 {
		return false
	}
	return (t[0] == '-' || t[0] == '*' || t[0] == '+') && t[1] == ' '
}

func itemText(line string) string {
	return strings.TrimSpace(strings.TrimLeft(line, " ")[2:])
}

// inline renders one line's spans. Each span is written only once its
// closing marker is found, and its inside is rendered by a nested call,
// so tags always nest. notFound remembers markers that have no closer
// after some position: none will be found after a later one either,
// which keeps a line full of lone markers linear.
func inline(b *strings.Builder, s string, depth int) {
	var noStrong, noEm, noCode, noLink bool
	text := 0 // start of the text not yet written
	flush := func(i int) {
		b.WriteString(html.EscapeString(s[text:i]))
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && isASCIIPunct(s[i+1]):
			flush(i)
			b.WriteString(html.EscapeString(s[i+1 : i+2]))
			i += 2
			text = i
			continue
		case c == '`' && !noCode:
			if j := strings.IndexByte(s[i+1:], '`'); j > 0 {
				flush(i)
				b.WriteString("<code>")
				b.WriteString(html.EscapeString(s[i+1 : i+1+j]))
				b.WriteString("</code>")
				i += j + 2
				text = i
				continue
			} else if j < 0 {
				noCode = true
			}
		case c == '*' && depth < maxDepth && strings.HasPrefix(s[i:], "**") && !noStrong:
			if j := strings.Index(s[i+2:], "**"); j > 0 && !unicode.IsSpace(rune(s[i+2])) {
				flush(i)
				b.WriteString("<strong>")
				inline(b, s[i+2:i+2+j], depth+1)
				b.WriteString("</strong>")
				i += j + 4
				text = i
				continue
			} else if j < 0 {
				noStrong = true
			}
		case c == '*' && depth < maxDepth && !noEm && !strings.HasPrefix(s[i:], "**"):
			if j := closingStar(s[i+1:]); j > 0 && !unicode.IsSpace(rune(s[i+1])) {
				flush(i)
				b.WriteString("<em>")
				inline(b, s[i+1:i+1+j], depth+1)
				b.WriteString("</em>")
				i += j + 2
				text = i
				continue
			} else if j < 0 {
				noEm = true
			}
		case c == '[' && depth < maxDepth && !noLink:
			label, href, n, ok := link(s[i:])
			if ok {
				flush(i)
				writeLink(b, href, func() { inline(b, label, maxDepth) })
				i += n
				text = i
				continue
			}
			if n < 0 {
				noLink = true
			}
		case (c == 'h' || c == 'H') && depth < maxDepth && wordStart(s, i):
			if n := bareURL(s[i:]); n > 0 {
				flush(i)
				u := s[i : i+n]
				writeLink(b, u, func() { b.WriteString(html.EscapeString(u)) })
				i += n
				text = i
				continue
			}
		case c == '@' && wordStart(s, i):
			if n := mention(s[i+1:]); n > 0 {
				flush(i)
				b.WriteString(`<span class="mention">`)
				b.WriteString(html.EscapeString(s[i : i+1+n]))
				b.WriteString("</span>")
				i += 1 + n
				text = i
				continue
			}
		}
		i++
	}
	flush(len(s))
}

// closingStar finds the single '*' closing an emphasis in s (not one of
// "**"): its index, or -1 for none.
func closingStar(s string) int {
	for j := 0; j < len(s); j++ {
		if s[j] != '*' {
			continue
		}
		if j+1 < len(s) && s[j+1] == '*' {
			j++
			continue
		}
		return j
	}
	return -1
}

// link parses "[label](url)" at the start of s: the label, the URL, the
// bytes it takes and whether the URL is one links may point to. n is -1
// when no "](" follows at all (no later '[' can make a link either).
func link(s string) (label, href string, n int, ok bool) {
	end := strings.Index(s, "](")
	if end < 0 {
		return "", "", -1, false
	}
	label = s[1:end]
	if label == "" || strings.ContainsAny(label, "[]") {
		return "", "", 0, false
	}
	close := strings.IndexByte(s[end+2:], ')')
	if close < 0 {
		return "", "", 0, false
	}
	href = strings.TrimSpace(s[end+2 : end+2+close])
	if !safeURL(href) {
		return "", "", 0, false
	}
	return label, href, end + 3 + close, true
}

// bareURL returns the length of an http or https URL at the start of s
// (0 for none): up to white space, without trailing punctuation.
func bareURL(s string) int {
	lower := strings.ToLower(s[:min(len(s), 8)])
	if !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://") {
		return 0
	}
	n := strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '<' || r == '>' || r == '"' })
	if n < 0 {
		n = len(s)
	}
	for n > 0 && strings.ContainsRune(".,;:!?)'*", rune(s[n-1])) {
		n--
	}
	if !safeURL(s[:n]) {
		return 0
	}
	return n
}

// safeURL allows absolute http and https URLs with a host, and mailto:
// no other scheme (javascript:, data:, vbscript: ...) and no relative
// URL, whose meaning would depend on the page showing the message.
func safeURL(raw string) bool {
	if raw == "" || len(raw) > 2048 || strings.ContainsFunc(raw, func(r rune) bool { return r < 0x21 || r == 0x7f || r == '"' || r == '<' || r == '>' || r == '\\' }) {
		return false
	}
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		return u.Host != "" && u.Opaque == ""
	case "mailto":
		return u.Opaque != ""
	}
	return false
}

func writeLink(b *strings.Builder, href string, label func()) {
	b.WriteString(`<a href="`)
	b.WriteString(html.EscapeString(href))
	b.WriteString(`" rel="` + LinkRel + `">`)
	label()
	b.WriteString("</a>")
}

// mention returns the length of the name after an '@' (0 for none):
// letters, digits and . _ - as usernames have, not ending in '.'.
func mention(s string) int {
	n := 0
	for n < len(s) {
		r, size := utf8.DecodeRuneInString(s[n:])
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '.' && r != '_' && r != '-' {
			break
		}
		n += size
	}
	for n > 0 && s[n-1] == '.' {
		n--
	}
	return n
}

// wordStart tells whether s[i] begins a word: at the start or after a
// character that is not a letter or digit (so "mail@host" mentions no one).
func wordStart(s string, i int) bool {
	if i == 0 {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '/'
}

func isASCIIPunct(c byte) bool {
	return c < 0x80 && unicode.IsPunct(rune(c)) || c == '`' || c == '*' || c == '[' || c == ']' || c == '@' || c == '\\'
}
