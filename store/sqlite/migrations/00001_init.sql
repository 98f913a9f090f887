-- notifyd schema, SQLite dialect. Keep in step with store/postgres/migrations.
--
-- Times are TEXT in one fixed-width UTC layout, 2006-01-02T15:04:05.000000Z:
-- microsecond precision like Postgres, readable in the sqlite3 shell, and
-- ordered correctly by plain text comparison.

-- +goose Up
CREATE TABLE events (
    source      TEXT NOT NULL,
    id          TEXT NOT NULL,
    type        TEXT NOT NULL,
    order_id    TEXT NOT NULL DEFAULT '',
    time        TEXT NOT NULL,
    payload     TEXT,
    hash        TEXT NOT NULL,
    status      TEXT NOT NULL,
    received_at TEXT NOT NULL,
    handled_at  TEXT,
    outcome     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (source, id)
);
CREATE INDEX events_order_id ON events (order_id, time);

CREATE TABLE orders (
    id            TEXT PRIMARY KEY,
    brand         TEXT NOT NULL,
    number        TEXT NOT NULL,
    placed_at     TEXT NOT NULL,
    state         TEXT NOT NULL,
    snapshot      TEXT,
    last_event_at TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX orders_brand_state_placed ON orders (brand, state, placed_at, id);

CREATE TABLE order_lines (
    order_id        TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    line_id         TEXT NOT NULL,
    position        INTEGER NOT NULL, -- order of Lines as saved
    sku             TEXT NOT NULL,
    quantity        INTEGER NOT NULL,
    state           TEXT NOT NULL,
    backordered_qty INTEGER NOT NULL DEFAULT 0,
    allocated_qty   INTEGER NOT NULL DEFAULT 0,
    shipped_qty     INTEGER NOT NULL DEFAULT 0,
    eta             TEXT,
    backorder_type  TEXT NOT NULL DEFAULT '',
    state_at        TEXT NOT NULL,
    PRIMARY KEY (order_id, line_id)
);
CREATE INDEX order_lines_sku_state ON order_lines (sku, state, order_id);

CREATE TABLE notifications (
    id           TEXT PRIMARY KEY,
    order_id     TEXT NOT NULL DEFAULT '',
    brand        TEXT NOT NULL DEFAULT '',
    kind         TEXT NOT NULL,
    channel      TEXT NOT NULL,
    recipient    TEXT NOT NULL DEFAULT '',
    event_source TEXT NOT NULL DEFAULT '',
    event_id     TEXT NOT NULL DEFAULT '',
    dedup_key    TEXT UNIQUE,
    status       TEXT NOT NULL,
    reason       TEXT NOT NULL DEFAULT '',
    subject      TEXT NOT NULL DEFAULT '',
    body         TEXT NOT NULL DEFAULT '',
    html         TEXT NOT NULL DEFAULT '',
    provider_id  TEXT NOT NULL DEFAULT '',
    error        TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    sent_at      TEXT,
    updated_at   TEXT NOT NULL
);
CREATE INDEX notifications_order_id ON notifications (order_id, created_at);
CREATE INDEX notifications_created_at ON notifications (created_at);

CREATE TABLE tokens (
    id           TEXT PRIMARY KEY,
    hash         TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    revoked_at   TEXT,
    last_used_at TEXT
);

-- +goose Down
DROP TABLE tokens;
DROP TABLE notifications;
DROP TABLE order_lines;
DROP TABLE orders;
DROP TABLE events;
