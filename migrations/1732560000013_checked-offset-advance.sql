-- Up Migration

-- A boolean that must be true. A consumer whose handler's effects are all in its transaction
-- (ConsumeOptions.effects = 'transaction') does not lock its offset before the handler; the advance
-- sent with COMMIT checks that the offset is still where the member left it, and refuses the commit
-- when it is not by casting false to this type: a statement that fails skips the COMMIT sent after
-- it, and the whole transaction rolls back (router/src/sql/consumer-offset.ts). The constraint's name
-- is how the router tells this refusal from any other check violation.
CREATE DOMAIN recio_offsets_as_expected AS boolean
  CONSTRAINT recio_offsets_as_expected CHECK (VALUE);

-- Down Migration

DROP DOMAIN recio_offsets_as_expected;
