-- Delay-option offers and outbound webhook deliveries, Postgres dialect. Keep in step
-- with store/sqlite/migrations/00005_followups.sql.
--
-- Webhook payloads are json, which keeps the exact bytes that were signed; the other
-- JSON columns are jsonb.

-- +goose Up
CREATE TABLE offers (
    id             text PRIMARY KEY,
    order_id       text NOT NULL,
    brand          text NOT NULL DEFAULT '',
    line_ids       jsonb NOT NULL DEFAULT '[]', -- array of line ids
    silence        text NOT NULL DEFAULT '',
    renewed        boolean NOT NULL DEFAULT false,
    new_date       timestamptz,
    no_date_reason text NOT NULL DEFAULT '',
    substitute     jsonb,
    deadline       timestamptz NOT NULL,
    reminder_at    timestamptz,
    sent_at        timestamptz,
    policy         jsonb,
    choice         text NOT NULL DEFAULT '',
    choice_channel text NOT NULL DEFAULT '',
    choice_at      timestamptz,
    state          text NOT NULL,
    phone          text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    seq            bigint GENERATED ALWAYS AS IDENTITY
);
-- OffersOf.
CREATE INDEX offers_order_id ON offers (order_id, created_at, seq);
-- LatestOpenOfferForPhone: an SMS reply names no offer, only its sender.
CREATE INDEX offers_phone_state ON offers (phone, state, created_at, seq);

CREATE TABLE webhook_deliveries (
    id              text PRIMARY KEY,
    type            text NOT NULL,
    order_id        text NOT NULL DEFAULT '',
    payload         json, -- the bytes signed and sent, exactly
    status          text NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    last_status     integer NOT NULL DEFAULT 0,
    last_error      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    next_attempt_at timestamptz,
    delivered_at    timestamptz,
    updated_at      timestamptz NOT NULL,
    seq             bigint GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX webhook_deliveries_order_id ON webhook_deliveries (order_id, created_at, seq);
CREATE INDEX webhook_deliveries_status ON webhook_deliveries (status, created_at, seq);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE offers;
