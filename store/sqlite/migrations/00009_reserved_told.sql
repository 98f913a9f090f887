-- A line's reserved_told: the customer was told of the units reserved for the line
-- now (a restock_notice naming it was decided with a channel that went out), so no
-- later notice names the line again for them; false whenever nothing is reserved
-- for it. The backfill reads the log, which does not say which lines a notice named,
-- and errs toward telling again rather than never: a line with units reserved
-- (allocated, or awaiting a choice with all it owes reserved) counts as told when a
-- restock_notice of its order went out (or is on its way) and no restock_notice of
-- the order was held back for an offer or capped after it. A line counted not told
-- is named by the next restock_notice path (a batch, the "wait", a parcel, a
-- cancellation); one whose batch is still queued at the upgrade is named by it —
-- but a line re-reserved after another line of its order was told, its own notice
-- still undecided, counts as told: drain the low queue before upgrading (README).
-- Keep in step with store/postgres/migrations/00009_reserved_told.sql.

-- +goose Up
ALTER TABLE order_lines ADD COLUMN reserved_told INTEGER NOT NULL DEFAULT 0;
UPDATE order_lines SET reserved_told = (
    (state = 'allocated'
        OR (state = 'awaiting_choice' AND allocated_qty >= MIN(backordered_qty, quantity - shipped_qty)))
    AND EXISTS (SELECT 1 FROM notifications n
        WHERE n.order_id = order_lines.order_id AND n.kind = 'restock_notice'
            AND n.status IN ('pending', 'sent', 'delivered')
            AND NOT EXISTS (SELECT 1 FROM notifications h
                WHERE h.order_id = n.order_id AND h.kind = 'restock_notice'
                    AND h.status = 'suppressed' AND (h.reason LIKE 'held:%' OR h.reason LIKE 'capped:%')
                    AND (h.created_at > n.created_at OR (h.created_at = n.created_at AND h.rowid > n.rowid)))))
WHERE allocated_qty > 0;

-- +goose Down
ALTER TABLE order_lines DROP COLUMN reserved_told;
