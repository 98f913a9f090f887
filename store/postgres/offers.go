package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/notifyd/notifyd/store"
)

var _ store.FollowUpStore = (*Store)(nil)

const offerCols = `id, order_id, brand, line_ids, silence, renewed, new_date,
	no_date_reason, substitute, deadline, reminder_at, sent_at, policy, choice,
	choice_channel, choice_at, state, phone, created_at, updated_at`

// upsertOffer inserts an offer or replaces the one with its ID; the arguments are
// offerArgs. A replacement keeps created_at, and a sent_at already set: MarkOfferSent
// may have set it after the offer being replaced was read. It is queued once per
// offer, as upsertPending is: one INSERT … ON CONFLICT DO UPDATE may not touch a row
// twice, and a commit may replace an offer it also creates.
const upsertOffer = `INSERT INTO offers (` + offerCols + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
		$18, $19, $20)
	ON CONFLICT (id) DO UPDATE SET order_id = excluded.order_id, brand = excluded.brand,
		line_ids = excluded.line_ids, silence = excluded.silence, renewed = excluded.renewed,
		new_date = excluded.new_date, no_date_reason = excluded.no_date_reason,
		substitute = excluded.substitute, deadline = excluded.deadline,
		reminder_at = excluded.reminder_at, sent_at = COALESCE(offers.sent_at, excluded.sent_at),
		policy = excluded.policy, choice = excluded.choice,
		choice_channel = excluded.choice_channel, choice_at = excluded.choice_at,
		state = excluded.state, phone = excluded.phone, updated_at = excluded.updated_at`

// offerArgs fills o's defaults (State open, CreatedAt now, UpdatedAt CreatedAt) and
// returns the values of offerCols.
func offerArgs(o *store.Offer) ([]any, error) {
	if o.ID == "" {
		return nil, errors.New("offer without an ID")
	}
	lineIDs := o.LineIDs
	if lineIDs == nil {
		lineIDs = []string{}
	}
	lines, err := json.Marshal(lineIDs)
	if err != nil {
		return nil, err
	}
	state := o.State
	if state == "" {
		state = store.OfferOpen
	}
	created := orNow(o.CreatedAt)
	updated := o.UpdatedAt
	if updated.IsZero() {
		updated = created
	}
	return []any{o.ID, o.OrderID, o.Brand, string(lines), o.Silence, o.Renewed,
		tsPtr(o.NewDate), o.NoDateReason, jsonArg(o.Substitute), ts(o.Deadline),
		tsPtr(o.ReminderAt), tsPtr(o.SentAt), jsonArg(o.Policy), o.Choice, o.ChoiceChannel,
		tsPtr(o.ChoiceAt), state, o.Phone, ts(created), ts(updated)}, nil
}

func scanOffer(row scanner) (*store.Offer, error) {
	var o store.Offer
	var lines, substitute, policy []byte
	err := row.Scan(&o.ID, &o.OrderID, &o.Brand, &lines, &o.Silence, &o.Renewed,
		&o.NewDate, &o.NoDateReason, &substitute, &o.Deadline, &o.ReminderAt, &o.SentAt,
		&policy, &o.Choice, &o.ChoiceChannel, &o.ChoiceAt, &o.State, &o.Phone,
		&o.CreatedAt, &o.UpdatedAt)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(lines, &o.LineIDs); err != nil {
		return nil, fmt.Errorf("offer %s: line_ids: %w", o.ID, err)
	}
	if len(o.LineIDs) == 0 {
		o.LineIDs = nil
	}
	if substitute != nil {
		o.Substitute = substitute
	}
	if policy != nil {
		o.Policy = policy
	}
	return &o, nil
}

// queueOffersAndDeliveries queues a commit's offers (insert or replace) and
// deliveries (an existing ID is left alone, all in one statement).
func queueOffersAndDeliveries(b *pgx.Batch, c *store.EventCommit) error {
	for _, o := range c.Offers {
		args, err := offerArgs(o)
		if err != nil {
			return fmt.Errorf("offer %s of order %s: %w", o.ID, o.OrderID, err)
		}
		b.Queue(upsertOffer, args...)
	}
	if len(c.Deliveries) == 0 {
		return nil
	}
	rows := make([][]any, len(c.Deliveries))
	for i, d := range c.Deliveries {
		var err error
		if rows[i], err = deliveryArgs(d); err != nil {
			return fmt.Errorf("webhook delivery %s: %w", d.ID, err)
		}
	}
	b.Queue(insertDeliveries, transpose(rows)...)
	return nil
}

// GetOffer returns one offer; store.ErrNotFound if absent.
func (s *Store) GetOffer(ctx context.Context, id string) (*store.Offer, error) {
	o, err := scanOffer(s.pool.QueryRow(ctx, `SELECT `+offerCols+` FROM offers WHERE id = $1`, id))
	if err != nil {
		return nil, fmt.Errorf("postgres: get offer %s: %w", id, mapErr(err))
	}
	return o, nil
}

// OffersOf returns the offers of an order, newest CreatedAt first (ties: the one
// created last first).
func (s *Store) OffersOf(ctx context.Context, orderID string) ([]store.Offer, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+offerCols+` FROM offers
		WHERE order_id = $1 ORDER BY created_at DESC, seq DESC`, orderID)
	if err != nil {
		return nil, fmt.Errorf("postgres: offers of %s: %w", orderID, err)
	}
	out, err := collect(rows, scanOffer)
	if err != nil {
		return nil, fmt.Errorf("postgres: offers of %s: %w", orderID, err)
	}
	return out, nil
}

// LatestOpenOfferForPhone returns the newest open offer whose SMS went to phone;
// store.ErrNotFound if none. An empty phone finds nothing: it is what every offer
// sent without SMS has.
func (s *Store) LatestOpenOfferForPhone(ctx context.Context, phone string) (*store.Offer, error) {
	if phone == "" {
		return nil, fmt.Errorf("postgres: latest open offer for an empty phone: %w", store.ErrNotFound)
	}
	o, err := scanOffer(s.pool.QueryRow(ctx, `SELECT `+offerCols+` FROM offers
		WHERE phone = $1 AND state = $2 ORDER BY created_at DESC, seq DESC LIMIT 1`,
		phone, store.OfferOpen))
	if err != nil {
		// The number is personal data: it stays out of the error.
		return nil, fmt.Errorf("postgres: latest open offer for a phone: %w", mapErr(err))
	}
	return o, nil
}

// MarkOfferSent sets SentAt (and UpdatedAt) to at unless SentAt is set already, in
// one statement; store.ErrNotFound if the offer is absent.
func (s *Store) MarkOfferSent(ctx context.Context, id string, at time.Time) error {
	err := s.exec1(ctx, `UPDATE offers SET sent_at = COALESCE(sent_at, $1),
			updated_at = CASE WHEN sent_at IS NULL THEN $1 ELSE updated_at END
		WHERE id = $2`, ts(at), id)
	if err != nil {
		return fmt.Errorf("postgres: mark offer %s sent: %w", id, err)
	}
	return nil
}
