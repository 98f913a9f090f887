-- The worker's transactional records, Postgres dialect. Keep in step with
-- store/sqlite/migrations/00003_work.sql.

-- +goose Up
-- Compare-and-set: CommitEvent saves an order only at the version it read.
ALTER TABLE orders
    ADD COLUMN version   bigint NOT NULL DEFAULT 0,
    ADD COLUMN closed_at timestamptz;
ALTER TABLE order_lines ADD COLUMN told_eta timestamptz;
ALTER TABLE notifications
    ADD COLUMN fingerprint text NOT NULL DEFAULT '',
    ADD COLUMN not_before  timestamptz;
-- LastNotification: the newest message of one kind to one recipient about an order.
CREATE INDEX notifications_last ON notifications (order_id, kind, channel, recipient, created_at, seq);
-- CountSince: the rolling daily cap per recipient.
CREATE INDEX notifications_recipient_created ON notifications (channel, recipient, created_at);

CREATE TABLE restock_allocations (
    restock_source text NOT NULL,
    restock_id     text NOT NULL,
    order_id       text NOT NULL,
    line_id        text NOT NULL,
    quantity       integer NOT NULL,
    PRIMARY KEY (restock_source, restock_id, order_id, line_id)
);

CREATE TABLE pending_messages (
    order_id     text NOT NULL,
    kind         text NOT NULL,
    first_at     timestamptz NOT NULL,
    due_at       timestamptz NOT NULL,
    seq          integer NOT NULL DEFAULT 0,
    facts        jsonb,
    event_source text NOT NULL DEFAULT '',
    event_id     text NOT NULL DEFAULT '',
    PRIMARY KEY (order_id, kind)
);

CREATE TABLE send_claims (
    key             text PRIMARY KEY,
    notification_id text NOT NULL,
    state           text NOT NULL,
    claimed_at      timestamptz NOT NULL,
    committed_at    timestamptz
);

-- +goose Down
DROP TABLE send_claims;
DROP TABLE pending_messages;
DROP TABLE restock_allocations;
DROP INDEX notifications_recipient_created;
DROP INDEX notifications_last;
ALTER TABLE notifications
    DROP COLUMN not_before,
    DROP COLUMN fingerprint;
ALTER TABLE order_lines DROP COLUMN told_eta;
ALTER TABLE orders
    DROP COLUMN closed_at,
    DROP COLUMN version;
