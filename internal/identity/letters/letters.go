// Package letters renders printable sign-in letters for event accounts.
//
// For an event such as an exam, an open day or a student council election,
// an administrator generates a batch of accounts, each with a random
// username and a numeric PIN. The accounts are handed out on paper: Render
// turns the batch into a PDF with one A4 page per account. Every page is
// self-explanatory on its own, because the pages are cut apart from the
// batch and given to different people: it names the event, says what the
// account is for (its label, if any), shows the username and the PIN in a
// large monospace font, gives the sign-in address both as text and as a QR
// code, states when signing in is possible, and tells the holder to keep the
// letter private.
//
// The PDF uses the standard core fonts (Helvetica and Courier), so nothing
// is embedded and the output stays small even for thousands of pages. Text
// is converted from UTF-8 to the Windows-1252 code page those fonts use,
// which covers German (ä, ö, ü, ß, „“, –) and the other western European
// languages; characters outside it are printed as a close ASCII equivalent
// where one is known and as "." otherwise.
//
// The output depends only on the input: the document's dates are fixed (see
// documentDate) and its internal catalogs are sorted, so the same batch
// renders to the same bytes.
package letters

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"codeberg.org/go-pdf/fpdf"
	"github.com/skip2/go-qrcode"
)

// Event is what every letter of a batch says about the event.
type Event struct {
	Name        string // e.g. "Student council election 2027"
	Description string // may be empty; may be a few sentences
	When        string // the sign-in window in words, already localised, e.g. "10.12.2026 – 11.12.2026, 08:00–18:00 (Europe/Berlin)"; may be empty
	SignInURL   string // the address to sign in at, e.g. "https://campus.example.edu/"
}

// Letter is one account of the batch.
type Letter struct {
	Username string
	PIN      string
	Label    string // optional: what the account is for (a polling station, an exam room); "" when none
}

// documentDate is written as the PDF's creation and modification date. fpdf
// writes the current time when none is set, which would make every
// rendering of the same batch differ; a fixed date keeps the output
// reproducible (and does not reveal when a batch was printed).
var documentDate = time.Date(2000, time.January, 1, 0, 0, 0, 0, time.UTC)

// Page geometry, in millimetres (the document's unit).
const (
	pageWidth    = 210.0 // A4
	pageHeight   = 297.0 // A4
	marginLeft   = 20.0
	marginRight  = 20.0
	marginTop    = 20.0
	marginBottom = 20.0
	contentWidth = pageWidth - marginLeft - marginRight

	// qrSize is the printed width (and height) of the QR code image. The
	// image includes the four-module quiet zone go-qrcode adds, so the code
	// itself is at least 50 × 25/33 ≈ 38 mm wide even for the smallest QR
	// version that fits a URL: comfortably above 35 mm for phone cameras.
	qrSize = 50.0
	// qrGap separates the QR code from the text column beside it.
	qrGap = 6.0
	// qrImageName is the name the QR image is registered under; it is
	// registered once per document and placed on every page.
	qrImageName = "signin-qr"

	// Font sizes in points and line heights in millimetres.
	headingSize   = 20.0
	headingLine   = 9.0
	captionSize   = 9.0
	captionLine   = 4.5
	labelSize     = 14.0
	labelLine     = 7.0
	credSize      = 24.0 // username and PIN, shrunk for very long values
	credMinSize   = 10.0 // below this a value counts as unprintable
	credLine      = 11.0
	credPadding   = 5.0 // inside the credentials box
	urlSize       = 13.0
	urlLine       = 6.0
	bodySize      = 11.0
	bodyLine      = 5.5
	sectionGap    = 7.0 // between the blocks of a page
	paragraphGap  = 3.0 // between a heading and its text
	ptPerMM       = 72.0 / 25.4
	textFont      = "Helvetica"
	monospaceFont = "Courier"
)

// descriptionSizes are the font sizes tried, largest first, for an event
// description too long to fit on the page at the body size.
var descriptionSizes = []float64{bodySize, 10, 9}

// texts holds the fixed wording of a letter in one language.
type texts struct {
	subject     string // the PDF's subject metadata
	fallback    string // the heading when the event has no name
	labelFor    string // caption of the label
	username    string
	pin         string
	signInAt    string // caption of the sign-in address
	when        string // caption of the sign-in window
	instruction string
}

