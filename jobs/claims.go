package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/notifyd/notifyd/store"
)

// Send claims (docs/decisions/0003-send-claims.md): a live lease in Redis keeps two
// workers from sending the same message at once; the durable claim in the store says,
// forever after, that it went out.

// claimLease bounds how long a live claim blocks others: longer than any send (the
// SMTP and Twilio senders give up after 30 s and 15 s), shorter than asynq's recovery
// of a killed worker's task.
const claimLease = 45 * time.Second

// errClaimHeld is a temporary failure: someone else is sending this very message.
var errClaimHeld = errors.New("another worker is sending the same message")

// claimKey is the claim of one decided message: what the customer would receive
// (order, kind, channel, recipient, fingerprint) in the decision that chose to send it
// (the notification). Equal content decided again later is not blocked here — the
// "no repeats" rule already compared it with the last message at decision time, and
// A → B → A → B is four pieces of news — see docs/decisions/0003-send-claims.md.
func claimKey(n *store.Notification) string {
	sum := sha256.Sum256([]byte(strings.Join([]string{n.OrderID, n.Kind, n.Channel, n.Recipient, n.Fingerprint, n.ID}, "\x00")))
	return hex.EncodeToString(sum[:16])
}

func redisClaimKey(key string) string { return "notifyd:claim:" + key }

// claim takes the live and the durable claim for n. It returns proceed=false when
// the message already went out (n is then recorded as a duplicate), and errClaimHeld
// when another worker holds it now.
func (w *Worker) claim(ctx context.Context, n *store.Notification, key string, log *slog.Logger) (proceed bool, err error) {
	if w.Redis != nil {
		ok, err := w.Redis.SetNX(ctx, redisClaimKey(key), n.ID, claimLease).Result()
		if err != nil {
			return false, fmt.Errorf("live claim: %w", err)
		}
		if !ok {
			v, err := w.Redis.Get(ctx, redisClaimKey(key)).Result()
			if err == nil && strings.HasPrefix(v, "committed:") && v != "committed:"+n.ID {
				return false, w.duplicate(ctx, n, strings.TrimPrefix(v, "committed:"), log)
			}
			return false, errClaimHeld
		}
	}
	existing, claimed, err := w.Store.ClaimSend(ctx, key, n.ID, w.Now())
	if err != nil {
		w.releaseLive(ctx, key)
		return false, fmt.Errorf("durable claim: %w", err)
	}
	switch {
	case claimed:
		return true, nil
	case existing.State == store.ClaimCommitted:
		w.releaseLive(ctx, key)
		return false, w.duplicate(ctx, n, existing.NotificationID, log)
	case existing.NotificationID != n.ID:
		w.releaseLive(ctx, key)
		return false, errClaimHeld
	default:
		// Our own claim from an attempt that never committed: it crashed after calling
		// the provider, or before. This is the one window where a duplicate is possible.
		log.Warn("send after uncommitted claim: a duplicate is possible if the earlier attempt reached the provider",
			"claimed_at", existing.ClaimedAt)
		return true, nil
	}
}

// duplicate records that n's message already went out as notification other.
func (w *Worker) duplicate(ctx context.Context, n *store.Notification, other string, log *slog.Logger) error {
	if other == n.ID {
		return nil
	}
	n.Status, n.Reason, n.UpdatedAt = store.NotificationSuppressed, "deduplicated: already sent as notification "+other, w.Now()
	if err := w.Store.UpdateNotification(ctx, n); err != nil {
		return err
	}
	log.Info("message already sent; not sending again", "sent_as", other)
	return nil
}

// commitClaim marks n sent and its claim committed in one transaction, then keeps the
// live key as a cheap "already sent" marker for dedup_ttl.
func (w *Worker) commitClaim(ctx context.Context, n *store.Notification, key string) error {
	if err := w.Store.CommitSend(ctx, key, n, w.Now()); err != nil {
		return fmt.Errorf("commit send %s: %w", n.ID, err)
	}
	if w.Redis != nil {
		ttl := w.Config.Policies.For(n.Brand).DedupTTL
		if err := w.Redis.Set(ctx, redisClaimKey(key), "committed:"+n.ID, ttl).Err(); err != nil {
			w.Logger.Warn("keep sent marker", "err", err) // the durable claim still holds
		}
	}
	return nil
}

// releaseClaim drops both claims after the provider refused the message: nothing went
// out, so a later attempt (or another notification) may send it.
func (w *Worker) releaseClaim(ctx context.Context, key string, log *slog.Logger) {
	if err := w.Store.ReleaseSend(ctx, key); err != nil && !errors.Is(err, store.ErrNotFound) {
		log.Warn("release claim", "err", err)
	}
	w.releaseLive(ctx, key)
}

func (w *Worker) releaseLive(ctx context.Context, key string) {
	if w.Redis != nil {
		w.Redis.Del(ctx, redisClaimKey(key))
	}
}
