-- The worker's transactional records, SQLite dialect. Keep in step with
-- store/postgres/migrations/00003_work.sql.

-- +goose Up
-- Compare-and-set: CommitEvent saves an order only at the version it read.
ALTER TABLE orders ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN closed_at TEXT;
ALTER TABLE order_lines ADD COLUMN told_eta TEXT;
ALTER TABLE notifications ADD COLUMN fingerprint TEXT NOT NULL DEFAULT '';
ALTER TABLE notifications ADD COLUMN not_before TEXT;
-- LastNotification: the newest message of one kind to one recipient about an order.
CREATE INDEX notifications_last ON notifications (order_id, kind, channel, recipient, created_at);
-- CountSince: the rolling daily cap per recipient.
CREATE INDEX notifications_recipient_created ON notifications (channel, recipient, created_at);

CREATE TABLE restock_allocations (
    restock_source TEXT NOT NULL,
    restock_id     TEXT NOT NULL,
    order_id       TEXT NOT NULL,
    line_id        TEXT NOT NULL,
    quantity       INTEGER NOT NULL,
    PRIMARY KEY (restock_source, restock_id, order_id, line_id)
);

CREATE TABLE pending_messages (
    order_id     TEXT NOT NULL,
    kind         TEXT NOT NULL,
    first_at     TEXT NOT NULL,
    due_at       TEXT NOT NULL,
    seq          INTEGER NOT NULL DEFAULT 0,
    facts        TEXT,
    event_source TEXT NOT NULL DEFAULT '',
    event_id     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (order_id, kind)
);

CREATE TABLE send_claims (
    key             TEXT PRIMARY KEY,
    notification_id TEXT NOT NULL,
    state           TEXT NOT NULL,
    claimed_at      TEXT NOT NULL,
    committed_at    TEXT
);

-- +goose Down
DROP TABLE send_claims;
DROP TABLE pending_messages;
DROP TABLE restock_allocations;
DROP INDEX notifications_recipient_created;
DROP INDEX notifications_last;
ALTER TABLE notifications DROP COLUMN not_before;
ALTER TABLE notifications DROP COLUMN fingerprint;
ALTER TABLE order_lines DROP COLUMN told_eta;
ALTER TABLE orders DROP COLUMN closed_at;
ALTER TABLE orders DROP COLUMN version;
