/**
 * The messages that share databases between tabs (broker.ts, election.ts, client/tabs.ts), each
 * defined once by its shape in the schema language of the requests (protocol.ts), and read in
 * one place: `read` checks a message against its family and gives it typed, or null (a message
 * of no family, which the receiver ignores). Every message is `{ kind, ...fields }`.
 *
 *   page ──worker, connect──► broker ──held, connect──► holder's worker
 *   page ◄──ready, moved───── broker ◄────holding────── any page's worker
 *   page ──(requests), bye──► holder   (on the port the broker passed on, after introduced)
 */
import {
  type Check,
  type Infer,
  type Shape,
  arrayOf,
  boolean,
  instance,
  isObject,
  nullable,
  number,
  object,
  string,
} from "../schema.js";

const port = instance<MessagePort>(
  "a MessagePort",
  (v) => typeof MessagePort !== "undefined" && v instanceof MessagePort,
);

/** A database and the epoch of its holder (the broker's number for each holding). */
const holder = object({ name: string, epoch: number });

/** A page's port to the holder of name; epoch: the newest holder the page knows of. */
const connect = { name: string, port, client: string, epoch: number };

interface Family<D extends Record<string, Shape>> {
  shapes: D;
  checks: { [K in keyof D]: Check<Infer<D[K]>> };
}

function family<D extends Record<string, Shape>>(shapes: D): Family<D> {
  const checks = Object.fromEntries(
    Object.entries(shapes).map(([kind, shape]) => [kind, object(shape)]),
  ) as Family<D>["checks"];
  return { shapes, checks };
}

/** The messages of a family, each with its kind. */
export type MessageOf<F> =
  F extends Family<infer D> ? { [K in keyof D]: { kind: K } & Infer<D[K]> }[keyof D] : never;

/** The message of family that data is, or null if it is none of them. */
export function read<F extends Family<Record<string, Shape>>>(
  family: F,
  data: unknown,
): MessageOf<F> | null {
  if (!isObject(data) || typeof data.kind !== "string" || !Object.hasOwn(family.checks, data.kind))
    return null;
  try {
    family.checks[data.kind](data, "");
    return data as MessageOf<F>;
  } catch {
    return null;
  }
}

/** A page to the broker. */
export const PAGE_TO_BROKER = family({
  /** A port to the page's worker, through which the worker registers what it holds. */
  worker: { port },
  /** Pass port on to the holder of name once there is one of at least epoch. */
  connect,
});

/** The broker to a page. */
export const BROKER_TO_PAGE = family({
  /** The broker holds its Web Lock (the page watches it), and the holders it knows now. */
  ready: { holders: arrayOf(holder) },
  /** A new holder of name. */
  moved: { name: string, epoch: number },
});

/** A worker to the broker. */
export const WORKER_TO_BROKER = family({
  /** The worker took (holding) or let go name; epoch: its number for it from an earlier broker. */
  holding: { name: string, holding: boolean, epoch: nullable(number) },
});

/** The broker to a worker. */
export const BROKER_TO_WORKER = family({
  /** The worker's epoch as the holder of name. */
  held: { name: string, epoch: number },
  /** Serve this page's port (its database requests). */
  connect,
});

/**
 * On a page's port to a holder: from the broker, before it passes the port on, which holder it
 * reaches (introduced); from the page, that it leaves the holder (bye: what the port had open
 * there closes). Everything else on the port is requests and their responses (protocol.ts).
 */
export const ON_HOLDER_PORT = family({
  introduced: { epoch: number },
  bye: {},
});
