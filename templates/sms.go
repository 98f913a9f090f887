package templates

// Keyword is an SMS reply that records a choice: the word in the message's language
// or its digit. Digits follow the order listed (1 wait, 2 substitute when offered,
// then refund). No keyword is CANCEL, STOP or another word carriers treat as opt-out.
type Keyword struct{ Choice, Word, Digit string }

// replyWords are the reply keywords per language: wait, substitute, refund.
var replyWords = map[string][3]string{
	"en": {"WAIT", "SWAP", "REFUND"},
	"fr": {"ATTENDRE", "ECHANGE", "REMBOURSER"},
	"de": {"WARTEN", "TAUSCH", "ERSTATTUNG"},
	"es": {"ESPERAR", "CAMBIO", "REEMBOLSO"},
}

// ReplyKeywords lists the reply keywords an offer's SMS in locale shows, in order;
// the substitute only when one is offered. The inbound SMS handler accepts the same.
func ReplyKeywords(locale string, substitute bool) []Keyword {
	w, ok := replyWords[baseLang(canonTag(locale))]
	if !ok {
		w = replyWords["en"]
	}
	ks := []Keyword{{Choice: ChoiceWait, Word: w[0]}}
	if substitute {
		ks = append(ks, Keyword{Choice: ChoiceSubstitute, Word: w[1]})
	}
	ks = append(ks, Keyword{Choice: ChoiceRefund, Word: w[2]})
	for i := range ks {
		ks[i].Digit = string(rune('1' + i))
	}
	return ks
}

// MaxSegments is the most SMS segments kind may take in locale's language, enforced by
// Check against the fixtures: update kinds 2 in en (and GSM-7), 3 elsewhere; legal
// notices, which carry a link and the reply keywords, 4 in en, 6 elsewhere (accents
// force UCS-2, 67 characters a segment).
func MaxSegments(kind, locale string) (segments int, gsm7 bool) {
	en := baseLang(canonTag(locale)) == "en"
	switch {
	case Required(kind) && en:
		return 4, true
	case Required(kind):
		return 6, false
	case en:
		return 2, true
	}
	return 3, false
}
