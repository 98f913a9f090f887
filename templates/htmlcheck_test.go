package templates_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/smtp"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/notifyd/notifyd/channels"
	"github.com/notifyd/notifyd/channels/email"
	"github.com/notifyd/notifyd/internal/testmailpit"
	"github.com/notifyd/notifyd/templates"
)

// minHTMLCheck is the lowest Mailpit HTML-check score (its "supported" percentage:
// 100 minus the heaviest partly and the heaviest un-supported feature, each weighted
// by how many of the message's elements use it) each default email may get, per
// kind. The floors are the scores measured with the defaults (docs/templates.md)
// minus one point, so a layout change that costs client support fails here.
var minHTMLCheck = map[string]float64{
	templates.KindBackorderNotice:    91.2,
	templates.KindEtaUpdate:          91.2,
	templates.KindRestockNotice:      89.9,
	templates.KindPartialShipment:    91.2,
	templates.KindShipped:            91.1,
	templates.KindCancellationNotice: 90.6,
	templates.KindDelayOptionOffer:   91.2,
	templates.KindChoiceReminder:     91.0,
	templates.KindChoiceConfirmation: 91.1,
	templates.KindAutoCancelNotice:   90.5,
}

// TestMailpitHTMLCheck renders every kind's default email for brand acme in en-US
// and fr-FR, sends it over SMTP to a real Mailpit as the email channel builds it
// (multipart/alternative), and checks Mailpit's HTML compatibility score.
func TestMailpitHTMLCheck(t *testing.T) {
	t.Parallel()
	r, err := templates.New()
	if err != nil {
		t.Fatal(err)
	}
	mp := testmailpit.Start(t)
	acme := templates.FixtureBrands()[0]
	type sent struct{ kind, locale string }
	byMessageID := map[string]sent{}
	for _, locale := range []string{"en-US", "fr-FR"} {
		for _, k := range templates.Kinds {
			out, err := r.Render(k, templates.Fixture(k, acme, locale))
			if err != nil {
				t.Fatalf("%s/%s: %v", k, locale, err)
			}
			m := &channels.Message{
				ID: "htmlcheck-" + k + "-" + locale, Kind: k, OrderID: "ord_1001", Brand: acme.ID,
				Channel: "email", To: "ada@example.com", From: "orders@acme.example", FromName: acme.Name,
				Subject: out.Subject, Text: out.Text, HTML: out.HTML,
				Date: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC),
			}
			msg, err := email.Build(m)
			if err != nil {
				t.Fatal(err)
			}
			var raw bytes.Buffer
			if _, err := msg.WriteTo(&raw); err != nil {
				t.Fatal(err)
			}
			if err := smtp.SendMail(mp.SMTPAddr(), nil, m.From, []string{m.To}, raw.Bytes()); err != nil {
				t.Fatalf("%s/%s: smtp: %v", k, locale, err)
			}
			byMessageID[email.MessageID(m.ID, m.From)] = sent{k, locale}
		}
	}

	msgs := mp.Messages(t)
	if len(msgs) != len(byMessageID) {
		t.Fatalf("mailpit has %d messages, want %d", len(msgs), len(byMessageID))
	}
	scores := map[sent]float64{}
	for _, s := range msgs {
		which, ok := byMessageID[s.MessageID]
		if !ok {
			t.Fatalf("unexpected message %q", s.MessageID)
		}
		if got := mp.Message(t, s.ID); !strings.Contains(got.HTML, "<table") || got.Text == "" {
			t.Errorf("%s/%s: Mailpit did not get both parts", which.kind, which.locale)
		}
		total := mp.HTMLCheck(t, s.ID)
		scores[which] = total.Supported
		t.Logf("%-20s %s: %.2f%% supported, %.2f%% partial, %.2f%% unsupported (%d nodes, %d tests)",
			which.kind, which.locale, total.Supported, total.Partial, total.Unsupported, total.Nodes, total.Tests)
		if testing.Verbose() {
			for _, w := range htmlCheckWarnings(t, mp, s.ID) {
				t.Logf("    %s", w)
			}
		}
	}
	for _, k := range templates.Kinds {
		if _, ok := minHTMLCheck[k]; !ok {
			t.Errorf("%s: no HTML-check floor in minHTMLCheck (measure it with -v and add it)", k)
		}
		en, fr := scores[sent{k, "en-US"}], scores[sent{k, "fr-FR"}]
		if en < minHTMLCheck[k] {
			t.Errorf("%s: HTML check %.2f%%, below the floor %.2f%% (see docs/templates.md)", k, en, minHTMLCheck[k])
		}
		if fr < minHTMLCheck[k] {
			t.Errorf("%s fr-FR: HTML check %.2f%%, below the floor %.2f%%", k, fr, minHTMLCheck[k])
		}
	}
}

// htmlCheckWarnings lists what the HTML check found, heaviest first (Mailpit's
// order), for -v runs: go test ./templates -run TestMailpitHTMLCheck -v.
func htmlCheckWarnings(t *testing.T, mp *testmailpit.Mailpit, id string) []string {
	t.Helper()
	resp, err := http.Get(mp.APIURL() + "/api/v1/message/" + url.PathEscape(id) + "/html-check")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Total    struct{ Nodes int }
		Warnings []struct {
			Title string
			Score struct {
				Found                           int
				Supported, Partial, Unsupported float64
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, w := range r.Warnings {
		weight := float64(w.Score.Found) / float64(r.Total.Nodes)
		out = append(out, fmt.Sprintf("%-40s found %3d: partial %5.1f%% (weighted %5.2f), unsupported %5.1f%% (weighted %5.2f)",
			w.Title, w.Score.Found, w.Score.Partial, w.Score.Partial*weight, w.Score.Unsupported, w.Score.Unsupported*weight))
	}
	return out
}
