-- When a parcel ships a line's backordered units, the worker reads the line's
-- allocations with their restocks' times (LineAllocations): units reserved by a
-- restock newer than the parcel cannot have gone in it. Keep in step with
-- store/sqlite/migrations/00008_allocations_by_order.sql.

-- +goose Up
CREATE INDEX restock_allocations_order ON restock_allocations (order_id);

-- +goose Down
DROP INDEX restock_allocations_order;
