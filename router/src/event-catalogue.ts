/**
 * What a router may publish, by channel class: each class's union of `{ type, data }`. The router
 * itself is generic: with `AnyEvents` (the default) any channel, type and data type-check, and every
 * event is still checked at run time (channel grammar, type grammar, JSON, size). A platform passes
 * its own catalogue (@recio/platform's PlatformEvents) and then `publish` only compiles for a channel
 * of a known class, a type of that class and data of that type's shape.
 */
export type EventCatalogue = Record<string, { type: string; data: unknown }>;

/** The catalogue of a router that knows no event types. */
export type AnyEvents = Record<string, { type: string; data: unknown }>;

type ClassOf<Ch extends string> = Ch extends `${infer C}:${string}` ? C : never;
type Untyped<M> = string extends keyof M ? true : false;

/** A channel of one of the catalogue's classes (`trades:${string}`, ...), or any string for AnyEvents. */
export type CatalogueChannel<M extends EventCatalogue> =
  Untyped<M> extends true ? string : { [C in keyof M & string]: `${C}:${string}` }[keyof M & string];

/** The event types of a channel's class. */
export type CatalogueType<M extends EventCatalogue, Ch extends string> =
  Untyped<M> extends true ? string : M[ClassOf<Ch> & keyof M]['type'];

/** The data of event type `T` on a channel's class. */
export type CatalogueData<M extends EventCatalogue, Ch extends string, T extends string> =
  Untyped<M> extends true ? unknown : Extract<M[ClassOf<Ch> & keyof M], { type: T }>['data'];

/** One event to publish, as `publishMany` takes it: a channel with a type and data of its class. */
export type PublishInput<M extends EventCatalogue> =
  Untyped<M> extends true
    ? { channel: string; type: string; data: unknown }
    : { [C in keyof M & string]: M[C] & { channel: `${C}:${string}` } }[keyof M & string];
