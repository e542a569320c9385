/** Whether this code runs in Node.js (workers, files) rather than a browser. */
export const isNode = typeof process !== "undefined" && typeof process.versions?.node === "string";
