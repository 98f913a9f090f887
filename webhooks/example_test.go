package webhooks_test

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/notifyd/notifyd/webhooks"
)

// The worked example of docs/webhooks.md, computed independently there too.
func ExampleSign() {
	secret, err := webhooks.ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		log.Fatal(err)
	}
	body := `{"specversion":"1.0","id":"whk_01JEZ8Q4T7","source":"https://notifyd.acme.example","type":"customer.choice_made","subject":"ord_1001","time":"2026-12-03T15:04:05Z","datacontenttype":"application/json","data":{"order_id":"ord_1001","line_ids":["l1"],"choice":"refund","decided_at":"2026-12-03T15:04:05Z","channel":"web"}}`
	fmt.Println(webhooks.Sign(secret, "whk_01JEZ8Q4T7", time.Unix(1796310246, 0), []byte(body)))
	// Output: v1,0WL/UDJ5y/A0qIQiPKR3ggT3LnXc/oy2ZXEJJZkUtmk=
}

// A receiver in Go (the snippet in docs/webhooks.md).
func ExampleVerify() {
	secret, err := webhooks.ParseSecret(os.Getenv("NOTIFYD_WEBHOOK_SECRET"))
	if err != nil {
		log.Fatal(err)
	}
	http.HandleFunc("POST /hooks/notifyd", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20)) // the raw bytes
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		if err := webhooks.Verify(secret, r.Header, body, time.Now()); err != nil {
			status := http.StatusUnauthorized
			if errors.Is(err, webhooks.ErrTimestamp) {
				status = http.StatusBadRequest // replayed, or a skewed clock
			}
			http.Error(w, err.Error(), status)
			return
		}
		// Deduplicate on webhook-id, store the event, answer 2xx; act on it afterwards.
		w.WriteHeader(http.StatusNoContent)
	})
}
