/** A value of a Redis reply row of field/value pairs. */
export type ReplyValue = string | number | null;

/**
 * A Redis reply row of field/value pairs (XINFO GROUPS, XINFO CONSUMERS, XINFO STREAM: field, value,
 * field, value, ...) as a record. One parser for every reader of them: the consumer, the health
 * controller, the e2e harness.
 */
export function replyFields(row: unknown): Record<string, ReplyValue> {
  const out: Record<string, ReplyValue> = {};
  const list = row as ReplyValue[];
  for (let i = 0; i + 1 < list.length; i += 2) out[String(list[i])] = list[i + 1]!;
  return out;
}
