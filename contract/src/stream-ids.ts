/**
 * Stream entry ids (ARCHITECTURE invariant 3): a channel's event `seq` is its entry id `<seq>-0`,
 * so the same event always makes the same entry and re-appending is harmless. The append script
 * (router/src/scripts/append.lua) writes the same form.
 */

/** The stream entry id of a sequence number. */
export function entryId(seq: number): string {
  return `${seq}-0`;
}

/** The sequence number of a stream entry id `<seq>-0` (NaN for an id of another form). */
export function seqOfEntryId(id: string): number {
  const dash = id.indexOf('-');
  return dash < 1 ? Number.NaN : Number(id.slice(0, dash));
}
