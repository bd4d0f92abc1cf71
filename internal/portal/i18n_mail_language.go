package portal

// The profile's choice of the language of e-mails (issue 13), added to
// the catalogue here rather than inside its literal.
func init() {
	addMessages(map[Lang]map[string]string{English: {
		"profile.locale":         "Language of e-mails",
		"profile.locale.browser": "As my browser asks (no choice)",
		"profile.locale.en":      "English", // each language in its own name, as the switch
		"profile.locale.de":      "Deutsch",
		"profile.locale.invalid": "Choose a language, or no choice.",
	}, German: {
		"profile.locale":         "Sprache der E-Mails",
		"profile.locale.browser": "Wie im Browser eingestellt (keine Wahl)",
		"profile.locale.en":      "English",
		"profile.locale.de":      "Deutsch",
		"profile.locale.invalid": "Wählen Sie eine Sprache oder keine Wahl.",
	}})
}
