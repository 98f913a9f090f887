// Package templates renders notifyd's customer messages — an email (subject, HTML and
// text parts) and an SMS for every notification kind — from templates embedded under
// default/ and optionally overridden from a directory. It knows nothing of Redis, SMTP
// or events: callers hand it a View of typed, raw data (times, decimal money, locale)
// and the templates format it for the customer's locale and time zone.
//
// # Lookup
//
// Every template file is found through a chain of Sources, first hit wins: a brand's
// override directory (DIR/brands/<brand>/PATH), the shared override directory
// (DIR/PATH), then the embedded defaults (default/PATH). A database-backed Source for
// marketing's edits slots in front of the chain with WithSource. Per-kind files are
// looked up along the locale chain (fr-CA → fr → the brand's default locale → en).
//
// # Rendering
//
// HTML is rendered with html/template (every piece of customer data escaped in its
// context), text, subject and SMS with text/template; a missing key or field is an
// error. The HTML layout's CSS is authored once in a <style> block and inlined with
// go-premailer once per template version when the set is loaded, never per render.
// Template actions are protected by placeholder tokens while premailer parses the
// layout, so net/html cannot move them. What is the same at every render of a set —
// the brand's colours and fields, catalog strings, the kind — is evaluated once at
// load and bound into the parsed templates as text (fold.go), with the same bytes.
//
// See docs/templates.md for the file layout, the func map, the SMS limits and the
// guarantees about hostile data.
package templates
