-- Up Migration

-- Prices and markets became latest-value classes (ARCHITECTURE invariant 14): their events go to
-- Redis only, with versions as seqs, and no group keeps a PostgreSQL offset for them. Their old
-- heads and offsets would make the relay compare those streams with a PostgreSQL head they no
-- longer follow (and trim them as "ahead"). Their old event_log rows expire with the classes'
-- 30-day retention; the price history is price_tick.
DELETE FROM consumer_offset WHERE channel LIKE 'prices:%' OR channel LIKE 'markets:%';
DELETE FROM channel_head WHERE channel LIKE 'prices:%' OR channel LIKE 'markets:%';
