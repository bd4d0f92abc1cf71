package problem

import (
	"net/http"

	"campus/internal/i18n"
)

func init() {
	Phrases.Add(i18n.German, map[string]string{
		"There is nothing at this address.": "Unter dieser Adresse gibt es nichts.",
		"Temporarily unavailable":           "Vorübergehend nicht verfügbar",
		"The service cannot reach its database right now; nothing was changed. Try again in a few seconds.": "Der Dienst erreicht seine Datenbank gerade nicht; es wurde nichts geändert. Versuchen Sie es in einigen Sekunden erneut.",
	})
	// The titles Write gives a problem without its own: the status text.
	german := map[int]string{
		http.StatusBadRequest:                    "Ungültige Anfrage",
		http.StatusUnauthorized:                  "Nicht angemeldet",
		http.StatusPaymentRequired:               "Zahlung erforderlich",
		http.StatusForbidden:                     "Nicht erlaubt",
		http.StatusNotFound:                      "Nicht gefunden",
		http.StatusMethodNotAllowed:              "Methode nicht erlaubt",
		http.StatusNotAcceptable:                 "Nicht annehmbar",
		http.StatusProxyAuthRequired:             "Proxy-Anmeldung erforderlich",
		http.StatusRequestTimeout:                "Zeitüberschreitung der Anfrage",
		http.StatusConflict:                      "Konflikt",
		http.StatusGone:                          "Nicht mehr vorhanden",
		http.StatusLengthRequired:                "Länge erforderlich",
		http.StatusPreconditionFailed:            "Vorbedingung nicht erfüllt",
		http.StatusRequestEntityTooLarge:         "Inhalt zu groß",
		http.StatusRequestURITooLong:             "Adresse zu lang",
		http.StatusUnsupportedMediaType:          "Nicht unterstütztes Format",
		http.StatusRequestedRangeNotSatisfiable:  "Bereich nicht erfüllbar",
		http.StatusExpectationFailed:             "Erwartung nicht erfüllt",
		http.StatusTeapot:                        "Ich bin eine Teekanne",
		http.StatusMisdirectedRequest:            "Fehlgeleitete Anfrage",
		http.StatusUnprocessableEntity:           "Nicht verarbeitbarer Inhalt",
		http.StatusLocked:                        "Gesperrt",
		http.StatusFailedDependency:              "Abhängigkeit fehlgeschlagen",
		http.StatusTooEarly:                      "Zu früh",
		http.StatusUpgradeRequired:               "Upgrade erforderlich",
		http.StatusPreconditionRequired:          "Vorbedingung erforderlich",
		http.StatusTooManyRequests:               "Zu viele Anfragen",
		http.StatusRequestHeaderFieldsTooLarge:   "Kopfzeilen zu groß",
		http.StatusUnavailableForLegalReasons:    "Aus rechtlichen Gründen nicht verfügbar",
		http.StatusInternalServerError:           "Interner Fehler",
		http.StatusNotImplemented:                "Nicht umgesetzt",
		http.StatusBadGateway:                    "Fehlerhaftes Gateway",
		http.StatusServiceUnavailable:            "Dienst nicht verfügbar",
		http.StatusGatewayTimeout:                "Zeitüberschreitung am Gateway",
		http.StatusHTTPVersionNotSupported:       "HTTP-Version nicht unterstützt",
		http.StatusVariantAlsoNegotiates:         "Variante verhandelt ebenfalls",
		http.StatusInsufficientStorage:           "Speicher nicht ausreichend",
		http.StatusLoopDetected:                  "Schleife erkannt",
		http.StatusNotExtended:                   "Nicht erweitert",
		http.StatusNetworkAuthenticationRequired: "Netzwerkanmeldung erforderlich",
	}
	titles := make(map[string]string, len(german))
	for code, de := range german {
		titles[http.StatusText(code)] = de
	}
	Phrases.Add(i18n.German, titles)
}