var english = texts{
	subject:     "Sign-in letters",
	fallback:    "Sign-in letter",
	labelFor:    "Account for",
	username:    "Username",
	pin:         "PIN",
	signInAt:    "Sign in at",
	when:        "Sign-in period",
	instruction: "Sign in at the address above with this username and PIN. Keep this letter private: whoever has it can sign in as this account until the event ends.",
}

var german = texts{
	subject:     "Zugangsbriefe",
	fallback:    "Zugangsdaten",
	labelFor:    "Zugang für",
	username:    "Benutzername",
	pin:         "PIN",
	signInAt:    "Anmeldung unter",
	when:        "Anmeldezeitraum",
	instruction: "Melden Sie sich unter der obigen Adresse mit diesem Benutzernamen und dieser PIN an. Bewahren Sie diesen Brief vertraulich auf: Wer ihn hat, kann sich bis zum Ende der Veranstaltung mit diesem Konto anmelden.",
}

// textsFor returns the wording for lang: German for "de" (and regional
// variants such as "de-AT"), English for anything else.
func textsFor(lang string) (texts, string) {
	l := strings.ToLower(strings.TrimSpace(lang))
	if l == "de" || strings.HasPrefix(l, "de-") || strings.HasPrefix(l, "de_") {
		return german, "de"
	}
	return english, "en"
}

// beforeCP1252 maps characters that Windows-1252 lacks, but that turn up in
// ordinary text, to an equivalent it has. Anything else outside the code
// page is printed as "." by fpdf's translator.
var beforeCP1252 = strings.NewReplacer(
	"\u2010", "-", // hyphen
	"\u2011", "-", // non-breaking hyphen
	"\u2012", "–", // figure dash
	"\u2212", "-", // minus sign
	"\u2002", " ", // en space
	"\u2003", " ", // em space
	"\u2009", " ", // thin space
	"\u200a", " ", // hair space
	"\u202f", "\u00a0", // narrow no-break space
	"\u2007", "\u00a0", // figure space
	"\u200b", "", // zero-width space
	"\u00ad", "", // soft hyphen: never shown by this simple layout
	"\u2192", "->",
	"\u2190", "<-",
	"\u2264", "<=",
	"\u2265", ">=",
	"\t", " ",
	"\r\n", "\n",
	"\r", "\n",
)

// renderer draws the pages of one document.
type renderer struct {
	pdf *fpdf.Fpdf
	t   texts
	// cp1252 converts UTF-8 text to the code page of the core fonts.
	cp1252 func(string) string

	// Laid out once per document: the event's texts are on every page.
	heading     []string
	description []string
	descSize    float64
	descLine    float64
	urlLines    []string
	whenLines   []string
	instruction []string
}

// Render writes one page per letter, in lang ("en" or "de"; anything else is English), to w.
func Render(w io.Writer, lang string, ev Event, letters []Letter) error {
	if len(letters) == 0 {
		return errors.New("letters: no accounts")
	}
	ev.SignInURL = strings.TrimSpace(ev.SignInURL) // printed, encoded and linked alike
	if ev.SignInURL == "" {
		return errors.New("letters: event has no sign-in address")
	}
	for i, l := range letters {
		if strings.TrimSpace(l.Username) == "" {
			return fmt.Errorf("letters: account %d of %d has no username", i+1, len(letters))
		}
		if strings.TrimSpace(l.PIN) == "" {
			return fmt.Errorf("letters: account %d of %d (%s) has no PIN", i+1, len(letters), l.Username)
		}
	}

	t, code := textsFor(lang)
	pdf := fpdf.New("P", "mm", "A4", "")
	r := &renderer{pdf: pdf, t: t}
	r.cp1252 = pdf.UnicodeTranslatorFromDescriptor("")
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("letters: load the cp1252 code page: %w", err)
	}

	// Metadata and reproducibility.
	title := strings.TrimSpace(ev.Name)
	if title == "" {
		title = t.fallback
	}
	pdf.SetTitle(title, true)
	pdf.SetSubject(t.subject, true)
	pdf.SetCreator("campus", true)
	pdf.SetLang(code)
	pdf.SetCreationDate(documentDate)
	pdf.SetModificationDate(documentDate)
	pdf.SetCatalogSort(true)

	// Every page is laid out by hand to fit on one sheet, so fpdf must
	// never break a page by itself.
	pdf.SetMargins(marginLeft, marginTop, marginRight)
	pdf.SetAutoPageBreak(false, marginBottom)

	// The QR code is the same on every page: encode and register it once.
	png, err := qrcode.Encode(ev.SignInURL, qrcode.Medium, 512)
	if err != nil {
		return fmt.Errorf("letters: encode the sign-in address as a QR code: %w", err)
	}
	pdf.RegisterImageOptionsReader(qrImageName, fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(png))
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("letters: add the QR code image: %w", err)
	}

	if err := r.layoutEvent(title, ev, letters); err != nil {
		return err
	}
	for i, l := range letters {
		if err := r.page(ev, l); err != nil {
			return fmt.Errorf("letters: account %d of %d (%s): %w", i+1, len(letters), l.Username, err)
		}
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("letters: write the PDF: %w", err)
	}
	return nil
}

