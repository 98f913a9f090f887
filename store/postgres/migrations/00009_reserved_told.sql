-- A line's reserved_told: the customer was told that the units reserved for the line
-- now are (a restock_notice naming it was decided with a channel that went out), so
-- no later notice names the line again for them; false whenever nothing is reserved
-- for it. Lines allocated when this migration runs were told by the restock's batch,
-- or will be at their offer's "wait". Keep in step with
-- store/sqlite/migrations/00009_reserved_told.sql.

-- +goose Up
ALTER TABLE order_lines ADD COLUMN reserved_told boolean NOT NULL DEFAULT false;
UPDATE order_lines SET reserved_told = (state = 'allocated');

-- +goose Down
ALTER TABLE order_lines DROP COLUMN reserved_told;
