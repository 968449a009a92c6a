-- Up Migration

-- An entry cancelled because its order had no outcome in time may have filled (its reply lost). The
-- executor asks the exchange on `trade.cancelled`; when the exchange does not answer then (an outage
-- longer than the handler's retries), the question was dead-lettered and never asked again. Now the
-- trade stays `entry_unconfirmed` until the executor's answer comes back (a fill opens it late; a
-- refusal or "no such order" confirms the cancellation), and the trade manager asks again
-- (`trade.entry_unconfirmed`) every close timeout of feed time, as it does for an unconfirmed close.
ALTER TABLE trade ADD COLUMN entry_unconfirmed boolean NOT NULL DEFAULT false;
ALTER TABLE trade ADD COLUMN entry_checked_at timestamptz;
CREATE INDEX trade_entry_unconfirmed ON trade (closed_at) WHERE status = 'cancelled' AND entry_unconfirmed;

-- Down Migration

DROP INDEX trade_entry_unconfirmed;
ALTER TABLE trade DROP COLUMN entry_checked_at;
ALTER TABLE trade DROP COLUMN entry_unconfirmed;
