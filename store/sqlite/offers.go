package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/notifyd/notifyd/store"
)

var _ store.FollowUpStore = (*Store)(nil)

const offerCols = `id, order_id, brand, line_ids, silence, renewed, new_date,
	no_date_reason, substitute, deadline, reminder_at, sent_at, policy, choice,
	choice_channel, choice_at, state, phone, created_at, updated_at`

// upsertOffer inserts an offer or replaces the one with its ID; the arguments are
// offerArgs. A replacement keeps created_at, and a sent_at already set: MarkOfferSent
// may have set it after the offer being replaced was read.
const upsertOffer = `INSERT INTO offers (` + offerCols + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
		fmtTimePtr(o.NewDate), o.NoDateReason, jsonArg(o.Substitute), fmtTime(o.Deadline),
		fmtTimePtr(o.ReminderAt), fmtTimePtr(o.SentAt), jsonArg(o.Policy), o.Choice,
		o.ChoiceChannel, fmtTimePtr(o.ChoiceAt), state, o.Phone, fmtTime(created),
		fmtTime(updated)}, nil
}

func scanOffer(row scanner) (*store.Offer, error) {
	var o store.Offer
	var lines string
	var substitute, policy []byte
	err := row.Scan(&o.ID, &o.OrderID, &o.Brand, &lines, &o.Silence, &o.Renewed,
		nullTimeCol{&o.NewDate}, &o.NoDateReason, &substitute, timeCol{&o.Deadline},
		nullTimeCol{&o.ReminderAt}, nullTimeCol{&o.SentAt}, &policy, &o.Choice,
		&o.ChoiceChannel, nullTimeCol{&o.ChoiceAt}, &o.State, &o.Phone, timeCol{&o.CreatedAt},
		timeCol{&o.UpdatedAt})
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(lines), &o.LineIDs); err != nil {
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

// offersAndDeliveries writes a commit's offers (insert or replace) and deliveries
// (an existing ID is left alone) with the prepared statements.
func (ct *commitTx) offersAndDeliveries(c *store.EventCommit) error {
	if len(c.Offers) > 0 {
		stmt := ct.stmt(upsertOffer)
		for _, o := range c.Offers {
			args, err := offerArgs(o)
			if err == nil {
				_, err = stmt.ExecContext(ct.ctx, args...)
			}
			if err != nil {
				return fmt.Errorf("offer %s of order %s: %w", o.ID, o.OrderID, err)
			}
		}
	}
	if len(c.Deliveries) > 0 {
		stmt := ct.stmt(insertDelivery)
		for _, d := range c.Deliveries {
			args, err := deliveryArgs(d)
			if err == nil {
				_, err = stmt.ExecContext(ct.ctx, args...)
			}
			if err != nil {
				return fmt.Errorf("webhook delivery %s: %w", d.ID, err)
			}
		}
	}
	return nil
}

// GetOffer returns one offer; store.ErrNotFound if absent.
func (s *Store) GetOffer(ctx context.Context, id string) (*store.Offer, error) {
	o, err := scanOffer(s.r.QueryRowContext(ctx,
		`SELECT `+offerCols+` FROM offers WHERE id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("sqlite: get offer %s: %w", id, mapErr(err))
	}
	return o, nil
}

// OffersOf returns the offers of an order, newest CreatedAt first (ties: the one
// created last first).
func (s *Store) OffersOf(ctx context.Context, orderID string) ([]store.Offer, error) {
	out, err := s.queryOffers(ctx, `SELECT `+offerCols+` FROM offers
		WHERE order_id = ? ORDER BY created_at DESC, rowid DESC`, orderID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: offers of %s: %w", orderID, err)
	}
	return out, nil
}

// LatestOpenOfferForPhone returns the newest open offer whose SMS went to phone;
// store.ErrNotFound if none. An empty phone finds nothing: it is what every offer
// sent without SMS has.
func (s *Store) LatestOpenOfferForPhone(ctx context.Context, phone string) (*store.Offer, error) {
	if phone == "" {
		return nil, fmt.Errorf("sqlite: latest open offer for an empty phone: %w", store.ErrNotFound)
	}
	o, err := scanOffer(s.r.QueryRowContext(ctx, `SELECT `+offerCols+` FROM offers
		WHERE phone = ? AND state = ? ORDER BY created_at DESC, rowid DESC LIMIT 1`,
		phone, store.OfferOpen))
	if err != nil {
		// The number is personal data: it stays out of the error.
		return nil, fmt.Errorf("sqlite: latest open offer for a phone: %w", mapErr(err))
	}
	return o, nil
}

// MarkOfferSent sets SentAt (and UpdatedAt) to at unless SentAt is set already, in
// one statement; store.ErrNotFound if the offer is absent.
func (s *Store) MarkOfferSent(ctx context.Context, id string, at time.Time) error {
	err := s.exec1(ctx, `UPDATE offers SET sent_at = COALESCE(sent_at, ?),
			updated_at = CASE WHEN sent_at IS NULL THEN ? ELSE updated_at END
		WHERE id = ?`, fmtTime(at), fmtTime(at), id)
	if err != nil {
		return fmt.Errorf("sqlite: mark offer %s sent: %w", id, err)
	}
	return nil
}

func (s *Store) queryOffers(ctx context.Context, query string, args ...any) ([]store.Offer, error) {
	rows, err := s.readQuery(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Offer
	for rows.Next() {
		o, err := scanOffer(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *o)
	}
	return out, rows.Err()
}
