package letters

import (
	"bytes"
	"errors"
	"fmt"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"codeberg.org/go-pdf/fpdf"
)

// testEvent has German special characters in every field that allows them,
// so that each test also exercises the cp1252 conversion.
func testEvent() Event {
	return Event{
		Name:        "Wahl zum Studierendenrat 2027",
		Description: "Die Wahl findet online statt. Bei Fragen hilft das Wahlbüro im Gebäude Süd, Raum Ä 1.03 (Öffnungszeiten: täglich). Straße der Demokratie – bitte wählen Sie, möglichst früh!",
		When:        "10.12.2026 – 11.12.2026, 08:00–18:00 (Europe/Berlin)",
		SignInURL:   "https://campus.example.edu/",
	}
}

func testLetters() []Letter {
	return []Letter{
		{Username: "elk-7q4mzt", PIN: "48151623", Label: "Wahllokal 1 (Mensa)"},
		{Username: "owl-x93kfa", PIN: "90210377"},
		{Username: "fox-2b8wnp", PIN: "31415926", Label: "Briefwahl"},
	}
}

func render(t testing.TB, lang string, ev Event, ls []Letter) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Render(&buf, lang, ev, ls); err != nil {
		t.Fatalf("Render(%q): %v", lang, err)
	}
	return buf.Bytes()
}

// pageObject matches a page object, not the /Type /Pages tree root.
var pageObject = regexp.MustCompile(`/Type /Page([^s]|$)`)

