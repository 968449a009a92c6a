-- Up Migration

-- The event insert of router/src/sql/insert-events.ts as a function, so a transaction that
-- publishes sends its events in COMMIT's own round trip (a simple query may hold several
-- statements, but no parameters; a plpgsql function keeps its plans). What it does is that
-- file's to say; this is the same two statements. It runs as its caller: the row-level security
-- of event_log and channel_head applies as to the statements themselves.
CREATE FUNCTION recio_insert_events(p_ids uuid[], p_channels text[], p_types text[], p_data json[], p_source text)
RETURNS TABLE (event_id uuid, seq float8, ts float8)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
  IF cardinality(p_ids) = 1 THEN
    RETURN QUERY
      WITH head AS (
        INSERT INTO channel_head AS h (channel, last_seq) VALUES (p_channels[1], 1)
        ON CONFLICT (channel) DO UPDATE SET last_seq = h.last_seq + 1, updated_at = clock_timestamp()
        RETURNING h.last_seq
      )
      INSERT INTO event_log AS e (event_id, channel, seq, type, source, data, created_at)
      SELECT p_ids[1], p_channels[1], head.last_seq, p_types[1], p_source, p_data[1], clock_timestamp() FROM head
      RETURNING e.event_id, e.seq::float8, floor(extract(epoch FROM e.created_at) * 1000)::float8;
  ELSE
    RETURN QUERY
      WITH input AS (
        SELECT t.event_id, t.channel, t.type, t.data, t.ord
        FROM unnest(p_ids, p_channels, p_types, p_data) WITH ORDINALITY AS t(event_id, channel, type, data, ord)
      ), counts AS (
        SELECT i.channel, count(*)::bigint AS n FROM input i GROUP BY i.channel
      ), heads AS (
        INSERT INTO channel_head AS h (channel, last_seq)
        SELECT c.channel, c.n FROM counts c ORDER BY c.channel
        ON CONFLICT (channel) DO UPDATE SET last_seq = h.last_seq + excluded.last_seq, updated_at = clock_timestamp()
        RETURNING h.channel, h.last_seq
      )
      INSERT INTO event_log AS e (event_id, channel, seq, type, source, data, created_at)
      SELECT i.event_id, i.channel,
             heads.last_seq - counts.n + row_number() OVER (PARTITION BY i.channel ORDER BY i.ord),
             i.type, p_source, i.data, clock_timestamp()
      FROM input i JOIN counts USING (channel) JOIN heads USING (channel)
      RETURNING e.event_id, e.seq::float8, floor(extract(epoch FROM e.created_at) * 1000)::float8;
  END IF;
END
$$;

-- Down Migration

DROP FUNCTION recio_insert_events(uuid[], text[], text[], json[], text);
