-- A line's reserved_told: the customer was told of the units reserved for the line
-- now (a restock_notice naming it was decided with a channel that went out), so no
-- later notice names the line again for them; false whenever nothing is reserved
-- for it. The backfill reads the log, which does not say which lines a notice named:
-- a line with units reserved counts as told when a restock_notice of its order went
-- out (or is on its way) and, for a line awaiting a choice, all it owes is reserved
-- and no notice of the order was held back for an offer. A line whose notice was
-- held, capped, or not decided yet (its batch still queued: drain the low queue
-- before upgrading, README) is told by the next path that names lines not told. A
-- line re-reserved after another line of its order was told, its own notice still
-- undecided, counts as told. Keep in step with
-- store/postgres/migrations/00009_reserved_told.sql.

-- +goose Up
ALTER TABLE order_lines ADD COLUMN reserved_told INTEGER NOT NULL DEFAULT 0;
UPDATE order_lines SET reserved_told = (
    (state = 'allocated'
        OR (state = 'awaiting_choice'
            AND allocated_qty >= MIN(backordered_qty, quantity - shipped_qty)
            AND NOT EXISTS (SELECT 1 FROM notifications h
                WHERE h.order_id = order_lines.order_id AND h.kind = 'restock_notice'
                    AND h.status = 'suppressed' AND h.reason LIKE 'held:%')))
    AND EXISTS (SELECT 1 FROM notifications n
        WHERE n.order_id = order_lines.order_id AND n.kind = 'restock_notice'
            AND n.status IN ('pending', 'sent', 'delivered')))
WHERE allocated_qty > 0;

-- +goose Down
ALTER TABLE order_lines DROP COLUMN reserved_told;