// countPages counts the pages of a PDF, with pdfinfo when it is installed
// and by counting page objects otherwise.
func countPages(t *testing.T, pdf []byte) int {
	t.Helper()
	if _, err := exec.LookPath("pdfinfo"); err == nil {
		cmd := exec.Command("pdfinfo", "-")
		cmd.Stdin = bytes.NewReader(pdf)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("pdfinfo: %v", err)
		}
		m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)$`).FindSubmatch(out)
		if m == nil {
			t.Fatalf("pdfinfo printed no page count:\n%s", out)
		}
		n, _ := strconv.Atoi(string(m[1]))
		return n
	}
	return len(pageObject.FindAll(pdf, -1))
}

// needTool returns the path of a poppler tool. When it is missing the test
// is skipped, except in CI (CI=true), where the tool must be installed.
func needTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		msg := name + " not installed (apt-get install poppler-utils zbar-tools)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return path
}

// writeTemp writes pdf to a file in a temporary directory and returns its
// path; poppler's tools read files more reliably than standard input.
func writeTemp(t *testing.T, pdf []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "letters.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// pdfText extracts the text of a PDF with pdftotext.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	tool := needTool(t, "pdftotext")
	out, err := exec.Command(tool, "-enc", "UTF-8", writeTemp(t, pdf), "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

func TestRenderPages(t *testing.T) {
	t.Parallel()
	for _, lang := range []string{"en", "de"} {
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			pdf := render(t, lang, testEvent(), testLetters())
			if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
				t.Fatalf("output starts with %q, want %%PDF-", pdf[:min(len(pdf), 16)])
			}
			if got := len(pageObject.FindAll(pdf, -1)); got != 3 {
				t.Errorf("%d page objects, want 3", got)
			}
			if got := countPages(t, pdf); got != 3 {
				t.Errorf("%d pages, want 3", got)
			}
		})
	}
}

func TestRenderText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		lang string
		want []string
	}{
		{"en", []string{"Username", "PIN", "Account for", "Sign in at", "Sign-in period", "Keep this letter private"}},
		{"de", []string{"Benutzername", "PIN", "Zugang für", "Anmeldung unter", "Anmeldezeitraum", "Bewahren Sie diesen Brief vertraulich auf"}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			t.Parallel()
			ev := testEvent()
			ls := testLetters()
			text := pdfText(t, render(t, tc.lang, ev, ls))
			// pdftotext keeps the lines; join them so that wrapped
			// sentences can be searched for.
			flat := strings.Join(strings.Fields(text), " ")

			want := append([]string{ev.Name, ev.SignInURL, ev.When, "ä", "ö", "ü", "ß", "–", "Ä", "Ö", "Wahlbüro", "Gebäude Süd", "Straße"}, tc.want...)
			for _, l := range ls {
				want = append(want, l.Username, l.PIN)
				if l.Label != "" {
					want = append(want, l.Label)
				}
			}
			for _, w := range want {
				if !strings.Contains(flat, w) {
					t.Errorf("text of the PDF lacks %q", w)
				}
			}
			// Each page is a complete letter: the event's name is on every one.
			if got := strings.Count(flat, ev.Name); got < 3 {
				t.Errorf("event name appears %d times, want at least 3 (once per page)", got)
			}
			if t.Failed() {
				t.Logf("pdftotext output:\n%s", text)
			}
		})
	}
}

func TestRenderImages(t *testing.T) {
	t.Parallel()
	tool := needTool(t, "pdftoppm")
	pdf := render(t, "de", testEvent(), testLetters())
	dir := t.TempDir()
	prefix := filepath.Join(dir, "page")
	if out, err := exec.Command(tool, "-r", "50", "-png", writeTemp(t, pdf), prefix).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	files, err := filepath.Glob(prefix + "*.png")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	if len(files) != 3 {
		t.Fatalf("pdftoppm made %d PNG files, want 3: %v", len(files), files)
	}
	for _, f := range files {
		info, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if info.Size() == 0 {
			t.Errorf("%s is empty", filepath.Base(f))
		}
	}

	fh, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	img, err := png.Decode(fh)
	if err != nil {
		t.Fatalf("decode %s: %v", filepath.Base(files[0]), err)
	}
	// A4 is 210 × 297 mm: about 413 × 585 pixels at 50 dpi.
	b := img.Bounds()
	ratio := float64(b.Dy()) / float64(b.Dx())
	if ratio < 1.39 || ratio > 1.44 || b.Dx() < 400 || b.Dx() > 425 {
		t.Errorf("page image is %d × %d pixels (ratio %.3f), want about 413 × 585 (A4, ratio 1.414)", b.Dx(), b.Dy(), ratio)
	}
}

// TestQRCodeDecodes scans the first page's QR code with zbarimg, when it is
// installed (Debian's zbar-tools, which .ci/run installs). The project has
// no QR decoder among its Go dependencies.
func TestQRCodeDecodes(t *testing.T) {
	t.Parallel()
	zbar := needTool(t, "zbarimg")
	ppm := needTool(t, "pdftoppm")
	ev := testEvent()
	ev.SignInURL = "https://campus.example.edu/events/wahl-2027/sign-in?lang=de"
	pdf := render(t, "de", ev, testLetters())
	prefix := filepath.Join(t.TempDir(), "page")
	if out, err := exec.Command(ppm, "-r", "150", "-png", "-f", "1", "-l", "1", "-singlefile", writeTemp(t, pdf), prefix).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	out, err := exec.Command(zbar, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", prefix+".png").Output()
	if err != nil {
		t.Fatalf("zbarimg found no QR code: %v", err)
	}
	if got := strings.TrimSpace(string(out)); got != ev.SignInURL {
		t.Errorf("QR code says %q, want %q", got, ev.SignInURL)
	}
}

func TestRenderNoAccounts(t *testing.T) {
	t.Parallel()
	for _, ls := range [][]Letter{nil, {}} {
		var buf bytes.Buffer
		err := Render(&buf, "en", testEvent(), ls)
		if err == nil || err.Error() != "letters: no accounts" {
			t.Errorf("Render(%v) = %v, want error \"letters: no accounts\"", ls, err)
		}
		if buf.Len() != 0 {
			t.Errorf("Render(%v) wrote %d bytes, want none", ls, buf.Len())
		}
	}
}

func TestRenderInvalidInput(t *testing.T) {
	t.Parallel()
	noURL := testEvent()
	noURL.SignInURL = " "
	for name, tc := range map[string]struct {
		ev Event
		ls []Letter
	}{
		"no sign-in address": {noURL, testLetters()},
		"no username":        {testEvent(), []Letter{{PIN: "1234"}}},
		"no PIN":             {testEvent(), []Letter{{Username: "elk"}}},
		"username too long":  {testEvent(), []Letter{{Username: strings.Repeat("x", 200), PIN: "1234"}}},
		"description too long": {Event{
			Name:        "Exam",
			Description: strings.Repeat("This sentence is far too long for a letter. ", 200),
			SignInURL:   "https://campus.example.edu/",
		}, testLetters()},
	} {
		var buf bytes.Buffer
		if err := Render(&buf, "en", tc.ev, tc.ls); err == nil {
			t.Errorf("%s: Render succeeded, want an error", name)
		} else if !strings.HasPrefix(err.Error(), "letters: ") {
			t.Errorf("%s: error %q lacks the package prefix", name, err)
		}
	}
}

// TestRenderLabelAndEmptyDescription renders a letter with a label and no
// description, and one without either.
func TestRenderLabelAndEmptyDescription(t *testing.T) {
	t.Parallel()
	ev := Event{Name: "Exam Algorithms I", SignInURL: "https://campus.example.edu/"}
	ls := []Letter{
		{Username: "exam-hs1-017", PIN: "7301", Label: "Lecture hall 1, seat 17"},
		{Username: "exam-hs1-018", PIN: "7302"},
	}
	pdf := render(t, "en", ev, ls)
	if got := countPages(t, pdf); got != 2 {
		t.Errorf("%d pages, want 2", got)
	}
	if _, err := exec.LookPath("pdftotext"); err != nil && os.Getenv("CI") != "true" {
		return // the text checks need poppler; the rendering itself worked
	}
	text := strings.Join(strings.Fields(pdfText(t, pdf)), " ")
	for _, w := range []string{"Lecture hall 1, seat 17", "Account for", "exam-hs1-017", "exam-hs1-018", "7301", "7302"} {
		if !strings.Contains(text, w) {
			t.Errorf("text of the PDF lacks %q", w)
		}
	}
	if got := strings.Count(text, "Account for"); got != 1 {
		t.Errorf("%q appears %d times, want once (only the labelled letter)", "Account for", got)
	}
	if strings.Contains(text, "Sign-in period") {
		t.Errorf("letter shows a sign-in period although the event has none")
	}
}

func TestRenderDeterministic(t *testing.T) {
	t.Parallel()
	a := render(t, "de", testEvent(), testLetters())
	b := render(t, "de", testEvent(), testLetters())
	if !bytes.Equal(a, b) {
		t.Error("two renderings of the same input differ")
	}
	c := render(t, "en", testEvent(), testLetters())
	if bytes.Equal(a, c) {
		t.Error("German and English renderings are identical")
	}
}

func TestRenderMetadata(t *testing.T) {
	t.Parallel()
	pdf := render(t, "de", testEvent(), testLetters())
	// fpdf writes UTF-8 metadata as UTF-16BE with a byte order mark.
	for _, want := range []string{"/Creator " + pdfUTF16("campus"), "/Title " + pdfUTF16(testEvent().Name), "/Lang (de)"} {
		if !bytes.Contains(pdf, []byte(want)) {
			t.Errorf("PDF lacks %q", want)
		}
	}
}

// pdfUTF16 is s as fpdf writes a UTF-8 text string: UTF-16BE with a byte
// order mark, in parentheses (s must need no escaping).
func pdfUTF16(s string) string {
	var b strings.Builder
	b.WriteString("(\xfe\xff")
	for _, r := range s {
		b.WriteByte(byte(r >> 8))
		b.WriteByte(byte(r))
	}
	b.WriteString(")")
	return b.String()
}

// newTranslatorPDF returns an empty document for tests of the helpers.
func newTranslatorPDF() *fpdf.Fpdf {
	return fpdf.New("P", "mm", "A4", "")
}

// TestCP1252 checks the conversion the core fonts rely on, without poppler.
func TestCP1252(t *testing.T) {
	t.Parallel()
	r := &renderer{}
	pdf := newTranslatorPDF()
	r.cp1252 = pdf.UnicodeTranslatorFromDescriptor("")
	if err := pdf.Error(); err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"ä ö ü ß –":   "\xe4 \xf6 \xfc \xdf \x96",
		"Ä Ö Ü „x“ €": "\xc4 \xd6 \xdc \x84x\x93 \x80",
	} {
		if got := r.cp1252(in); got != want {
			t.Errorf("cp1252(%q) = %q, want %q", in, got, want)
		}
	}
	if got := beforeCP1252.Replace("a\u2011b\u2212c\u202fd"); got != "a-b-c\u00a0d" {
		t.Errorf("beforeCP1252 gave %q", got)
	}
}

func TestWrap(t *testing.T) {
	t.Parallel()
	pdf := newTranslatorPDF()
	r := &renderer{pdf: pdf, cp1252: pdf.UnicodeTranslatorFromDescriptor("")}
	pdf.SetFont(textFont, "", bodySize)

	if got := r.wrap("  ", 100); got != nil {
		t.Errorf("wrap of blank text = %q, want no lines", got)
	}
	text := strings.Repeat("Prüfung über Größe ", 30)
	lines := r.wrap(text, 80)
	if len(lines) < 3 {
		t.Fatalf("wrap gave %d lines, want several", len(lines))
	}
	if got, want := strings.Join(lines, " "), strings.TrimSpace(text); got != want {
		t.Errorf("wrapped lines rejoin to %q, want %q", got, want)
	}
	for _, l := range lines {
		if w := r.width(l); w > 80 {
			t.Errorf("line %q is %.1f mm wide, want at most 80", l, w)
		}
	}
	// A word wider than the line is split, not lost.
	long := strings.Repeat("ä", 200)
	pieces := r.wrap(long, 50)
	if strings.Join(pieces, "") != long || len(pieces) < 2 {
		t.Errorf("long word wrapped into %d pieces that rejoin to %d runes", len(pieces), len([]rune(strings.Join(pieces, ""))))
	}
	// A no-break space keeps its words together.
	for _, l := range r.wrap(strings.Repeat("Raum\u00a01 ", 40), 40) {
		if strings.HasPrefix(l, "1") {
			t.Errorf("line %q starts after a no-break space", l)
		}
	}
	// URLs break after a separator where possible.
	pdf.SetFont(textFont, "B", urlSize)
	url := "https://campus.example.edu/events/student-council-election-2027/sign-in?lang=en&kiosk=1"
	parts := r.wrapURL(url, contentWidth-qrSize-qrGap)
	if strings.Join(parts, "") != url {
		t.Errorf("URL pieces %q do not rejoin to the URL", parts)
	}
	for _, p := range parts[:len(parts)-1] {
		if !strings.ContainsAny(p[len(p)-1:], "/?&=#") {
			t.Errorf("URL piece %q does not end at a separator", p)
		}
	}
}

// TestRenderWriteError checks that a failing writer is reported.
func TestRenderWriteError(t *testing.T) {
	t.Parallel()
	err := Render(failingWriter{}, "en", testEvent(), testLetters())
	if !errors.Is(err, errWrite) {
		t.Errorf("Render to a failing writer = %v, want it to wrap %v", err, errWrite)
	}
}

var errWrite = errors.New("disk full")

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errWrite }

var _ io.Writer = failingWriter{}

// BenchmarkRender2000 renders a batch of 2,000 letters, the size of a large
// election.
func BenchmarkRender2000(b *testing.B) {
	ev := testEvent()
	ls := make([]Letter, 2000)
	for i := range ls {
		ls[i] = Letter{
			Username: fmt.Sprintf("acct-%06d", i),
			PIN:      fmt.Sprintf("%08d", (i*7919+12345)%100000000),
			Label:    fmt.Sprintf("Wahllokal %d", i%40+1),
		}
	}
	var size int
	for b.Loop() {
		var buf bytes.Buffer
		if err := Render(&buf, "de", ev, ls); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	b.ReportMetric(float64(size)/1e6, "MB/pdf")
}
