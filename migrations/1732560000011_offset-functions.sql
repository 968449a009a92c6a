-- Up Migration

-- A consumer's offset lock and offset advance as functions, so each rides in the round trip of
-- BEGIN and of COMMIT (a simple query may hold several statements, but no parameters; a plpgsql
-- function keeps its plan). What they do is router/src/sql/consumer-offset.ts's to say.

-- Locks the group's offset rows of the channels, in channel order (the sort comes before the row
-- locks, so two such transactions never deadlock on offsets), with each channel's committed head.
-- A channel without an offset row returns no row.
CREATE FUNCTION recio_lock_offsets(p_group text, p_channels text[])
RETURNS TABLE (channel text, applied float8, head float8)
LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY
    SELECT o.channel, o.applied_seq::float8, coalesce(h.last_seq, 0)::float8
    FROM consumer_offset o LEFT JOIN channel_head h ON h.channel = o.channel
    WHERE o.group_name = p_group AND o.channel = ANY (p_channels)
    ORDER BY o.channel
    FOR UPDATE OF o;
END
$$;

-- Moves the group's (locked) offsets of the channels to the seqs.
CREATE FUNCTION recio_advance_offsets(p_group text, p_channels text[], p_seqs bigint[])
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE consumer_offset o SET applied_seq = v.seq, updated_at = now()
  FROM unnest(p_channels, p_seqs) AS v(channel, seq)
  WHERE o.group_name = p_group AND o.channel = v.channel;
END
$$;

-- Down Migration

DROP FUNCTION recio_advance_offsets(text, text[], bigint[]);
DROP FUNCTION recio_lock_offsets(text, text[]);
