// Package i18n is campus's language support: the two languages it speaks
// (English and German), how a request's language is chosen, message
// catalogues for pages (keyed by message names), and a phrasebook for
// API errors (keyed by the English text, as gettext does), so that a
// problem document written in English reaches a German client in German.
package i18n
