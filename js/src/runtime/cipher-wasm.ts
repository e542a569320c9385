/**
 * Where the encryption build (web-sqlite-cipher.wasm) is: a module of its own, small enough for
 * the page's bundle, which passes the location to its worker.
 */
import { baseUrl, defaultCipherWasmUrl } from "../platform.js";

/**
 * The encryption build for a runtime whose wasm is at wasm: web-sqlite-cipher.wasm beside a wasm
 * given by its URL; else the package's (which bundlers emit with an app).
 */
export function cipherWasmOf(wasm: unknown): URL {
  if (typeof wasm === "string" || wasm instanceof URL) {
    return new URL("web-sqlite-cipher.wasm", new URL(wasm, baseUrl()));
  }
  return defaultCipherWasmUrl();
}