// layoutEvent wraps the texts that are the same on every page and checks
// that the page with the tallest label still fits on one sheet, shrinking
// the description's font if it has to.
func (r *renderer) layoutEvent(title string, ev Event, letters []Letter) error {
	r.pdf.SetFont(textFont, "B", headingSize)
	r.heading = r.wrap(title, contentWidth)

	textColumn := contentWidth - qrSize - qrGap
	r.pdf.SetFont(textFont, "B", urlSize)
	r.urlLines = r.wrapURL(ev.SignInURL, textColumn)
	r.pdf.SetFont(textFont, "", bodySize)
	r.whenLines = r.wrap(ev.When, textColumn)
	r.instruction = r.wrap(r.t.instruction, contentWidth)

	var tallestLabel float64
	for _, l := range letters {
		tallestLabel = max(tallestLabel, r.labelHeight(l.Label))
	}
	fixed := r.fixedHeight() + tallestLabel
	available := pageHeight - marginTop - marginBottom

	for _, size := range descriptionSizes {
		r.pdf.SetFont(textFont, "", size)
		r.descSize = size
		r.descLine = size / ptPerMM * 1.25
		r.description = r.wrap(ev.Description, contentWidth)
		if fixed+r.descriptionHeight() <= available {
			return nil
		}
	}
	return fmt.Errorf("letters: the event's name, description and labels do not fit on one page (%.0f mm needed, %.0f mm available); shorten the description",
		fixed+r.descriptionHeight(), available)
}

// fixedHeight is the height of everything on a page except the description
// and the label.
func (r *renderer) fixedHeight() float64 {
	h := float64(len(r.heading)) * headingLine
	h += sectionGap + r.credentialsHeight()
	h += sectionGap + r.signInHeight()
	h += sectionGap + r.instructionHeight()
	return h
}

// descriptionHeight is the height of the description block, including the
// gap before it; zero when there is no description.
func (r *renderer) descriptionHeight() float64 {
	if len(r.description) == 0 {
		return 0
	}
	return paragraphGap + float64(len(r.description))*r.descLine
}

// labelHeight is the height of the label block for label, including the gap
// before it; zero when there is no label.
func (r *renderer) labelHeight(label string) float64 {
	lines := r.labelLines(label)
	if len(lines) == 0 {
		return 0
	}
	return sectionGap + captionLine + float64(len(lines))*labelLine
}

func (r *renderer) labelLines(label string) []string {
	r.pdf.SetFont(textFont, "B", labelSize)
	return r.wrap(label, contentWidth)
}

// credentialsHeight is the height of the box with the username and PIN.
func (r *renderer) credentialsHeight() float64 {
	return 2*credPadding + 2*(captionLine+credLine) + paragraphGap
}

// signInHeight is the height of the block with the address, the sign-in
// window and the QR code beside them.
func (r *renderer) signInHeight() float64 {
	text := captionLine + float64(len(r.urlLines))*urlLine
	if len(r.whenLines) > 0 {
		text += paragraphGap + captionLine + float64(len(r.whenLines))*bodyLine
	}
	return max(text, qrSize)
}

