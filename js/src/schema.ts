/**
 * The small schema language the messages of web-sqlite are defined in: the worker's requests
 * (worker/requests.ts), the messages between tabs (worker/tab-messages.ts) and the requests of
 * sync with PostgreSQL (pgsync/wire.ts). A check validates one value and returns it typed, or
 * throws BadRequest naming where the value was.
 */
import { WebSqliteError } from "./errors.js";

/**
 * BAD_REQUEST: a message the receiver cannot take (a client of another version, or junk): a
 * request to the worker, a message between tabs, a request to the sync server.
 */
export class BadRequest extends WebSqliteError {
  constructor(message: string) {
    super("BAD_REQUEST", `malformed request: ${message}`);
  }
}

/** Checks one value of a message and returns it typed; throws BadRequest naming where it was. */
export type Check<T> = (value: unknown, where: string) => T;
/** The fields of an object, each with its check. */
export type Shape = Record<string, Check<unknown>>;
/** The type a shape checks for. */
export type Infer<S extends Shape> = { [K in keyof S]: S[K] extends Check<infer T> ? T : never };

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

function primitive<T>(type: "string" | "number" | "boolean"): Check<T> {
  return (v, where) => {
    if (typeof v !== type) throw new BadRequest(`'${where}' must be a ${type}`);
    return v as T;
  };
}

export const string = primitive<string>("string");
export const number = primitive<number>("number");
export const boolean = primitive<boolean>("boolean");

export const bytes: Check<Uint8Array> = (v, where) => {
  if (!(v instanceof Uint8Array)) throw new BadRequest(`'${where}' must be a Uint8Array`);
  return v;
};

export function nullable<T>(check: Check<T>): Check<T | null> {
  return (v, where) => (v === null ? null : check(v, where));
}

export function oneOf<T extends string>(values: readonly T[]): Check<T> {
  return (v, where) => {
    if (!values.includes(v as T)) {
      throw new BadRequest(`'${where}' must be one of ${values.map((x) => `"${x}"`).join(", ")}`);
    }
    return v as T;
  };
}

export function object<S extends Shape>(shape: S): Check<Infer<S>> {
  return (v, where) => {
    if (!isObject(v)) throw new BadRequest(`'${where}' must be an object`);
    for (const key of Object.keys(shape)) shape[key](v[key], where ? `${where}.${key}` : key);
    return v as Infer<S>;
  };
}

export function arrayOf<T>(check: Check<T>): Check<T[]> {
  return (v, where) => {
    if (!Array.isArray(v)) throw new BadRequest(`'${where}' must be an array`);
    v.forEach((item, i) => check(item, `${where}[${i}]`));
    return v as T[];
  };
}

/** A check that accepts whatever test accepts; what names the type in the error. */
export function instance<T>(what: string, test: (v: unknown) => boolean): Check<T> {
  return (v, where) => {
    if (!test(v)) throw new BadRequest(`'${where}' must be ${what}`);
    return v as T;
  };
}
