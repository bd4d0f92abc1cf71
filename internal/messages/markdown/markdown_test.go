package markdown

import (
	"regexp"
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"paragraph", "Hallo Welt", "<p>Hallo Welt</p>"},
		{"escapes", `<script>alert("x")</script> & 'y'`, "<p>&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#39;y&#39;</p>"},
		{"line break", "one\ntwo", "<p>one<br>\ntwo</p>"},
		{"paragraphs", "one\n\n\ntwo", "<p>one</p>\n<p>two</p>"},
		{"crlf", "one\r\ntwo", "<p>one<br>\ntwo</p>"},
		{"bold", "a **b** c", "<p>a <strong>b</strong> c</p>"},
		{"italic", "a *b* c", "<p>a <em>b</em> c</p>"},
		{"bold italic", "**a *b* c**", "<p><strong>a <em>b</em> c</strong></p>"},
		{"lone stars", "2 * 3 * 4 and **", "<p>2 * 3 * 4 and **</p>"},
		{"code", "use `a<b>` here", "<p>use <code>a&lt;b&gt;</code> here</p>"},
		{"code keeps markers", "`**x**`", "<p><code>**x**</code></p>"},
		{"escape", `\*not\*`, "<p>*not*</p>"},
		{"fence", "```go\nx := <-ch\n```\nafter", "<pre><code>x := &lt;-ch</code></pre>\n<p>after</p>"},
		{"open fence", "```\ncode", "<pre><code>code</code></pre>"},
		{"list", "- one\n- **two**\n* three", "<ul><li>one</li><li><strong>two</strong></li><li>three</li></ul>"},
		{"list then text", "Todo:\n- a\nb", "<p>Todo:</p>\n<ul><li>a</li></ul>\n<p>b</p>"},
		{"link", "[Uni](https://uni.example/a?b=1&c=2)", `<p><a href="https://uni.example/a?b=1&amp;c=2" rel="nofollow noopener noreferrer">Uni</a></p>`},
		{"mailto", "[mail](mailto:a@uni.example)", `<p><a href="mailto:a@uni.example" rel="nofollow noopener noreferrer">mail</a></p>`},
		{"javascript link", "[x](javascript:alert(1))", "<p>[x](javascript:alert(1))</p>"},
		{"relative link", "[x](/admin)", "<p>[x](/admin)</p>"},
		{"data link", "[x](data:text/html,hi)", "<p>[x](data:text/html,hi)</p>"},
		{"quote in link", `[x](https://a.example/"onmouseover=)`, `<p>[x](<a href="https://a.example/" rel="nofollow noopener noreferrer">https://a.example/</a>&#34;onmouseover=)</p>`},
		{"bare url", "see https://uni.example/x.", `<p>see <a href="https://uni.example/x" rel="nofollow noopener noreferrer">https://uni.example/x</a>.</p>`},
		{"no link in link", "[https://a.example](https://b.example)", `<p><a href="https://b.example" rel="nofollow noopener noreferrer">https://a.example</a></p>`},
		{"mention", "hi @anna.s, ok", `<p>hi <span class="mention">@anna.s</span>, ok</p>`},
		{"mail is no mention", "a@b.example", "<p>a@b.example</p>"},
		{"invalid utf8", "a\xffb", "<p>a\uFFFDb</p>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Render(tt.in); got != tt.want {
				t.Errorf("Render(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

// tag matches every tag the renderer writes; anything else starting with
// '<' in its output is a hole.
var tag = regexp.MustCompile(`^<(/?)(p|br|strong|em|code|pre|ul|li|span|a)((?: class="mention")|(?: href="([^"<>]*)" rel="` + LinkRel + `"))?>`)

// checkSafe fails unless out is made only of text and the renderer's own
// tags, balanced, with only http, https and mailto links.
func checkSafe(t *testing.T, in, out string) {
	t.Helper()
	lower := strings.ToLower(out)
	if strings.Contains(lower, "<script") {
		t.Fatalf("Render(%q) = %q contains <script", in, out)
	}
	if strings.Contains(lower, "javascript:") && !strings.Contains(strings.ToLower(in), "javascript:") {
		t.Fatalf("Render(%q) = %q made up javascript:", in, out)
	}
	var stack []string
	for i := 0; i < len(out); {
		switch out[i] {
		case '<':
			m := tag.FindStringSubmatch(out[i:])
			if m == nil {
				t.Fatalf("Render(%q) = %q: unknown markup at %d: %.30q", in, out, i, out[i:])
			}
			closing, name, href := m[1] == "/", m[2], m[4]
			switch {
			case name == "br":
				if closing || m[3] != "" {
					t.Fatalf("Render(%q) = %q: bad <br>", in, out)
				}
			case closing:
				if len(stack) == 0 || stack[len(stack)-1] != name {
					t.Fatalf("Render(%q) = %q: </%s> closes %v", in, out, name, stack)
				}
				stack = stack[:len(stack)-1]
			default:
				if (name == "a") != (href != "") || (name == "span") != strings.Contains(m[3], "mention") {
					t.Fatalf("Render(%q) = %q: attributes of <%s>: %q", in, out, name, m[3])
				}
				if name == "a" {
					h := strings.ToLower(href)
					if !strings.HasPrefix(h, "http://") && !strings.HasPrefix(h, "https://") && !strings.HasPrefix(h, "mailto:") {
						t.Fatalf("Render(%q) = %q: link to %q", in, out, href)
					}
					for _, open := range stack {
						if open == "a" {
							t.Fatalf("Render(%q) = %q: a link in a link", in, out)
						}
					}
				}
				stack = append(stack, name)
			}
			i += len(m[0])
		case '>', '"', '\'':
			t.Fatalf("Render(%q) = %q: unescaped %q in text at %d", in, out, out[i], i)
		case '&':
			if !regexp.MustCompile(`^&(amp|lt|gt|#34|#39);`).MatchString(out[i:]) {
				t.Fatalf("Render(%q) = %q: stray & at %d", in, out, i)
			}
			i++
		default:
			i++
		}
	}
	if len(stack) > 0 {
		t.Fatalf("Render(%q) = %q: unclosed %v", in, out, stack)
	}
}

func TestRenderIsSafe(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"<img src=x onerror=alert(1)>", "[a](https://x.example/\" onclick=\"x)", "**[*a*](https://x.example)**",
		"[`x`](https://x.example)", "[x](JaVaScRiPt:alert(1))", "https://x.example/<script>", "@<b>",
		"***a***", "- [x](mailto:x)\n```\n<b>\n```", strings.Repeat("*[", 5000), strings.Repeat("**a", 3000),
	} {
		checkSafe(t, in, Render(in))
	}
}

// FuzzRender: whatever the input, the output is text and the renderer's
// own balanced tags, never a script, a javascript: link or an attribute
// value that escapes its quotes.
func FuzzRender(f *testing.F) {
	for _, s := range []string{"", "**b** *i* `c`", "[l](https://a.example)", "- a\n- b", "```\nx\n```", "@anna", "<script>", "[x](javascript:1)", "https://a.example/?a=\"b\"&c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkSafe(t, in, Render(in))
	})
}

func BenchmarkRender(b *testing.B) {
	src := strings.Repeat("Hallo **@anna**, siehe [Plan](https://uni.example/plan) und `code`.\n- eins\n- zwei\n\n", 20)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		Render(src)
	}
}