func (r *renderer) instructionHeight() float64 {
	return float64(len(r.instruction)) * bodyLine
}

// page draws the letter for one account on a new page.
func (r *renderer) page(ev Event, l Letter) error {
	pdf := r.pdf
	pdf.AddPage()
	y := marginTop

	// Heading: the event's name.
	pdf.SetTextColor(0, 0, 0)
	r.pdf.SetFont(textFont, "B", headingSize)
	y = r.lines(r.heading, marginLeft, y, contentWidth, headingLine, "")

	// The description, if any.
	if len(r.description) > 0 {
		y += paragraphGap
		r.pdf.SetFont(textFont, "", r.descSize)
		y = r.lines(r.description, marginLeft, y, contentWidth, r.descLine, "")
	}

	// What the account is for, if said.
	if lines := r.labelLines(l.Label); len(lines) > 0 {
		y += sectionGap
		y = r.caption(r.t.labelFor, marginLeft, y, contentWidth)
		r.pdf.SetFont(textFont, "B", labelSize)
		y = r.lines(lines, marginLeft, y, contentWidth, labelLine, "")
	}

	// The credentials, in a shaded box.
	y += sectionGap
	boxHeight := r.credentialsHeight()
	pdf.SetFillColor(242, 242, 242)
	pdf.SetDrawColor(160, 160, 160)
	pdf.SetLineWidth(0.3)
	pdf.RoundedRect(marginLeft, y, contentWidth, boxHeight, 3, "1234", "FD")
	inner := marginLeft + credPadding
	innerWidth := contentWidth - 2*credPadding
	cy := y + credPadding
	cy = r.caption(r.t.username, inner, cy, innerWidth)
	if err := r.credential(l.Username, inner, cy, innerWidth); err != nil {
		return fmt.Errorf("username: %w", err)
	}
	cy += credLine + paragraphGap
	cy = r.caption(r.t.pin, inner, cy, innerWidth)
	if err := r.credential(l.PIN, inner, cy, innerWidth); err != nil {
		return fmt.Errorf("PIN: %w", err)
	}
	y += boxHeight

	// Where and when to sign in, with the QR code on the right.
	y += sectionGap
	textColumn := contentWidth - qrSize - qrGap
	sy := r.caption(r.t.signInAt, marginLeft, y, textColumn)
	r.pdf.SetFont(textFont, "B", urlSize)
	sy = r.lines(r.urlLines, marginLeft, sy, textColumn, urlLine, ev.SignInURL)
	if len(r.whenLines) > 0 {
		sy += paragraphGap
		sy = r.caption(r.t.when, marginLeft, sy, textColumn)
		r.pdf.SetFont(textFont, "", bodySize)
		r.lines(r.whenLines, marginLeft, sy, textColumn, bodyLine, "")
	}
	pdf.ImageOptions(qrImageName, pageWidth-marginRight-qrSize, y, qrSize, qrSize,
		false, fpdf.ImageOptions{ImageType: "PNG"}, 0, ev.SignInURL)
	y += r.signInHeight()

	// What to do with the letter.
	y += sectionGap
	pdf.SetDrawColor(160, 160, 160)
	pdf.SetLineWidth(0.2)
	pdf.Line(marginLeft, y-sectionGap/2, pageWidth-marginRight, y-sectionGap/2)
	r.pdf.SetFont(textFont, "", bodySize)
	r.lines(r.instruction, marginLeft, y, contentWidth, bodyLine, "")

	if err := pdf.Error(); err != nil {
		return fmt.Errorf("draw the page: %w", err)
	}
	return nil
}

// credential prints a username or PIN in the large monospace font, shrunk
// if needed so that it stays on one line.
func (r *renderer) credential(value string, x, y, width float64) error {
	value = strings.TrimSpace(value)
	size := credSize
	r.pdf.SetFont(monospaceFont, "B", size)
	if w := r.pdf.GetStringWidth(r.cp1252(value)); w > width {
		size = size * width / w
		if size < credMinSize {
			return fmt.Errorf("%d characters are too long to print legibly", utf8.RuneCountInString(value))
		}
		r.pdf.SetFont(monospaceFont, "B", size)
	}
	r.pdf.SetTextColor(0, 0, 0)
	r.pdf.SetXY(x, y)
	r.pdf.CellFormat(width, credLine, r.cp1252(value), "", 0, "LM", false, 0, "")
	return nil
}

