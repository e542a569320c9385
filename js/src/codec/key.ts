/**
 * Encryption keys as the APIs take them, checked in one place, and as the core takes them.
 *
 * A key is a passphrase (a non-empty string), which the cipher turns into the key with its key
 * derivation (PBKDF2-HMAC-SHA256, 64,007 iterations, a salt of 16 random bytes per database), or
 * the key itself: exactly 32 bytes (a Uint8Array), used as they are, for an app that derives its
 * keys with WebCrypto or a passkey. No message ever contains a key.
 */
import { type SQLiteError, WebSqliteError } from "../errors.js";
import { KeyKind, KeyResult } from "../generated/constants.js";

export type Key = string | Uint8Array;

/** The bytes of a raw key. */
export const RAW_KEY_BYTES = 32;

/** The key of an option, checked; null when none was given. */
export function checkKey(key: unknown, what = "key"): Key | null {
  if (key === undefined || key === null) return null;
  if (typeof key === "string") {
    if (key.length > 0) return key;
    throw new TypeError(`${what} is empty: a passphrase must have at least one character`);
  }
  if (key instanceof Uint8Array) {
    if (key.length === RAW_KEY_BYTES) return key;
    throw new TypeError(
      `${what} has ${key.length} bytes: a key given as bytes is the key itself and must be ` +
        `${RAW_KEY_BYTES} bytes (a passphrase is a string)`,
    );
  }
  throw new TypeError(
    `${what} must be a passphrase (a non-empty string) or the ${RAW_KEY_BYTES} bytes of a key ` +
      "(a Uint8Array)",
  );
}

/** What the core takes: the kind of key (KeyKind) and its bytes (UTF-8 for a passphrase). */
export function keyBytes(key: Key | null): { kind: number; bytes: Uint8Array | null } {
  if (key === null) return { kind: KeyKind.NONE, bytes: null };
  if (typeof key === "string") {
    return { kind: KeyKind.PASSPHRASE, bytes: new TextEncoder().encode(key) };
  }
  return { kind: KeyKind.RAW, bytes: key };
}

let keyCodes: Map<number, string> | undefined;

/**
 * The error of a key the core refused (KeyResult: WRONG_KEY, KEY_REQUIRED, NOT_ENCRYPTED,
 * NO_CIPHER) as web-sqlite's own, with the core's message; any other error as it is.
 */
export function keyError(e: SQLiteError): SQLiteError | WebSqliteError {
  keyCodes ??= new Map(Object.entries(KeyResult).map(([name, rc]) => [rc, name]));
  const code = keyCodes.get(e.resultCode);
  return code ? new WebSqliteError(code, e.message) : e;
}
