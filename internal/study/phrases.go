package study

import (
	"campus/internal/i18n"
	"campus/internal/problem"
)

// The German of the catalogue's and the grades' validation messages,
// which the study API writes as field errors.
func init() {
	problem.Phrases.Add(i18n.German, map[string]string{
		"The standard period must be between %d and %d semesters.":   "Die Regelstudienzeit muss zwischen %d und %d Semestern liegen.",
		"Credits required must be between %d and %d.":                "Die erforderlichen Leistungspunkte müssen zwischen %d und %d liegen.",
		"Enter a language code such as \"de\", \"en\" or \"de-DE\".": "Geben Sie einen Sprachcode wie \"de\", \"en\" oder \"de-DE\" ein.",
		"Status must be draft, published or archived.":               "Der Status muss draft, published oder archived sein.",
		"Credits must be between %d and %d.":                         "Die Leistungspunkte müssen zwischen %d und %d liegen.",
		"The duration must be between %d and %d semesters.":          "Die Dauer muss zwischen %d und %d Semestern liegen.",
		"Semester must be winter, summer or both.":                   "Das Semester muss winter, summer oder both sein.",
		"Hours per week must be between %d and %d.":                  "Die Semesterwochenstunden müssen zwischen %d und %d liegen.",
		"Choose a programme.":                                        "Wählen Sie einen Studiengang.",
		"Choose a module.":                                           "Wählen Sie ein Modul.",
		"The recommended semester must be between %d and %d.":        "Das empfohlene Semester muss zwischen %d und %d liegen.",
		"Choose a person.":                                           "Wählen Sie eine Person.",
		"Enter the date of enrolment.":                               "Geben Sie das Datum der Einschreibung ein.",
		"Status must be active, completed or withdrawn.":             "Der Status muss active, completed oder withdrawn sein.",
		"Enter a code.": "Geben Sie ein Kürzel ein.",
		"Code must be 1 to 32 letters, digits, '-', '_' or '.', without spaces.": "Das Kürzel muss aus 1 bis 32 Buchstaben, Ziffern, '-', '_' oder '.' bestehen, ohne Leerzeichen.",

		"Enter a title.": "Geben Sie einen Titel ein.",
		"Title contains bytes that are not valid text.":                 "Der Titel enthält Bytes, die kein gültiger Text sind.",
		"Title must be one line without control characters.":            "Der Titel muss eine Zeile ohne Steuerzeichen sein.",
		"Title must be at most %d characters.":                          "Der Titel darf höchstens %d Zeichen lang sein.",
		"Enter a degree.":                                               "Geben Sie einen Abschluss ein.",
		"Degree contains bytes that are not valid text.":                "Der Abschluss enthält Bytes, die kein gültiger Text sind.",
		"Degree must be one line without control characters.":           "Der Abschluss muss eine Zeile ohne Steuerzeichen sein.",
		"Degree must be at most %d characters.":                         "Der Abschluss darf höchstens %d Zeichen lang sein.",
		"Description contains bytes that are not valid text.":           "Die Beschreibung enthält Bytes, die kein gültiger Text sind.",
		"Description must be at most %d characters.":                    "Die Beschreibung darf höchstens %d Zeichen lang sein.",
		"Responsible contains bytes that are not valid text.":           "Die Angabe der verantwortlichen Person enthält Bytes, die kein gültiger Text sind.",
		"Responsible must be one line without control characters.":      "Die Angabe der verantwortlichen Person muss eine Zeile ohne Steuerzeichen sein.",
		"Responsible must be at most %d characters.":                    "Die Angabe der verantwortlichen Person darf höchstens %d Zeichen lang sein.",
		"Teaching form contains bytes that are not valid text.":         "Die Lehrform enthält Bytes, die kein gültiger Text sind.",
		"Teaching form must be one line without control characters.":    "Die Lehrform muss eine Zeile ohne Steuerzeichen sein.",
		"Teaching form must be at most %d characters.":                  "Die Lehrform darf höchstens %d Zeichen lang sein.",
		"Examination form contains bytes that are not valid text.":      "Die Prüfungsform enthält Bytes, die kein gültiger Text sind.",
		"Examination form must be one line without control characters.": "Die Prüfungsform muss eine Zeile ohne Steuerzeichen sein.",
		"Examination form must be at most %d characters.":               "Die Prüfungsform darf höchstens %d Zeichen lang sein.",

		"Choose a lecture, or a module that is examined as a whole.": "Wählen Sie eine Lehrveranstaltung oder ein Modul, das als Ganzes geprüft wird.",
		"Choose a lecture or a module, not both.":                    "Wählen Sie eine Lehrveranstaltung oder ein Modul, nicht beides.",
		"Attempt must be 1.":                                         "Der Versuch muss 1 sein.",
		"Attempt must be between 1 and %d.":                          "Der Versuch muss zwischen 1 und %d liegen.",
		"Grade must be one of %s.":                                   "Die Note muss eine der folgenden sein: %s.",
		"Enter the date of the examination.":                         "Geben Sie das Datum der Prüfung ein.",
		"Enter the grader.":                                          "Geben Sie die prüfende Person an.",
		"Status must be provisional or final.":                       "Der Status muss provisional oder final sein.",

		// NextAttemptAllowed's refusals, which the store reports as the
		// attempt's field error.
		"already passed (%s in attempt %d)": "bereits bestanden (%s im %d. Versuch)",
		"no attempts left (%d of %d used)":  "keine Versuche mehr übrig (%d von %d verbraucht)",
		"attempt %d is still provisional":   "Versuch %d ist noch vorläufig",
	})
}
