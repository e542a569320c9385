// Entry of web-sqlite.wasm. The module is a WASI reactor: it has no main(); the host calls the
// generated _initialize() once (static constructors), then wsq_init(), then the wsq_* API.
// Everything exported is defined in exports.cc, linked whole.
