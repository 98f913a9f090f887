package httpapi

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-playground/locales"
	lcurrency "github.com/go-playground/locales/currency"
	"github.com/go-playground/locales/de"
	"github.com/go-playground/locales/en"
	"github.com/go-playground/locales/es"
	"github.com/go-playground/locales/fr"
	"golang.org/x/text/language"
)

// The customer pages speak en, fr, de and es: the customer's language from the order
// snapshot, else the brand's default, else English.

// catalog is one language's page strings; {0}, {1}… are filled by T's arguments.
type catalog map[string]string

func (c catalog) text(key string, args ...any) string {
	s, ok := c[key]
	if !ok {
		s, ok = catalogs["en"][key]
	}
	if !ok {
		return key
	}
	for i, a := range args {
		s = strings.ReplaceAll(s, "{"+strconv.Itoa(i)+"}", fmt.Sprint(a))
	}
	return s
}

// pageLangs are the languages of the pages, in the order Accept-Language is matched.
var pageLangs = []language.Tag{language.English, language.French, language.German, language.Spanish}

var langMatcher = language.NewMatcher(pageLangs)

// pickLang returns the page language for a customer locale and the brand's default.
func pickLang(customer, brandDefault string) string {
	for _, tag := range []string{customer, brandDefault} {
		if lang := baseOf(tag); catalogs[lang] != nil {
			return lang
		}
	}
	return "en"
}

// baseOf is the language subtag of a locale tag ("fr-CA", "fr_CA" → "fr").
func baseOf(tag string) string {
	t, err := language.Parse(strings.ReplaceAll(strings.TrimSpace(tag), "_", "-"))
	if err != nil {
		return ""
	}
	b, _ := t.Base()
	return b.String()
}

// acceptLanguage picks the page language from an Accept-Language header, for pages
// that know no order.
func acceptLanguage(header string) string {
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil || len(tags) == 0 {
		return "en"
	}
	_, i, conf := langMatcher.Match(tags...)
	if conf == language.No {
		return "en"
	}
	return baseOf(pageLangs[i].String())
}

// translators format dates and money per CLDR for each page language.
var translators = map[string]func() locales.Translator{"en": en.New, "fr": fr.New, "de": de.New, "es": es.New}

// currencies maps ISO 4217 codes to go-playground's currency enum.
var currencies = map[string]lcurrency.Type{
	"USD": lcurrency.USD, "EUR": lcurrency.EUR, "GBP": lcurrency.GBP, "CAD": lcurrency.CAD,
	"CHF": lcurrency.CHF, "AUD": lcurrency.AUD, "NZD": lcurrency.NZD, "MXN": lcurrency.MXN,
	"SEK": lcurrency.SEK, "NOK": lcurrency.NOK, "DKK": lcurrency.DKK, "PLN": lcurrency.PLN,
	"CZK": lcurrency.CZK, "JPY": lcurrency.JPY,
}

// formatter formats dates and money for one page language and time zone.
type formatter struct {
	tr  locales.Translator
	loc *time.Location
}

func newFormatter(lang string, loc *time.Location) formatter {
	mk, ok := translators[lang]
	if !ok {
		mk = en.New
	}
	return formatter{tr: mk(), loc: loc}
}

// date is a long date in the page's time zone ("December 14, 2026").
func (f formatter) date(t time.Time) string { return f.tr.FmtDateLong(t.In(f.loc)) }

// dateTime is a long date with the time and the zone's abbreviation.
func (f formatter) dateTime(t time.Time) string {
	t = t.In(f.loc)
	return f.tr.FmtDateLong(t) + ", " + f.tr.FmtTimeShort(t) + " " + t.Format("MST")
}

// money formats a decimal amount in currency code; the amount as given when it is not
// a number.
func (f formatter) money(amount, code string) string {
	v, err := strconv.ParseFloat(strings.TrimSpace(amount), 64)
	if err != nil {
		return amount
	}
	if ct, ok := currencies[code]; ok {
		digits := uint64(2)
		if code == "JPY" {
			digits = 0
		}
		return f.tr.FmtCurrency(v, digits, ct)
	}
	return f.tr.FmtNumber(v, 2) + "\u00a0" + code
}

