-- Delay-option offers and outbound webhook deliveries, SQLite dialect. Keep in step
-- with store/postgres/migrations/00005_followups.sql.

-- +goose Up
CREATE TABLE offers (
    id             TEXT PRIMARY KEY,
    order_id       TEXT NOT NULL,
    brand          TEXT NOT NULL DEFAULT '',
    line_ids       TEXT NOT NULL DEFAULT '[]', -- JSON array of line ids
    silence        TEXT NOT NULL DEFAULT '',
    renewed        INTEGER NOT NULL DEFAULT 0,
    new_date       TEXT,
    no_date_reason TEXT NOT NULL DEFAULT '',
    substitute     TEXT,
    deadline       TEXT NOT NULL,
    reminder_at    TEXT,
    sent_at        TEXT,
    policy         TEXT,
    choice         TEXT NOT NULL DEFAULT '',
    choice_channel TEXT NOT NULL DEFAULT '',
    choice_at      TEXT,
    state          TEXT NOT NULL,
    phone          TEXT NOT NULL DEFAULT '',
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
-- OffersOf.
CREATE INDEX offers_order_id ON offers (order_id, created_at);
-- LatestOpenOfferForPhone: an SMS reply names no offer, only its sender.
CREATE INDEX offers_phone_state ON offers (phone, state, created_at);

CREATE TABLE webhook_deliveries (
    id              TEXT PRIMARY KEY,
    type            TEXT NOT NULL,
    order_id        TEXT NOT NULL DEFAULT '',
    payload         TEXT, -- the bytes signed and sent, exactly
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_status     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    next_attempt_at TEXT,
    delivered_at    TEXT,
    updated_at      TEXT NOT NULL
);
CREATE INDEX webhook_deliveries_order_id ON webhook_deliveries (order_id, created_at);
CREATE INDEX webhook_deliveries_status ON webhook_deliveries (status, created_at);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE offers;
