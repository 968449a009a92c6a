-- Up Migration

-- trade-manager: when it last asked the executor to confirm a close with the exchange
-- (`trade.close_unconfirmed`), so a trade stuck `closing` is asked about once per close timeout.
ALTER TABLE trade ADD COLUMN close_checked_at timestamptz;
