package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/net/html"

	"github.com/notifyd/notifyd/policy"
	"github.com/notifyd/notifyd/store"
)

// chromiumPath is Debian's chromium, which .ci/run installs when it is missing.
const chromiumPath = "/usr/bin/chromium"

// What the customer sees, in the en catalogs: the refund button of the
// delay_option_offer email (templates/default/en/messages.txt button.refund), and on
// the choice page the refund option (opt.refund), the submit button (choice.submit)
// and the confirmation (confirm.refund) of httpapi/pages_i18n.go.
const (
	emailRefundButton = "Cancel and get a refund"
	pageRefundOption  = "Cancel and refund"
	pageSubmit        = "Confirm my choice"
	pageConfirmRefund = "Thank you. We recorded your choice: these items are canceled and you get a full refund."
)

// TestBrowserChoosesRefundFromEmail is the customer's path in a real browser: order
// 1005's delay_option_offer email goes to the outbox; chromium opens its "Cancel and
// get a refund" link, the choice page shows the order with the refund option
// preselected, the customer clicks "Cancel and refund" and confirms; the page
// confirms the refund, a screenshot is kept, and the store holds refund, by web.
//
// Like the Postgres suite, it needs something beyond Go: with NOTIFYD_TEST_CHROMIUM
// set (CI sets it) a missing chromium fails the test; without it, on a machine with
// nothing but Go, the test says in one line that it did not run.
func TestBrowserChoosesRefundFromEmail(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("NOTIFYD_TEST_CHROMIUM") == "" {
			fmt.Fprintf(os.Stderr, "cmd/notifyd: %s not found and NOTIFYD_TEST_CHROMIUM not set; browser test not run (apt-get install -y chromium)\n", chromiumPath)
			return
		}
		t.Fatalf("the browser test needs Debian's chromium at %s (%v); install it with: apt-get install -y chromium (.ci/run does this when it is missing)", chromiumPath, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	t.Cleanup(cancel)

	// The browser starts first: the offer's deadline is 12 s after it is sent (the
	// demo policy), so its start-up must not eat into that.
	browser, stopBrowser, chromeOut := startChromium(t, ctx)

	env := testEnv(t)
	env["NOTIFYD_PUBLIC_URL"] = "http://" + env["NOTIFYD_HTTP_ADDR"] // the links in the email
	base, token := startRun(t, env)
	// Close the browser before notifyd stops: a socket chromium opened ahead of a
	// request would hold up the HTTP server's graceful shutdown for 5 s.
	t.Cleanup(stopBrowser)
	st := openTestStore(t, env)
	if status := postEvent(t, base, token, demoEvent(t, "evt_acme_0012")); status != http.StatusAccepted {
		t.Fatalf("POST evt_acme_0012: %d", status)
	}

	htmlBody := waitOutboxEmail(t, env["NOTIFYD_OUTBOX_DIR"], "ord_1005", "delay_option_offer", 20*time.Second)
	emailAt := time.Now()
	link := emailLink(t, htmlBody, emailRefundButton)
	u, err := url.Parse(link)
	if err != nil || !strings.HasPrefix(link, base+"/c/") || u.Query().Get("choice") != policy.ChoiceRefund {
		t.Fatalf("the email's %q link is %q, want %s/c/{token}?choice=refund", emailRefundButton, link, base)
	}
	offers, err := st.OffersOf(context.Background(), "ord_1005")
	if err != nil || len(offers) != 1 {
		t.Fatalf("offers of ord_1005: %+v %v", offers, err)
	}
	off := offers[0]
	if left := time.Until(off.Deadline); left < 3*time.Second {
		t.Fatalf("only %v left before the offer's deadline when the email arrived; the test is too slow", left)
	}
	t.Logf("offer %s sent, deadline in %v; opening %s", off.ID, time.Until(off.Deadline).Round(time.Millisecond), link)

	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf(format+"\nchromium output:\n%s", append(args, chromeOut.String())...)
	}

	// The choice page as the link opens it: the order, its item and the refund option
	// (preselected by ?choice=refund), and nothing recorded yet.
	resp, err := chromedp.Run(browser, chromedp.NavigateResponse(link))
	if err != nil {
		fail("open %s: %v", link, err)
	}
	if resp.Status != http.StatusOK {
		fail("GET %s: %d", link, resp.Status)
	}
	text := pageText(t, browser)
	for _, want := range []string{"Order 1005", "Brass Desk Lamp", pageRefundOption, pageSubmit} {
		if !strings.Contains(text, want) {
			fail("the choice page lacks %q:\n%s", want, text)
		}
	}
	if checked, err := chromedp.Run(browser, chromedp.Evaluate[bool](`document.getElementById("choice-refund").checked`)); err != nil || !checked {
		fail("?choice=refund did not preselect the refund option: %v %v", checked, err)
	}
	if got := offerOf(t, st, off.ID); got.Choice != "" {
		t.Fatalf("opening the link recorded a choice: %q by %q", got.Choice, got.ChoiceChannel)
	}

	// The customer clicks "Cancel and refund" and confirms.
	option := fmt.Sprintf(`//label[starts-with(normalize-space(), %q)]`, pageRefundOption)
	submit := fmt.Sprintf(`//form[@method="post"]//button[@type="submit" and normalize-space()=%q]`, pageSubmit)
	if err := chromedp.Do(browser, chromedp.Click(option, chromedp.NodeVisible)); err != nil {
		fail("click %q: %v", pageRefundOption, err)
	}
	resp, err = chromedp.RunResponse(browser, chromedp.Click(submit, chromedp.NodeVisible))
	if err != nil {
		fail("click %q: %v", pageSubmit, err)
	}
	if resp.Status != http.StatusOK {
		fail("POST the choice: %d\n%s", resp.Status, pageText(t, browser))
	}
	if err := chromedp.Do(browser, chromedp.WaitVisible(chromedp.CSS(`.notice[role="status"]`))); err != nil {
		fail("no confirmation: %v\n%s", err, pageText(t, browser))
	}
	notice, err := chromedp.Run(browser, chromedp.Text(chromedp.CSS(`.notice[role="status"]`)))
	if err != nil || strings.TrimSpace(notice) != pageConfirmRefund {
		fail("confirmation %q (%v), want %q\n%s", notice, err, pageConfirmRefund, pageText(t, browser))
	}

	png, err := chromedp.Run(browser, chromedp.FullScreenshot(100))
	if err != nil {
		fail("screenshot: %v", err)
	}
	shot := filepath.Join(artifactsDir(t), "choice-refund.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the confirmation: %s", shot)

	if got := offerOf(t, st, off.ID); got.Choice != policy.ChoiceRefund || got.ChoiceChannel != "web" {
		t.Errorf("offer %s: choice %q by %q, want refund by web", off.ID, got.Choice, got.ChoiceChannel)
	}
	t.Logf("email to confirmation in %v", time.Since(emailAt).Round(time.Millisecond))
}

