package portal

import "fmt"

// The portal's messages for issue 13's rough edges, added to the
// catalogue here rather than in the middle of it.
func init() {
	for lang, msgs := range map[Lang]map[string]string{
		English: {
			// One minute left is singular ("catalogue.unlocked" says %d minutes).
			"catalogue.unlocked.one": "Editing is unlocked for 1 more minute (until %s).",
			// A form sent to the portal from another website (portal.go).
			"error.crossorigin": "This form was sent from another website, so it was refused and nothing was changed. Go back to the portal, reload the page and try again.",
		},
		German: {
			"catalogue.unlocked.one": "Die Bearbeitung ist noch 1 Minute freigegeben (bis %s).",
			"error.crossorigin":      "Dieses Formular wurde von einer anderen Website gesendet; es wurde abgelehnt und nichts wurde geändert. Gehen Sie zurück zum Portal, laden Sie die Seite neu und versuchen Sie es noch einmal.",
		},
	} {
		for k, v := range msgs {
			if _, dup := messages[lang][k]; dup {
				panic(fmt.Sprintf("portal: message %s added twice", k))
			}
			messages[lang][k] = v
		}
	}
}
