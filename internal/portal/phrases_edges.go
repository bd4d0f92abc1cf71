package portal

import (
	"campus/internal/i18n"
	"campus/internal/problem"
)

// German for the API gateway's problem details (gateway.go).
func init() {
	m := map[string]string{
		gwKeyInactive:                  "Der API-Schlüssel ist nicht gültig: Er ist unbekannt, abgelaufen oder widerrufen. Erstellen Sie auf der Seite „API-Zugang“ des Portals einen neuen.",
		gwKeyIdentity:                  "API-Schlüssel lesen nur die Studien-API (/api/study/...); die API von identity braucht eine Portalsitzung oder ein Zugriffstoken.",
		gwKeyUnchecked:                 "API-Schlüssel können gerade nicht geprüft werden: identity ist nicht erreichbar. Versuchen Sie es gleich noch einmal.",
		gwUpstreamDown:                 "Der Dienst hinter dieser Adresse hat nicht geantwortet. Versuchen Sie es gleich noch einmal.",
		gwMisconfigured:                "Das API-Gateway des Portals ist falsch eingerichtet; bitte informieren Sie die Administration der Hochschule.",
		gwSignIn:                       "Melden Sie sich im Portal an oder senden Sie einen API-Schlüssel (Authorization: Bearer KEY).",
		gwSignInToken:                  "Melden Sie sich im Portal an oder senden Sie ein Zugriffstoken (Authorization: Bearer TOKEN).",
		gwIdentityDown:                 "Das Token Ihrer Sitzung kann gerade nicht erneuert werden: identity ist nicht erreichbar. Versuchen Sie es in einer halben Minute noch einmal.",
		gwSessionEnded:                 "Ihre Sitzung ist abgelaufen; melden Sie sich erneut an.",
		crossOriginDetail:              "Diese Anfrage kam von einer anderen Website; sie wurde abgelehnt und nichts wurde geändert. Änderungen über die API des Portals kommen von den Seiten des Portals selbst oder von Programmen.",
		"Cross-origin request refused": "Anfrage von einer anderen Website abgelehnt",
	}
	// Some may be translated in another file of the package first.
	problem.Phrases.AddNew(i18n.German, m)
}
