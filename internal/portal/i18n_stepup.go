package portal

// What a change the study service refused for want of a second factor
// says (its RFC 9470 step-up challenge), on the page of the change.
func init() {
	addMessages(map[Lang]map[string]string{
		English: {
			"stepup.needed": "This change needs a sign-in with a second factor (a passkey or an authenticator app); nothing was changed. Set one up if you have none, sign in again with it, then repeat the change.",
			"stepup.link":   "Your sign-in security",
		},
		German: {
			"stepup.needed": "Diese Änderung braucht eine Anmeldung mit einem zweiten Faktor (einem Passkey oder einer Authenticator-App); es wurde nichts geändert. Richten Sie einen ein, falls Sie keinen haben, melden Sie sich damit erneut an und wiederholen Sie dann die Änderung.",
			"stepup.link":   "Ihre Anmeldesicherheit",
		},
	})
}
