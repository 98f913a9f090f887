-- notifyd schema, Postgres dialect. Keep in step with store/sqlite/migrations.
--
-- Times are timestamptz (microsecond precision, returned in UTC by the store).
-- Event payloads are json, which keeps the exact bytes their hash was taken of;
-- order snapshots are jsonb, queryable by support tools.
-- seq columns record arrival order, the tie-break where times are equal.

-- +goose Up
CREATE TABLE events (
    source      text NOT NULL,
    id          text NOT NULL,
    type        text NOT NULL,
    order_id    text NOT NULL DEFAULT '',
    time        timestamptz NOT NULL,
    payload     json,
    hash        text NOT NULL,
    status      text NOT NULL,
    received_at timestamptz NOT NULL,
    handled_at  timestamptz,
    outcome     text NOT NULL DEFAULT '',
    seq         bigint GENERATED ALWAYS AS IDENTITY,
    PRIMARY KEY (source, id)
);
CREATE INDEX events_order_id ON events (order_id, time, seq);

CREATE TABLE orders (
    id            text PRIMARY KEY,
    brand         text NOT NULL,
    number        text NOT NULL,
    placed_at     timestamptz NOT NULL,
    state         text NOT NULL,
    snapshot      jsonb,
    last_event_at timestamptz NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);
CREATE INDEX orders_brand_state_placed ON orders (brand, state, placed_at, id);

CREATE TABLE order_lines (
    order_id        text NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    line_id         text NOT NULL,
    position        integer NOT NULL, -- order of Lines as saved
    sku             text NOT NULL,
    quantity        integer NOT NULL,
    state           text NOT NULL,
    backordered_qty integer NOT NULL DEFAULT 0,
    allocated_qty   integer NOT NULL DEFAULT 0,
    shipped_qty     integer NOT NULL DEFAULT 0,
    eta             timestamptz,
    backorder_type  text NOT NULL DEFAULT '',
    state_at        timestamptz NOT NULL,
    PRIMARY KEY (order_id, line_id)
);
CREATE INDEX order_lines_sku_state ON order_lines (sku, state, order_id);

CREATE TABLE notifications (
    id           text PRIMARY KEY,
    order_id     text NOT NULL DEFAULT '',
    brand        text NOT NULL DEFAULT '',
    kind         text NOT NULL,
    channel      text NOT NULL,
    recipient    text NOT NULL DEFAULT '',
    event_source text NOT NULL DEFAULT '',
    event_id     text NOT NULL DEFAULT '',
    dedup_key    text UNIQUE,
    status       text NOT NULL,
    reason       text NOT NULL DEFAULT '',
    subject      text NOT NULL DEFAULT '',
    body         text NOT NULL DEFAULT '',
    html         text NOT NULL DEFAULT '',
    provider_id  text NOT NULL DEFAULT '',
    error        text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    sent_at      timestamptz,
    updated_at   timestamptz NOT NULL,
    seq          bigint GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX notifications_order_id ON notifications (order_id, created_at, seq);
CREATE INDEX notifications_created_at ON notifications (created_at, seq);

CREATE TABLE tokens (
    id           text PRIMARY KEY,
    hash         text NOT NULL UNIQUE,
    name         text NOT NULL,
    role         text NOT NULL,
    created_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    last_used_at timestamptz
);

-- +goose Down
DROP TABLE tokens;
DROP TABLE notifications;
DROP TABLE order_lines;
DROP TABLE orders;
DROP TABLE events;