// caption prints a small grey caption line and returns the y below it.
func (r *renderer) caption(text string, x, y, width float64) float64 {
	r.pdf.SetFont(textFont, "", captionSize)
	r.pdf.SetTextColor(90, 90, 90)
	r.pdf.SetXY(x, y)
	r.pdf.CellFormat(width, captionLine, r.cp1252(text), "", 0, "LM", false, 0, "")
	r.pdf.SetTextColor(0, 0, 0)
	return y + captionLine
}

// lines prints already wrapped lines in the current font, each linking to
// link when that is not empty, and returns the y below the last one.
func (r *renderer) lines(lines []string, x, y, width, lineHeight float64, link string) float64 {
	for _, line := range lines {
		r.pdf.SetXY(x, y)
		r.pdf.CellFormat(width, lineHeight, r.cp1252(line), "", 0, "LM", false, 0, link)
		y += lineHeight
	}
	return y
}

// width is the printed width of UTF-8 text s in the current font.
func (r *renderer) width(s string) float64 {
	return r.pdf.GetStringWidth(r.cp1252(s))
}

// wrap breaks UTF-8 text into lines no wider than width in the current
// font: at spaces where possible, inside a word only when the word alone is
// too wide. Line breaks in the text are kept; empty text gives no lines.
//
// fpdf's own SplitText and MultiCell cannot be used here: they measure
// runes of UTF-8 text, while the core fonts measure bytes of the cp1252
// text, so they mis-measure and mangle umlauts.
func (r *renderer) wrap(text string, width float64) []string {
	text = strings.TrimSpace(beforeCP1252.Replace(text))
	if text == "" {
		return nil
	}
	var out []string
	for _, paragraph := range strings.Split(text, "\n") {
		// Break at spaces, but not at no-break spaces.
		words := strings.FieldsFunc(paragraph, func(c rune) bool {
			return unicode.IsSpace(c) && c != '\u00a0'
		})
		if len(words) == 0 {
			out = append(out, "") // keep an intended blank line
			continue
		}
		line := ""
		for _, word := range words {
			candidate := word
			if line != "" {
				candidate = line + " " + word
			}
			if r.width(candidate) <= width {
				line = candidate
				continue
			}
			if line != "" {
				out = append(out, line)
			}
			// The word starts a new line; split it if it is too wide alone.
			pieces := r.splitWord(word, width, nil)
			out = append(out, pieces[:len(pieces)-1]...)
			line = pieces[len(pieces)-1]
		}
		out = append(out, line)
	}
	return out
}

// wrapURL breaks an address into lines no wider than width, preferably
// after a "/", "?", "&", "=" or "#" so that the pieces read naturally. It
// never prefers a "-": a break there would look like a hyphenation, and a
// reader typing the address might drop the hyphen.
func (r *renderer) wrapURL(url string, width float64) []string {
	url = beforeCP1252.Replace(url)
	if url == "" {
		return nil
	}
	return r.splitWord(url, width, func(c rune) bool {
		return strings.ContainsRune("/?&=#", c)
	})
}

// splitWord splits a word that has no spaces into pieces no wider than
// width. When breakAfter is given, a piece preferably ends after a rune it
// accepts; otherwise at the last rune that still fits. It always returns at
// least one piece, and every piece has at least one rune.
func (r *renderer) splitWord(word string, width float64, breakAfter func(rune) bool) []string {
	var pieces []string
	runes := []rune(word)
	for len(runes) > 0 {
		// n is how many runes fit; at least one, so that progress is made.
		n := 1
		for n < len(runes) && r.width(string(runes[:n+1])) <= width {
			n++
		}
		if n < len(runes) && breakAfter != nil {
			for i := n; i > n/2; i-- {
				if breakAfter(runes[i-1]) {
					n = i
					break
				}
			}
		}
		pieces = append(pieces, string(runes[:n]))
		runes = runes[n:]
	}
	if len(pieces) == 0 {
		pieces = []string{""}
	}
	return pieces
}
