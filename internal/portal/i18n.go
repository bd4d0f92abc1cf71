package portal

import (
	"fmt"
	"net/http"

	"golang.org/x/text/language"
)

// Lang is a language the portal speaks.
type Lang string

const (
	English Lang = "en"
	German  Lang = "de"
)

var supported = []language.Tag{language.English, language.German}

var matcher = language.NewMatcher(supported)

const langCookie = "campus_lang"

// langOf picks the language: the one chosen with the switcher (a cookie),
// else the best match of Accept-Language, else English.
func langOf(r *http.Request) Lang {
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == string(German) || c.Value == string(English)) {
		return Lang(c.Value)
	}
	tags, _, _ := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	_, i, _ := matcher.Match(tags...)
	if supported[i] == language.German {
		return German
	}
	return English
}

// T returns the message for key in lang, formatted with args; a key
// missing in German falls back to English, a key missing everywhere shows
// itself (and TestCatalogueComplete fails).
func T(lang Lang, key string, args ...any) string {
	msg, ok := messages[lang][key]
	if !ok {
		msg, ok = messages[English][key]
	}
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(msg, args...)
	}
	return msg
}

// messages is the catalogue: every string a person reads on the portal.
var messages = map[Lang]map[string]string{
	English: {
		"site.name":                        "campus",
		"site.skip":                        "Skip to content",
		"site.footer":                      "campus %s · the university's study programmes",
		"nav.label":                        "Main",
		"nav.home":                         "Home",
		"nav.catalogue":                    "Programmes",
		"nav.mystudy":                      "My study",
		"nav.profile":                      "Profile",
		"nav.grading":                      "Grading",
		"nav.admin":                        "Administration",
		"nav.signin":                       "Sign in",
		"nav.signout":                      "Sign out",
		"nav.register":                     "Create account",
		"nav.signedin":                     "Signed in as %s",
		"lang.switch":                      "Deutsch",
		"lang.switch.label":                "Auf Deutsch lesen",
		"home.title":                       "Welcome to campus",
		"home.lead":                        "Study programmes, modules, lectures and your grades in one place.",
		"home.students":                    "Students see their programme, its modules and lectures, and their grades.",
		"home.staff":                       "Staff maintain programmes and record grades.",
		"home.browse":                      "Browse the study programmes",
		"catalogue.title":                  "Study programmes",
		"catalogue.lead":                   "All programmes open for enrolment, with their modules and lectures.",
		"catalogue.search":                 "Search programmes",
		"catalogue.go":                     "Search",
		"catalogue.empty":                  "No programme matches.",
		"catalogue.semesters":              "%d semesters",
		"catalogue.credits":                "%d ECTS credits",
		"catalogue.next":                   "More programmes",
		"programme.modules":                "Modules",
		"programme.compulsory":             "compulsory",
		"programme.elective":               "elective",
		"programme.semester":               "Semester %d",
		"programme.nomodules":              "This programme has no modules yet.",
		"programme.lectures":               "Lectures",
		"programme.hours":                  "%d h/week",
		"programme.credits":                "%d ECTS",
		"error.title":                      "Something went wrong",
		"error.notfound":                   "There is nothing at this address.",
		"error.signin":                     "Signing in did not work: %s. Please try again.",
		"error.expired":                    "Your sign-in took too long or was started elsewhere. Please sign in again.",
		"error.unavailable":                "This part of campus is not available right now. Please try again in a moment.",
		"signedout.title":                  "Signed out",
		"signedout.text":                   "You are signed out of campus and every university application.",
		"my.title":                         "My study",
		"my.none":                          "You are not enrolled in a programme yet.",
		"my.choose":                        "Choose your programme",
		"my.enrol":                         "Enrol",
		"my.enrolled":                      "You are enrolled in %s.",
		"my.view.list":                     "List",
		"my.view.detail":                   "Detailed list",
		"my.view.label":                    "View",
		"my.credits":                       "%d of %d ECTS credits earned",
		"my.mean":                          "Average grade of passed modules: %s",
		"my.plan":                          "Study plan",
		"my.module":                        "Module",
		"my.ects":                          "ECTS credits",
		"my.grade":                         "Grade",
		"my.status":                        "Status",
		"my.lecture":                       "Lecture",
		"my.attempt":                       "attempt %d",
		"status.passed":                    "passed",
		"status.failed":                    "failed",
		"status.open":                      "open (retake possible)",
		"status.in_progress":               "in progress",
		"status.not_started":               "not started",
		"status.provisional":               "provisional",
		"error.signedout":                  "Please sign in again.",
		"profile.title":                    "Your profile",
		"profile.saved":                    "Your profile is saved.",
		"profile.password.changed":         "Your password is changed.",
		"profile.semester.invalid":         "Enter a whole number from 0 (none) to 40.",
		"profile.conflict":                 "Your profile was changed elsewhere while you were editing. Compare below; saving again keeps what is in the form.",
		"profile.conflict.title":           "Changed meanwhile",
		"profile.conflict.theirs":          "Saved now",
		"profile.conflict.yours":           "Your form",
		"profile.username":                 "User name",
		"profile.email":                    "E-mail address",
		"profile.display_name":             "Name shown to others",
		"profile.given_name":               "Given name",
		"profile.family_name":              "Family name",
		"profile.semester":                 "Semester",
		"profile.save":                     "Save profile",
		"profile.password.title":           "Change password",
		"profile.password.current":         "Current password",
		"profile.password.new":             "New password",
		"profile.password.again":           "New password again",
		"profile.password.change":          "Change password",
		"profile.password.current.missing": "Enter your current password.",
		"profile.password.mismatch":        "The two new passwords differ.",
	},
	German: {
		"site.skip":                        "Zum Inhalt springen",
		"site.footer":                      "campus %s · die Studiengänge der Universität",
		"nav.label":                        "Hauptmenü",
		"nav.home":                         "Start",
		"nav.catalogue":                    "Studiengänge",
		"nav.mystudy":                      "Mein Studium",
		"nav.profile":                      "Profil",
		"nav.grading":                      "Noten",
		"nav.admin":                        "Verwaltung",
		"nav.signin":                       "Anmelden",
		"nav.signout":                      "Abmelden",
		"nav.register":                     "Konto anlegen",
		"nav.signedin":                     "Angemeldet als %s",
		"lang.switch":                      "English",
		"lang.switch.label":                "Read in English",
		"home.title":                       "Willkommen bei campus",
		"home.lead":                        "Studiengänge, Module, Lehrveranstaltungen und Ihre Noten an einem Ort.",
		"home.students":                    "Studierende sehen ihren Studiengang, seine Module und Lehrveranstaltungen und ihre Noten.",
		"home.staff":                       "Mitarbeitende pflegen Studiengänge und tragen Noten ein.",
		"home.browse":                      "Studiengänge ansehen",
		"catalogue.title":                  "Studiengänge",
		"catalogue.lead":                   "Alle Studiengänge, in die man sich einschreiben kann, mit Modulen und Lehrveranstaltungen.",
		"catalogue.search":                 "Studiengänge suchen",
		"catalogue.go":                     "Suchen",
		"catalogue.empty":                  "Kein Studiengang passt.",
		"catalogue.semesters":              "%d Semester",
		"catalogue.credits":                "%d ECTS-Punkte",
		"catalogue.next":                   "Weitere Studiengänge",
		"programme.modules":                "Module",
		"programme.compulsory":             "Pflicht",
		"programme.elective":               "Wahl",
		"programme.semester":               "%d. Semester",
		"programme.nomodules":              "Dieser Studiengang hat noch keine Module.",
		"programme.lectures":               "Lehrveranstaltungen",
		"programme.hours":                  "%d SWS",
		"programme.credits":                "%d ECTS",
		"error.title":                      "Etwas ist schiefgegangen",
		"error.notfound":                   "Unter dieser Adresse gibt es nichts.",
		"error.signin":                     "Die Anmeldung hat nicht geklappt: %s. Bitte versuchen Sie es noch einmal.",
		"error.expired":                    "Ihre Anmeldung hat zu lange gedauert oder wurde anderswo begonnen. Bitte melden Sie sich erneut an.",
		"error.unavailable":                "Dieser Teil von campus ist gerade nicht erreichbar. Bitte versuchen Sie es gleich noch einmal.",
		"signedout.title":                  "Abgemeldet",
		"signedout.text":                   "Sie sind von campus und allen Anwendungen der Universität abgemeldet.",
		"my.title":                         "Mein Studium",
		"my.none":                          "Sie sind noch in keinen Studiengang eingeschrieben.",
		"my.choose":                        "Studiengang wählen",
		"my.enrol":                         "Einschreiben",
		"my.enrolled":                      "Sie sind in %s eingeschrieben.",
		"my.view.list":                     "Liste",
		"my.view.detail":                   "Ausführliche Liste",
		"my.view.label":                    "Ansicht",
		"my.credits":                       "%d von %d ECTS-Punkten erreicht",
		"my.mean":                          "Durchschnittsnote der bestandenen Module: %s",
		"my.plan":                          "Studienplan",
		"my.module":                        "Modul",
		"my.ects":                          "ECTS-Punkte",
		"my.grade":                         "Note",
		"my.status":                        "Stand",
		"my.lecture":                       "Lehrveranstaltung",
		"my.attempt":                       "%d. Versuch",
		"status.passed":                    "bestanden",
		"status.failed":                    "nicht bestanden",
		"status.open":                      "offen (Wiederholung möglich)",
		"status.in_progress":               "läuft",
		"status.not_started":               "nicht begonnen",
		"status.provisional":               "vorläufig",
		"error.signedout":                  "Bitte melden Sie sich erneut an.",
		"profile.title":                    "Ihr Profil",
		"profile.saved":                    "Ihr Profil ist gespeichert.",
		"profile.password.changed":         "Ihr Passwort ist geändert.",
		"profile.semester.invalid":         "Geben Sie eine ganze Zahl von 0 (keins) bis 40 ein.",
		"profile.conflict":                 "Ihr Profil wurde anderswo geändert, während Sie es bearbeitet haben. Vergleichen Sie unten; erneutes Speichern übernimmt, was im Formular steht.",
		"profile.conflict.title":           "Zwischenzeitlich geändert",
		"profile.conflict.theirs":          "Jetzt gespeichert",
		"profile.conflict.yours":           "Ihr Formular",
		"profile.username":                 "Benutzername",
		"profile.email":                    "E-Mail-Adresse",
		"profile.display_name":             "Angezeigter Name",
		"profile.given_name":               "Vorname",
		"profile.family_name":              "Nachname",
		"profile.semester":                 "Fachsemester",
		"profile.save":                     "Profil speichern",
		"profile.password.title":           "Passwort ändern",
		"profile.password.current":         "Aktuelles Passwort",
		"profile.password.new":             "Neues Passwort",
		"profile.password.again":           "Neues Passwort wiederholen",
		"profile.password.change":          "Passwort ändern",
		"profile.password.current.missing": "Geben Sie Ihr aktuelles Passwort ein.",
		"profile.password.mismatch":        "Die beiden neuen Passwörter unterscheiden sich.",
	},
}
