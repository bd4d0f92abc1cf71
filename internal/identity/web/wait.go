package web

import "campus/internal/i18n"

// waitIn says how long to wait (the texts are in i18n_pages.go), for "Try again in ..." texts (rate limits
// and lockouts, beside a Retry-After of the same seconds): whole seconds
// below two minutes, else whole minutes rounded up, in lang, with the
// singular for one ("1 second", not "1 seconds").
func waitIn(lang i18n.Lang, seconds int) string {
	seconds = max(1, seconds)
	switch {
	case seconds == 1:
		return T(lang, "wait.second")
	case seconds < 120:
		return T(lang, "wait.seconds", seconds)
	}
	return T(lang, "wait.minutes", (seconds+59)/60)
}

// humanWait is waitIn in English, the language of API problem details
// before problem.Write translates them (phrases_edges.go has each sentence
// with every form of the wait).
func humanWait(seconds int) string { return waitIn(i18n.English, seconds) }
