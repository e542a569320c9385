// Node-only pieces for the synchronous bindings: the host-file seam over node:fs.
export { NodeFileSystem } from "./runtime/hosts/node-fs.js";
export { NodeStore } from "./runtime/hosts/node-fs.js";