// catalogs holds every page string in every page language. A key missing in one
// language falls back to English (pages_test checks that none is missing).
var catalogs = map[string]catalog{
	"en": {
		"skip":            "Skip to content",
		"help":            "Questions? Contact us:",
		"help.neutral":    "If you need help, contact the shop you ordered from and tell them which link you used.",
		"support.web":     "Help centre",
		"support.email":   "Email",
		"support.phone":   "Phone",
		"tampered.title":  "This link is not valid",
		"tampered.body":   "The link may have been cut off or changed. Please open the complete link from our message, or contact us.",
		"expired.title":   "This link has expired",
		"expired.body":    "For your security, the links in our messages work only for a limited time. Please contact us and we will help you.",
		"ratelimit.title": "Too many requests",
		"ratelimit.body":  "Please wait a minute, then try again.",
		"error.title":     "Something went wrong",
		"error.body":      "Nothing was changed. Please try again in a moment.",
		"badform.title":   "The form could not be read",
		"badform.body":    "Nothing was changed. Please go back and use the button on the page.",
		"order.number":    "Order {0}",
		"order.placed":    "Placed on {0}",
		"qty":             "Quantity: {0}",
		"price":           "Price: {0}",

		"choice.title":        "Order {0}: some items are delayed",
		"choice.intro":        "We cannot ship these items by the date we promised. Please tell us what you would like us to do.",
		"choice.items":        "Delayed items",
		"choice.newdate":      "New expected date: {0}",
		"choice.nodate":       "We cannot give a new date yet.",
		"choice.reason":       "Reason: {0}",
		"choice.options":      "Your options",
		"choice.submit":       "Confirm my choice",
		"choice.deadline":     "Please answer by {0}.",
		"silence.consent":     "If we do not hear from you by then, we will keep your order and wait.",
		"silence.cancel":      "If we do not hear from you by then, we will cancel these items and refund you.",
		"opt.wait":            "Wait for the items",
		"opt.wait.date":       "We keep your order and ship these items when they arrive, expected {0}.",
		"opt.wait.nodate":     "We keep your order and ship these items as soon as they arrive.",
		"opt.substitute":      "Take the substitute",
		"opt.substitute.help": "We send {0} ({1}) instead.",
		"opt.substitute.link": "See the substitute",
		"opt.refund":          "Cancel and refund",
		"opt.refund.help":     "We cancel these items and give you a full, prompt refund at no cost.",
		"recorded.none":       "No choice is recorded yet.",
		"recorded":            "Your recorded choice: {0} (on {1}).",
		"recorded.silence":    "You did not answer by the deadline, so we recorded that you wait (on {0}).",
		"recorded.change":     "You can change your choice until {0}.",
		"refund.final":        "Your refund is recorded and cannot be changed.",
		"refund.still":        "You can still cancel these items for a full, prompt refund at no cost until they ship.",
		"decided.title":       "The deadline has passed",
		"decided.wait":        "What was decided: we keep your order and wait for these items.",
		"decided.substitute":  "What was decided: we send the substitute.",
		"decided.refund":      "What was decided: these items are canceled and you get a full refund.",
		"decided.canceled":    "No answer arrived by the deadline, so these items were canceled and you get a full refund.",
		"closed":              "These items have shipped or been canceled, so there is nothing left to choose.",
		"confirm.wait":        "Thank you. We recorded your choice: you wait for these items.",
		"confirm.substitute":  "Thank you. We recorded your choice: we send the substitute.",
		"confirm.refund":      "Thank you. We recorded your choice: these items are canceled and you get a full refund.",
		"err.nosubstitute":    "No substitute was offered for these items. Please choose another option.",
		"err.unknown":         "Please choose one of the options.",
		"err.afterdeadline":   "The deadline for this choice has passed, so it can no longer be changed.",
		"err.nooffer":         "We could not find this offer. Please contact us.",

		"status.title":    "Order {0}",
		"status.items":    "Items",
		"line.shipped":    "Shipped",
		"line.partial":    "{0} of {1} shipped",
		"line.parcel":     "{0}, tracking number {1}",
		"line.track":      "Track the parcel",
		"line.eta":        "Backordered, expected {0}",
		"line.noeta":      "Backordered, date not known yet",
		"line.allocated":  "Back in stock, being prepared for shipping",
		"line.awaiting":   "Waiting for your choice",
		"line.substitute": "To be replaced by the substitute you chose",
		"line.decide":     "Choose what happens to this item",
		"line.cancellink": "Cancel this item for a full refund",
		"line.canceled":   "Canceled",
		"line.open":       "Being prepared",

		"unsub.title":      "Unsubscribe from order updates",
		"unsub.body":       "You will no longer get update emails about your orders, such as new delivery dates. Notices the law requires about your rights, such as a delay you must answer, still come.",
		"unsub.button":     "Unsubscribe",
		"unsub.done.title": "You are unsubscribed",
		"unsub.done":       "You are unsubscribed from order updates; legal notices about your rights still come.",
		"unsub.already":    "You are already unsubscribed from order updates; legal notices about your rights still come.",
	},
	"fr": {
		"skip":            "Aller au contenu",
		"help":            "Une question ? Contactez-nous :",
		"help.neutral":    "Si vous avez besoin d'aide, contactez la boutique où vous avez commandé et indiquez-lui le lien utilisé.",
		"support.web":     "Centre d'aide",
		"support.email":   "E-mail",
		"support.phone":   "Téléphone",
		"tampered.title":  "Ce lien n'est pas valide",
		"tampered.body":   "Le lien a peut-être été coupé ou modifié. Ouvrez le lien complet de notre message, ou contactez-nous.",
		"expired.title":   "Ce lien a expiré",
		"expired.body":    "Pour votre sécurité, les liens de nos messages ne fonctionnent que pendant une durée limitée. Contactez-nous et nous vous aiderons.",
		"ratelimit.title": "Trop de demandes",
		"ratelimit.body":  "Veuillez patienter une minute, puis réessayer.",
		"error.title":     "Une erreur s'est produite",
		"error.body":      "Rien n'a été modifié. Veuillez réessayer dans un instant.",
		"badform.title":   "Le formulaire n'a pas pu être lu",
		"badform.body":    "Rien n'a été modifié. Revenez en arrière et utilisez le bouton de la page.",
		"order.number":    "Commande {0}",
		"order.placed":    "Passée le {0}",
		"qty":             "Quantité : {0}",
		"price":           "Prix : {0}",

		"choice.title":        "Commande {0} : certains articles sont retardés",
		"choice.intro":        "Nous ne pouvons pas expédier ces articles à la date promise. Dites-nous ce que vous souhaitez.",
		"choice.items":        "Articles retardés",
		"choice.newdate":      "Nouvelle date prévue : {0}",
		"choice.nodate":       "Nous ne pouvons pas encore donner de nouvelle date.",
		"choice.reason":       "Raison : {0}",
		"choice.options":      "Vos options",
		"choice.submit":       "Confirmer mon choix",
		"choice.deadline":     "Merci de répondre avant le {0}.",
		"silence.consent":     "Sans réponse de votre part d'ici là, nous conservons votre commande et attendons.",
		"silence.cancel":      "Sans réponse de votre part d'ici là, nous annulons ces articles et vous remboursons.",
		"opt.wait":            "Attendre les articles",
		"opt.wait.date":       "Nous conservons votre commande et expédions ces articles dès leur arrivée, prévue le {0}.",
		"opt.wait.nodate":     "Nous conservons votre commande et expédions ces articles dès leur arrivée.",
		"opt.substitute":      "Prendre l'article de remplacement",
		"opt.substitute.help": "Nous envoyons {0} ({1}) à la place.",
		"opt.substitute.link": "Voir l'article de remplacement",
		"opt.refund":          "Annuler et être remboursé",
		"opt.refund.help":     "Nous annulons ces articles et vous remboursons intégralement, rapidement et sans frais.",
		"recorded.none":       "Aucun choix n'est encore enregistré.",
		"recorded":            "Votre choix enregistré : {0} (le {1}).",
		"recorded.silence":    "Vous n'avez pas répondu avant la date limite : nous avons donc enregistré que vous attendez (le {0}).",
		"recorded.change":     "Vous pouvez modifier votre choix jusqu'au {0}.",
		"refund.final":        "Votre remboursement est enregistré et ne peut plus être modifié.",
		"refund.still":        "Vous pouvez toujours annuler ces articles pour un remboursement intégral, rapide et sans frais tant qu'ils ne sont pas expédiés.",
		"decided.title":       "La date limite est passée",
		"decided.wait":        "Décision : nous conservons votre commande et attendons ces articles.",
		"decided.substitute":  "Décision : nous envoyons l'article de remplacement.",
		"decided.refund":      "Décision : ces articles sont annulés et vous êtes intégralement remboursé.",
		"decided.canceled":    "Aucune réponse n'est arrivée avant la date limite : ces articles ont été annulés et vous êtes intégralement remboursé.",
		"closed":              "Ces articles ont été expédiés ou annulés : il n'y a plus rien à choisir.",
		"confirm.wait":        "Merci. Votre choix est enregistré : vous attendez ces articles.",
		"confirm.substitute":  "Merci. Votre choix est enregistré : nous envoyons l'article de remplacement.",
		"confirm.refund":      "Merci. Votre choix est enregistré : ces articles sont annulés et vous êtes intégralement remboursé.",
		"err.nosubstitute":    "Aucun article de remplacement n'a été proposé pour ces articles. Veuillez choisir une autre option.",
		"err.unknown":         "Veuillez choisir l'une des options.",
		"err.afterdeadline":   "La date limite de ce choix est passée : il ne peut plus être modifié.",
		"err.nooffer":         "Nous n'avons pas trouvé cette offre. Veuillez nous contacter.",

		"status.title":    "Commande {0}",
		"status.items":    "Articles",
		"line.shipped":    "Expédié",
		"line.partial":    "{0} sur {1} expédiés",
		"line.parcel":     "{0}, numéro de suivi {1}",
		"line.track":      "Suivre le colis",
		"line.eta":        "En rupture de stock, prévu le {0}",
		"line.noeta":      "En rupture de stock, date encore inconnue",
		"line.allocated":  "De nouveau en stock, en préparation",
		"line.awaiting":   "En attente de votre choix",
		"line.substitute": "Sera remplacé par l'article de remplacement choisi",
		"line.decide":     "Choisir ce qu'il advient de cet article",
		"line.cancellink": "Annuler cet article pour un remboursement intégral",
		"line.canceled":   "Annulé",
		"line.open":       "En préparation",

		"unsub.title":      "Se désabonner des mises à jour de commande",
		"unsub.body":       "Vous ne recevrez plus d'e-mails de mise à jour sur vos commandes, comme les nouvelles dates de livraison. Les avis que la loi exige sur vos droits, comme un retard auquel vous devez répondre, vous parviendront toujours.",
		"unsub.button":     "Se désabonner",
		"unsub.done.title": "Vous êtes désabonné",
		"unsub.done":       "Vous êtes désabonné des mises à jour de commande ; les avis légaux concernant vos droits vous parviendront toujours.",
		"unsub.already":    "Vous êtes déjà désabonné des mises à jour de commande ; les avis légaux concernant vos droits vous parviendront toujours.",
	},
	"de": {
		"skip":            "Zum Inhalt springen",
		"help":            "Fragen? Kontaktieren Sie uns:",
		"help.neutral":    "Wenn Sie Hilfe brauchen, wenden Sie sich an den Shop, in dem Sie bestellt haben, und nennen Sie den verwendeten Link.",
		"support.web":     "Hilfe-Center",
		"support.email":   "E-Mail",
		"support.phone":   "Telefon",
		"tampered.title":  "Dieser Link ist ungültig",
		"tampered.body":   "Der Link wurde vielleicht abgeschnitten oder verändert. Bitte öffnen Sie den vollständigen Link aus unserer Nachricht oder kontaktieren Sie uns.",
		"expired.title":   "Dieser Link ist abgelaufen",
		"expired.body":    "Zu Ihrer Sicherheit funktionieren die Links in unseren Nachrichten nur begrenzte Zeit. Bitte kontaktieren Sie uns, wir helfen Ihnen gern.",
		"ratelimit.title": "Zu viele Anfragen",
		"ratelimit.body":  "Bitte warten Sie eine Minute und versuchen Sie es dann erneut.",
		"error.title":     "Etwas ist schiefgelaufen",
		"error.body":      "Es wurde nichts geändert. Bitte versuchen Sie es gleich noch einmal.",
		"badform.title":   "Das Formular konnte nicht gelesen werden",
		"badform.body":    "Es wurde nichts geändert. Bitte gehen Sie zurück und verwenden Sie die Schaltfläche auf der Seite.",
		"order.number":    "Bestellung {0}",
		"order.placed":    "Aufgegeben am {0}",
		"qty":             "Menge: {0}",
		"price":           "Preis: {0}",

		"choice.title":        "Bestellung {0}: einige Artikel verspäten sich",
		"choice.intro":        "Wir können diese Artikel nicht zum versprochenen Termin versenden. Bitte sagen Sie uns, was wir tun sollen.",
		"choice.items":        "Verspätete Artikel",
		"choice.newdate":      "Neuer voraussichtlicher Termin: {0}",
		"choice.nodate":       "Wir können noch keinen neuen Termin nennen.",
		"choice.reason":       "Grund: {0}",
		"choice.options":      "Ihre Möglichkeiten",
		"choice.submit":       "Auswahl bestätigen",
		"choice.deadline":     "Bitte antworten Sie bis {0}.",
		"silence.consent":     "Wenn wir bis dahin nichts von Ihnen hören, behalten wir Ihre Bestellung bei und warten.",
		"silence.cancel":      "Wenn wir bis dahin nichts von Ihnen hören, stornieren wir diese Artikel und erstatten Ihnen den Betrag.",
		"opt.wait":            "Auf die Artikel warten",
		"opt.wait.date":       "Wir behalten Ihre Bestellung bei und versenden diese Artikel, sobald sie eintreffen, voraussichtlich am {0}.",
		"opt.wait.nodate":     "Wir behalten Ihre Bestellung bei und versenden diese Artikel, sobald sie eintreffen.",
		"opt.substitute":      "Den Ersatzartikel nehmen",
		"opt.substitute.help": "Wir senden stattdessen {0} ({1}).",
		"opt.substitute.link": "Ersatzartikel ansehen",
		"opt.refund":          "Stornieren und erstatten",
		"opt.refund.help":     "Wir stornieren diese Artikel und erstatten Ihnen den vollen Betrag, umgehend und kostenlos.",
		"recorded.none":       "Es ist noch keine Auswahl gespeichert.",
		"recorded":            "Ihre gespeicherte Auswahl: {0} (am {1}).",
		"recorded.silence":    "Sie haben bis zur Frist nicht geantwortet, daher haben wir gespeichert, dass Sie warten (am {0}).",
		"recorded.change":     "Sie können Ihre Auswahl bis {0} ändern.",
		"refund.final":        "Ihre Erstattung ist gespeichert und kann nicht mehr geändert werden.",
		"refund.still":        "Sie können diese Artikel weiterhin bis zum Versand stornieren und erhalten den vollen Betrag umgehend und kostenlos zurück.",
		"decided.title":       "Die Frist ist abgelaufen",
		"decided.wait":        "Entscheidung: Wir behalten Ihre Bestellung bei und warten auf diese Artikel.",
		"decided.substitute":  "Entscheidung: Wir senden den Ersatzartikel.",
		"decided.refund":      "Entscheidung: Diese Artikel sind storniert und Sie erhalten den vollen Betrag zurück.",
		"decided.canceled":    "Bis zur Frist kam keine Antwort, daher wurden diese Artikel storniert und Sie erhalten den vollen Betrag zurück.",
		"closed":              "Diese Artikel wurden versandt oder storniert, es gibt nichts mehr zu wählen.",
		"confirm.wait":        "Vielen Dank. Ihre Auswahl ist gespeichert: Sie warten auf diese Artikel.",
		"confirm.substitute":  "Vielen Dank. Ihre Auswahl ist gespeichert: Wir senden den Ersatzartikel.",
		"confirm.refund":      "Vielen Dank. Ihre Auswahl ist gespeichert: Diese Artikel sind storniert und Sie erhalten den vollen Betrag zurück.",
		"err.nosubstitute":    "Für diese Artikel wurde kein Ersatzartikel angeboten. Bitte wählen Sie eine andere Möglichkeit.",
		"err.unknown":         "Bitte wählen Sie eine der Möglichkeiten.",
		"err.afterdeadline":   "Die Frist für diese Auswahl ist abgelaufen, sie kann nicht mehr geändert werden.",
		"err.nooffer":         "Wir konnten dieses Angebot nicht finden. Bitte kontaktieren Sie uns.",

		"status.title":    "Bestellung {0}",
		"status.items":    "Artikel",
		"line.shipped":    "Versandt",
		"line.partial":    "{0} von {1} versandt",
		"line.parcel":     "{0}, Sendungsnummer {1}",
		"line.track":      "Sendung verfolgen",
		"line.eta":        "Nicht vorrätig, voraussichtlich am {0}",
		"line.noeta":      "Nicht vorrätig, Termin noch unbekannt",
		"line.allocated":  "Wieder vorrätig, wird für den Versand vorbereitet",
		"line.awaiting":   "Wartet auf Ihre Auswahl",
		"line.substitute": "Wird durch den gewählten Ersatzartikel ersetzt",
		"line.decide":     "Entscheiden, was mit diesem Artikel geschieht",
		"line.cancellink": "Diesen Artikel gegen volle Erstattung stornieren",
		"line.canceled":   "Storniert",
		"line.open":       "In Vorbereitung",

		"unsub.title":      "Bestell-Updates abbestellen",
		"unsub.body":       "Sie erhalten keine Update-E-Mails zu Ihren Bestellungen mehr, etwa zu neuen Lieferterminen. Gesetzlich vorgeschriebene Hinweise zu Ihren Rechten, etwa zu einer Verzögerung, auf die Sie antworten müssen, erhalten Sie weiterhin.",
		"unsub.button":     "Abbestellen",
		"unsub.done.title": "Sie sind abgemeldet",
		"unsub.done":       "Sie sind von Bestell-Updates abgemeldet; gesetzliche Hinweise zu Ihren Rechten erhalten Sie weiterhin.",
		"unsub.already":    "Sie sind bereits von Bestell-Updates abgemeldet; gesetzliche Hinweise zu Ihren Rechten erhalten Sie weiterhin.",
	},
	"es": {
		"skip":            "Ir al contenido",
		"help":            "¿Preguntas? Contáctenos:",
		"help.neutral":    "Si necesita ayuda, contacte con la tienda donde hizo el pedido e indique qué enlace usó.",
		"support.web":     "Centro de ayuda",
		"support.email":   "Correo electrónico",
		"support.phone":   "Teléfono",
		"tampered.title":  "Este enlace no es válido",
		"tampered.body":   "Puede que el enlace esté cortado o modificado. Abra el enlace completo de nuestro mensaje o contáctenos.",
		"expired.title":   "Este enlace ha caducado",
		"expired.body":    "Por su seguridad, los enlaces de nuestros mensajes solo funcionan durante un tiempo limitado. Contáctenos y le ayudaremos.",
		"ratelimit.title": "Demasiadas solicitudes",
		"ratelimit.body":  "Espere un minuto y vuelva a intentarlo.",
		"error.title":     "Algo salió mal",
		"error.body":      "No se ha cambiado nada. Vuelva a intentarlo en un momento.",
		"badform.title":   "No se pudo leer el formulario",
		"badform.body":    "No se ha cambiado nada. Vuelva atrás y use el botón de la página.",
		"order.number":    "Pedido {0}",
		"order.placed":    "Realizado el {0}",
		"qty":             "Cantidad: {0}",
		"price":           "Precio: {0}",

		"choice.title":        "Pedido {0}: algunos artículos se retrasan",
		"choice.intro":        "No podemos enviar estos artículos en la fecha prometida. Díganos qué prefiere que hagamos.",
		"choice.items":        "Artículos retrasados",
		"choice.newdate":      "Nueva fecha prevista: {0}",
		"choice.nodate":       "Todavía no podemos dar una nueva fecha.",
		"choice.reason":       "Motivo: {0}",
		"choice.options":      "Sus opciones",
		"choice.submit":       "Confirmar mi elección",
		"choice.deadline":     "Responda antes del {0}.",
		"silence.consent":     "Si no sabemos nada de usted para entonces, mantendremos su pedido y esperaremos.",
		"silence.cancel":      "Si no sabemos nada de usted para entonces, cancelaremos estos artículos y le reembolsaremos.",
		"opt.wait":            "Esperar los artículos",
		"opt.wait.date":       "Mantenemos su pedido y enviamos estos artículos cuando lleguen, previsto el {0}.",
		"opt.wait.nodate":     "Mantenemos su pedido y enviamos estos artículos en cuanto lleguen.",
		"opt.substitute":      "Aceptar el sustituto",
		"opt.substitute.help": "Le enviamos {0} ({1}) en su lugar.",
		"opt.substitute.link": "Ver el sustituto",
		"opt.refund":          "Cancelar y reembolsar",
		"opt.refund.help":     "Cancelamos estos artículos y le devolvemos el importe completo, con rapidez y sin coste.",
		"recorded.none":       "Todavía no hay ninguna elección registrada.",
		"recorded":            "Su elección registrada: {0} (el {1}).",
		"recorded.silence":    "No respondió antes de la fecha límite, así que registramos que espera (el {0}).",
		"recorded.change":     "Puede cambiar su elección hasta el {0}.",
		"refund.final":        "Su reembolso está registrado y no se puede cambiar.",
		"refund.still":        "Todavía puede cancelar estos artículos con un reembolso completo, rápido y sin coste hasta que se envíen.",
		"decided.title":       "La fecha límite ha pasado",
		"decided.wait":        "Decisión: mantenemos su pedido y esperamos estos artículos.",
		"decided.substitute":  "Decisión: le enviamos el sustituto.",
		"decided.refund":      "Decisión: estos artículos están cancelados y recibirá un reembolso completo.",
		"decided.canceled":    "No llegó ninguna respuesta antes de la fecha límite, así que estos artículos se cancelaron y recibirá un reembolso completo.",
		"closed":              "Estos artículos se han enviado o cancelado, así que ya no hay nada que elegir.",
		"confirm.wait":        "Gracias. Registramos su elección: espera estos artículos.",
		"confirm.substitute":  "Gracias. Registramos su elección: le enviamos el sustituto.",
		"confirm.refund":      "Gracias. Registramos su elección: estos artículos están cancelados y recibirá un reembolso completo.",
		"err.nosubstitute":    "No se ofreció ningún sustituto para estos artículos. Elija otra opción.",
		"err.unknown":         "Elija una de las opciones.",
		"err.afterdeadline":   "La fecha límite de esta elección ha pasado, así que ya no se puede cambiar.",
		"err.nooffer":         "No encontramos esta oferta. Contáctenos.",

		"status.title":    "Pedido {0}",
		"status.items":    "Artículos",
		"line.shipped":    "Enviado",
		"line.partial":    "{0} de {1} enviados",
		"line.parcel":     "{0}, número de seguimiento {1}",
		"line.track":      "Seguir el paquete",
		"line.eta":        "Sin existencias, previsto el {0}",
		"line.noeta":      "Sin existencias, fecha aún desconocida",
		"line.allocated":  "De nuevo en existencias, preparando el envío",
		"line.awaiting":   "Esperando su elección",
		"line.substitute": "Se sustituirá por el artículo que eligió",
		"line.decide":     "Elegir qué pasa con este artículo",
		"line.cancellink": "Cancelar este artículo con reembolso completo",
		"line.canceled":   "Cancelado",
		"line.open":       "En preparación",

		"unsub.title":      "Darse de baja de las novedades del pedido",
		"unsub.body":       "Dejará de recibir correos con novedades de sus pedidos, como nuevas fechas de entrega. Los avisos que exige la ley sobre sus derechos, como un retraso al que debe responder, seguirán llegando.",
		"unsub.button":     "Darse de baja",
		"unsub.done.title": "Se ha dado de baja",
		"unsub.done":       "Se ha dado de baja de las novedades del pedido; los avisos legales sobre sus derechos seguirán llegando.",
		"unsub.already":    "Ya se había dado de baja de las novedades del pedido; los avisos legales sobre sus derechos seguirán llegando.",
	},
}