// startChromium starts headless chromium with a fresh profile and an open tab. stop
// ends it and waits for it to exit; it also runs when the test ends. The browser's
// output is kept for failures.
func startChromium(t *testing.T, ctx context.Context) (browser context.Context, stop func(), out *lockedBuffer) {
	t.Helper()
	profile := t.TempDir() // removed after the browser has exited (cleanups run last-in first-out)
	out = &lockedBuffer{}
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1024, 768),
		chromedp.CombinedOutput(out),
	)
	browser, cancelBrowser := chromedp.NewContext(alloc, chromedp.WithLogf(t.Logf))
	stop = func() {
		cancelBrowser()
		cancelAlloc() // waits for chromium to exit
	}
	t.Cleanup(stop)
	if err := chromedp.Do(browser, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start %s: %v\nchromium output:\n%s", chromiumPath, err, out.String())
	}
	return browser, stop, out
}

// artifactsDir is $NOTIFYD_TEST_ARTIFACTS (created if needed), else a temporary one.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("NOTIFYD_TEST_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func pageText(t *testing.T, browser context.Context) string {
	t.Helper()
	s, err := chromedp.Run(browser, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	if err != nil {
		return fmt.Sprintf("(page text unavailable: %v)", err)
	}
	return s
}

func offerOf(t *testing.T, st store.Store, id string) *store.Offer {
	t.Helper()
	off, err := st.GetOffer(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return off
}

// demoEvent is the built-in sample event id, shifted to today.
func demoEvent(t *testing.T, id string) string {
	t.Helper()
	for _, line := range demoLines(t) {
		var e struct{ ID string }
		mustUnmarshal(t, line, &e)
		if e.ID == id {
			return line
		}
	}
	t.Fatalf("no demo event %s", id)
	return ""
}

// waitOutboxEmail waits for the outbox email of that order and kind and returns its
// HTML part, decoded.
func waitOutboxEmail(t *testing.T, dir, orderID, kind string, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		files, _ := filepath.Glob(filepath.Join(dir, "email", "*.eml"))
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			m, err := mail.ReadMessage(bytes.NewReader(raw))
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if m.Header.Get("X-Notifyd-Order-Id") != orderID || m.Header.Get("X-Notifyd-Kind") != kind {
				continue
			}
			h, err := findPart(m.Header.Get("Content-Type"), m.Header.Get("Content-Transfer-Encoding"), m.Body, "text/html")
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			return h
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("no %s email for %s in %s after %v", kind, orderID, dir, timeout)
	return ""
}

// findPart returns the first part of media type want in a MIME entity, decoded.
func findPart(contentType, encoding string, body io.Reader, want string) (string, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", fmt.Errorf("Content-Type %q: %w", contentType, err)
	}
	if strings.HasPrefix(mt, "multipart/") {
		r := multipart.NewReader(body, params["boundary"])
		for {
			p, err := r.NextRawPart() // raw: the transfer encoding is decoded below
			if errors.Is(err, io.EOF) {
				return "", fmt.Errorf("no %s part", want)
			}
			if err != nil {
				return "", err
			}
			s, err := findPart(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, want)
			if err == nil {
				return s, nil
			}
		}
	}
	if mt != want {
		return "", fmt.Errorf("no %s part", want)
	}
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	b, err := io.ReadAll(body)
	return string(b), err
}

// emailLink is the href of the link whose visible text is text in an HTML email,
// unescaped as a mail client would follow it.
func emailLink(t *testing.T, body, text string) string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var links []string
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode || n.Data != "a" {
			continue
		}
		if strings.Join(strings.Fields(nodeText(n)), " ") != text {
			continue
		}
		for _, a := range n.Attr {
			if a.Key == "href" {
				links = append(links, a.Val)
			}
		}
	}
	if len(links) != 1 {
		t.Fatalf("want one %q link in the email, found %q", text, links)
	}
	return links[0]
}

func nodeText(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return b.String()
}
