import { z } from 'zod';

// Test-only fault injection (enabled with the admin API): makes the next N matching trade API
// requests fail or stall, so a client's retry, timeout and duplicate handling run against a
// real HTTP server rather than a fake one. A fault `after` the handler lets the request take
// effect and then replaces or delays its answer: "the order was placed but the reply was lost".
// A `duplicate` fault lists every item of the answer's lists twice, as an exchange's page does when
// an item moves between two pages while a client pages through them.

/** One fault: applies to the next `count` requests matching `method` and `path` (a prefix). */
export const FaultSpecSchema = z.object({
  /** Status to answer with; omitted = answer normally (after `delayMs`). */
  status: z.number().int().min(400).max(599).optional(),
  /** Error code of the answer. @defaultValue derived from the status */
  code: z.string().min(1).optional(),
  /** Wall milliseconds to wait before answering. */
  delayMs: z.number().int().min(0).max(120_000).default(0),
  count: z.number().int().min(1).max(10_000).default(1),
  /** Run the handler first (the request takes effect), then apply the fault to its reply. */
  after: z.boolean().default(false),
  /** Answer normally, but with each item of every list in the answer twice (implies `after`). */
  duplicate: z.boolean().default(false),
  /** Path prefix after /trade-api/v2, e.g. `/portfolio/orders`; omitted = any trade API path. */
  path: z.string().optional(),
  method: z.string().optional(),
});
/** A parsed fault. */
export type FaultSpec = z.infer<typeof FaultSpecSchema>;

/** A JSON answer with each item of its top-level lists twice (a `duplicate` fault). */
export function duplicateItems(payload: string): string {
  const body = JSON.parse(payload) as Record<string, unknown>;
  for (const [key, value] of Object.entries(body)) {
    if (Array.isArray(value)) body[key] = value.flatMap((item: unknown) => [item, item]);
  }
  return JSON.stringify(body);
}

/** The default code of an injected status. */
export function faultCode(spec: FaultSpec): string {
  if (spec.code) return spec.code;
  if (spec.status === 429) return 'too_many_requests';
  if (spec.status !== undefined && spec.status >= 500) return 'service_unavailable';
  return 'injected_fault';
}

/** The queue of pending faults. */
export class FaultInjector {
  private readonly faults: FaultSpec[] = [];
  #answered = 0;
  #lastAnsweredAt: number | null = null;

  /** Queues a fault. */
  add(spec: FaultSpec): void {
    this.faults.push({ ...spec });
  }

  /** Drops every pending fault. */
  clear(): void {
    this.faults.length = 0;
  }

  /** Faults still pending. */
  pending(): number {
    return this.faults.reduce((sum, f) => sum + f.count, 0);
  }

  /** A request that met a fault has had its faulted answer (sent, after any delay). */
  answered(): void {
    this.#answered += 1;
    this.#lastAnsweredAt = Date.now();
  }

  /** Faulted answers sent so far, and when the last one was (wall clock), for a test to time what follows. */
  answers(): { count: number; lastAt: Date | null } {
    return { count: this.#answered, lastAt: this.#lastAnsweredAt === null ? null : new Date(this.#lastAnsweredAt) };
  }

  /** Takes one use of the first fault matching a request (`path` relative to /trade-api/v2). */
  take(method: string, path: string): FaultSpec | undefined {
    const index = this.faults.findIndex(
      (f) => (!f.method || f.method.toUpperCase() === method.toUpperCase()) && (!f.path || path.startsWith(f.path)),
    );
    if (index === -1) return undefined;
    const fault = this.faults[index] as FaultSpec;
    fault.count -= 1;
    if (fault.count <= 0) this.faults.splice(index, 1);
    return fault;
  }
}
