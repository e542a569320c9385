/**
 * Finding and compiling web-sqlite's wasm, in stages: a failure is LOAD_FAILED naming its stage
 * and saying what to do (a wasm not deployed, a page served in its place, a blocked fetch).
 */
import { LOADING_DOCS, WebSqliteError, movedByBundler } from "../errors.js";
import { baseUrl, readLocalFile } from "../platform.js";

/** Where the wasm comes from: a URL or path, its bytes, or an already compiled module. */
export type WasmSource = string | URL | ArrayBuffer | Uint8Array | WebAssembly.Module;

export type LoadStage =
  "locate" | "fetch" | "compile" | "instantiate" | "initialize" | "sqlite-init";

export async function stage<T>(name: LoadStage, fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof WebSqliteError) throw e;
    const what = e instanceof Error ? e.message : String(e);
    throw new WebSqliteError(
      "LOAD_FAILED",
      `web-sqlite failed to load at stage '${name}': ${what}`,
      {
        cause: e,
      },
    );
  }
}

/** What to do about a wasm that is not at url. */
function notDeployed(url: URL): string {
  const file = /web-sqlite-cipher[^/]*$/.test(url.pathname)
    ? "web-sqlite-cipher.wasm"
    : "web-sqlite.wasm";
  return `${movedByBundler(url.href) ?? `Is ${file} deployed there?`} ${LOADING_DOCS}`;
}

/** What came back instead of the wasm (its Content-Type and first bytes), said so it can be fixed. */
function notTheWasm(url: URL, type: string | null, bytes: Uint8Array): Error {
  const start = new TextDecoder().decode(bytes.subarray(0, 24)).replace(/[^\x21-\x7e]+/g, " ");
  const page = /html/i.test(type ?? "") || /^\s*</.test(start);
  return new Error(
    `${url} is not the wasm: got ${type ?? "no Content-Type"}, starting ${JSON.stringify(start)}` +
      (page
        ? `: ${url.protocol === "file:" ? "the file holds" : "the server answered with"} a page, not the wasm.`
        : ".") +
      ` ${notDeployed(url)}`,
  );
}

const WASM_MAGIC = "\0asm";

function checkWasm(url: URL, type: string | null, bytes: Uint8Array): Uint8Array {
  if (String.fromCharCode(...bytes.subarray(0, 4)) !== WASM_MAGIC) {
    throw notTheWasm(url, type, bytes);
  }
  return bytes;
}

export async function compile(source: WasmSource): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  if (source instanceof ArrayBuffer || source instanceof Uint8Array) {
    return stage("compile", () => WebAssembly.compile(source as BufferSource));
  }
  const url = await stage("locate", () =>
    source instanceof URL ? source : new URL(source, baseUrl()),
  );
  // The bytes, or a response served as wasm (compiled while it streams in).
  const fetched = await stage("fetch", async (): Promise<Uint8Array | Response> => {
    if (url.protocol === "file:") return checkWasm(url, null, await readLocalFile(url));
    let r: Response;
    try {
      r = await fetch(url);
    } catch (e) {
      throw new Error(
        `${url} could not be fetched (${e instanceof Error ? e.message : e}): is the address ` +
          `right, and does the page's Content-Security-Policy allow it (connect-src)?`,
      );
    }
    if (!r.ok) {
      throw new Error(`${url} answered HTTP ${r.status} ${r.statusText}. ${notDeployed(url)}`);
    }
    const type = r.headers.get("content-type");
    if (
      type?.startsWith("application/wasm") &&
      typeof WebAssembly.compileStreaming === "function"
    ) {
      return r;
    }
    return checkWasm(url, type, new Uint8Array(await r.arrayBuffer()));
  });
  return stage("compile", () =>
    fetched instanceof Uint8Array
      ? WebAssembly.compile(fetched as BufferSource)
      : WebAssembly.compileStreaming(fetched),
  );
}
