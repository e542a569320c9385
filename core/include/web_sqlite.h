/*
 * web_sqlite.h: the C ABI of the web-sqlite core, and the only interface the wasm module exports.
 *
 * Conventions:
 *  - Names are wsq_<noun>_<verb>. Every function returns a status: SQLITE_OK (0), SQLITE_ROW (100),
 *    SQLITE_DONE (101) or an extended SQLite error code.
 *  - Connections and statements are small integer handles, never pointers: a stale or invented
 *    handle is reported as SQLITE_MISUSE, it cannot reach freed memory.
 *  - Inputs (SQL text, paths, parameter buffers) are (pointer, length) pairs; the host usually
 *    writes them into the scratch buffer from wsq_scratch().
 *  - Outputs go to the single response record returned by wsq_last_response(): a result buffer on
 *    success, an error record on failure (layouts in docs/FORMAT.md). The bytes stay valid until
 *    the next call into this API; the host copies them out before making another call. A call
 *    that fails on a connection or one of its statements says in the error record whether the
 *    connection is in autocommit mode afterwards (SQLite rolls back a transaction after some
 *    errors), so the host needs no second call to find out.
 *
 * The header is valid C11 (core/test/c_abi_test.c checks it).
 */
#ifndef WEB_SQLITE_H_
#define WEB_SQLITE_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A connection handle (0 is never a valid handle).
typedef uint32_t wsq_conn;
/// A statement handle (0 is never a valid handle).
typedef uint32_t wsq_stmt;
/// A session handle: the changes a connection makes, being recorded (0 is never a valid handle).
typedef uint32_t wsq_session;

/// What the last call produced. On wasm32 the layout is {i32 status, u32 data, u32 len}.
typedef struct wsq_response {
  int32_t status;       /// SQLITE_OK, SQLITE_ROW, SQLITE_DONE or an extended error code
  const uint8_t* data;  /// a result buffer (status OK/ROW/DONE) or an error record (otherwise)
  size_t len;           /// length of data in bytes
} wsq_response;

/// SQLite's hard heap limit from wsq_init on, in bytes (1 GiB): an allocation beyond it fails at
/// once with SQLITE_NOMEM. `PRAGMA hard_heap_limit = N` lowers it.
#define WSQ_DEFAULT_HEAP_LIMIT 1073741824

/// Value tags of parameter and result buffers.
enum wsq_value_tag {
  WSQ_TAG_NULL = 0,   /// no payload
  WSQ_TAG_INT32 = 1,  /// 4 bytes, little-endian two's complement
  WSQ_TAG_INT64 = 2,  /// 8 bytes, little-endian two's complement
  WSQ_TAG_FLOAT = 3,  /// 8 bytes, IEEE-754 double, little-endian
  WSQ_TAG_TEXT = 4,   /// u32 byte length, then UTF-8 bytes (may contain NUL)
  WSQ_TAG_BLOB = 5    /// u32 byte length, then the bytes
};

/// Parameter buffer kinds (first byte of a parameter buffer).
enum wsq_params_kind {
  WSQ_PARAMS_POSITIONAL = 0,  /// values bind to ?1, ?2, ... in order
  WSQ_PARAMS_NAMED = 1        /// each value carries a name: "id" binds :id, @id or $id
};

/// Error record flags.
enum wsq_error_flags {
  WSQ_ERROR_AUTOCOMMIT = 1  /// the call ran on a connection that is in autocommit mode afterwards
};

/// Magic numbers that open each buffer kind, as little-endian u32.
enum wsq_magic {
  WSQ_MAGIC_RESULT = 0x31515357,  /// "WSQ1"
  WSQ_MAGIC_ERROR = 0x45515357,   /// "WSQE"
  WSQ_MAGIC_COLUMNS = 0x43515357  /// "WSQC"
};

/// Result buffer header flags.
enum wsq_result_flags {
  WSQ_RESULT_MORE = 1,       /// the statement has more rows (wsq_stmt_step stopped at max_rows)
  WSQ_RESULT_NAMES = 2,      /// column names follow the header
  WSQ_RESULT_AUTOCOMMIT = 4  /// wsq_conn_state: the connection is in autocommit mode
};

/// Flags for wsq_exec and wsq_stmt_run.
enum wsq_run_flags {
  WSQ_RUN_ROWS = 1,      /// encode the rows; otherwise only changes and the last insert rowid
  WSQ_RUN_FIRST_ROW = 2  /// wsq_stmt_run: stop after the first row (with WSQ_RUN_ROWS: encode it)
};

/// Flags for wsq_prepare.
enum wsq_prepare_flags {
  WSQ_PREPARE_PERSISTENT = 1  /// the statement will be kept and reused (SQLITE_PREPARE_PERSISTENT)
};

/// Flags for wsq_create_function.
enum wsq_function_flags {
  WSQ_FUNCTION_DETERMINISTIC = 1,  /// same arguments, same result (SQLITE_DETERMINISTIC)
  WSQ_FUNCTION_INNOCUOUS = 2,      /// safe in schema, views and triggers (SQLITE_INNOCUOUS)
  WSQ_FUNCTION_DIRECT_ONLY = 4,    /// only in top-level SQL (SQLITE_DIRECTONLY)
  WSQ_FUNCTION_AGGREGATE = 8       /// an aggregate: step per row, final per group
};

/// What wsq_changeset_apply does with a change that conflicts with the database.
enum wsq_conflict_policy {
  WSQ_CONFLICT_OMIT = 0,     /// leave the change out (a constraint it breaks too); the rest apply
  WSQ_CONFLICT_REPLACE = 1,  /// the changeset's row wins over the row there; a change to a row
                             /// that is gone is left out; a constraint or foreign key aborts
  WSQ_CONFLICT_ABORT = 2     /// any conflict fails the call (SQLITE_ABORT): nothing is applied
};

/// What a call of the host's function import is for.
enum wsq_function_call { WSQ_CALL_SCALAR = 0, WSQ_CALL_STEP = 1, WSQ_CALL_FINAL = 2 };

/// Initializes SQLite and registers the VFSes. Call once, before anything else.
int32_t wsq_init(void);
/// The response record of the last call.
const wsq_response* wsq_last_response(void);
/// The layout of wsq_response in this build, as the compiler laid it out: the byte offsets of
/// status, data and len, then its size. The host reads the record through these.
const uint32_t* wsq_response_layout(void);
/// Where the host writes the deadline of the calls it makes next, in milliseconds since the Unix
/// epoch on the host's clock (0, the initial value: none). A statement run by a call on a
/// connection or statement that is still running then stops with SQLITE_INTERRUPT. Writing it
/// is not a call: a request with a deadline stays one call.
double* wsq_deadline_slot(void);
/// A scratch input buffer of at least n bytes, valid until the next wsq_scratch call (or NULL).
uint8_t* wsq_scratch(size_t n);
/// Allocates n bytes the host may keep across calls (NULL when memory is exhausted).
void* wsq_alloc(size_t n);
/// Frees memory from wsq_alloc.
void wsq_free(void* p);
/// The SQLite version string, NUL-terminated.
const char* wsq_sqlite_version(void);
/// The symbolic name of a (possibly extended) result code, e.g. "SQLITE_CONSTRAINT_UNIQUE".
const char* wsq_code_name(int32_t code);

/// What the bytes of a key are (wsq_open, wsq_rekey).
enum wsq_key_kind {
  WSQ_KEY_NONE = 0,        /// no key: a database that is not encrypted (rekey: decrypts)
  WSQ_KEY_PASSPHRASE = 1,  /// a passphrase (UTF-8), through the cipher's key derivation
  WSQ_KEY_RAW = 2          /// the 32 bytes of the key itself
};

/// Result codes of keys, extended codes of SQLITE_NOTADB (the file cannot be read as it is).
enum wsq_key_result {
  WSQ_KEY_WRONG = 26 | (101 << 8),      /// the key does not decrypt the database
  WSQ_KEY_REQUIRED = 26 | (102 << 8),   /// the database is encrypted and no key was given
  WSQ_NOT_ENCRYPTED = 26 | (103 << 8),  /// a key was given for a database that is not encrypted
  WSQ_NO_CIPHER = 26 | (104 << 8)       /// a key was given to a build without encryption
};

/// Opens a connection. flags are SQLITE_OPEN_* bits; vfs names a VFS ("" for the default). With
/// a key (key_kind not WSQ_KEY_NONE) the database is encrypted, or created encrypted; the key is
/// proven before the call returns (WSQ_KEY_WRONG), and a database that is encrypted cannot be
/// opened without one (WSQ_KEY_REQUIRED). On success *out holds the handle; on failure the
/// response holds the error.
int32_t wsq_open(const char* path, size_t path_len, int32_t flags, const char* vfs, size_t vfs_len,
                 const uint8_t* key, size_t key_len, int32_t key_kind, wsq_conn* out);
/// Changes the key of the connection's main database, in one transaction: a key encrypts a
/// database that is not, WSQ_KEY_NONE decrypts one. WSQ_NO_CIPHER in a build without encryption.
int32_t wsq_rekey(wsq_conn conn, const uint8_t* key, size_t key_len, int32_t key_kind);
/// 1 in the encryption build (web-sqlite-cipher.wasm), 0 in the other.
int32_t wsq_has_cipher(void);

/// What the first bytes of a database file say it is (wsq_file_kind).
enum wsq_file_kind {
  WSQ_FILE_OTHER = 0,     /// neither (or fewer than 24 bytes)
  WSQ_FILE_PLAIN = 1,     /// a SQLite database ("SQLite format 3")
  WSQ_FILE_ENCRYPTED = 2  /// a database in the cipher's format (docs/FORMAT.md)
};
/// The kind of database file whose first len bytes are header (at least 24 to tell); returned
/// directly.
int32_t wsq_file_kind(const uint8_t* header, size_t len);
/// Closes a connection, finalizing its statements first.
int32_t wsq_close(wsq_conn conn);
/// Sets the busy timeout in milliseconds.
int32_t wsq_busy_timeout(wsq_conn conn, int32_t ms);
/// Runs every statement of a script in order. Parameters (may be empty) bind to the first statement
/// that has parameters; a later statement with parameters is an error. With WSQ_RUN_ROWS the result
/// holds the rows of the last statement that returned columns.
int32_t wsq_exec(wsq_conn conn, const char* sql, size_t sql_len, const uint8_t* params,
                 size_t params_len, int32_t flags);
/// Flags for wsq_export.
enum wsq_export_flag {
  WSQ_EXPORT_PAGES = 1  /// the pages as SQLite reads them: an encrypted database's decrypted
};

/// Writes the main database file's bytes to the response (valid until the next call): the file
/// as it is (an encrypted database's encrypted), or with WSQ_EXPORT_PAGES its pages as SQLite
/// reads them. Fails with SQLITE_MISUSE inside a transaction.
int32_t wsq_export(wsq_conn conn, int32_t flags);
/// Registers a function implemented by the host. Each call reaches the host's import
/// env.wsq_host_function(id, call, group, args, args_len, ctx): args is a result buffer of one row
/// (the arguments), group identifies the aggregate group (0 for scalars, and for a final call on
/// an empty group). The host answers with wsq_function_result or wsq_function_error (a step needs
/// no answer; an unanswered scalar or final call returns NULL).
int32_t wsq_create_function(wsq_conn conn, const char* name, size_t name_len, int32_t n_args,
                            int32_t flags, uint32_t id);
/// Sets the result of a host function call from a parameter buffer of exactly one value.
int32_t wsq_function_result(void* ctx, const uint8_t* params, size_t params_len);
/// Makes a host function call fail with message (UTF-8).
void wsq_function_error(void* ctx, const char* message, size_t len);
/// Writes the I/O counters of the connection's main database (its files on the host VFS) to the
/// response as a one-row result: reads, readBytes, writes, writeBytes, syncs, truncates, readMs,
/// writeMs, syncMs, truncateMs. Zeros for databases not on the host VFS.
int32_t wsq_conn_stats(wsq_conn conn);
/// Runs the self-test of a VFS ("" for the default) with a scratch file at path; the response is
/// a result with one row per step (step, ok, ms, detail). Returns SQLITE_OK when every step passed,
/// SQLITE_ERROR otherwise (the report is in the response either way).
int32_t wsq_self_test(const char* vfs, size_t vfs_len, const char* path, size_t path_len);
/// Writes the connection's state to the response as a result buffer without columns: changes()
/// and last_insert_rowid() of the connection, WSQ_RESULT_AUTOCOMMIT when no transaction is open.
int32_t wsq_conn_state(wsq_conn conn);

/// Flags for wsq_conn_flags.
enum wsq_conn_flag {
  WSQ_CONN_IN_TRANSACTION = 1,  /// a transaction is open (the connection is not in autocommit)
  WSQ_CONN_CHANGES = 2          /// committed changes wait for wsq_conn_changes
};

/// The connection's wsq_conn_flag bits, returned directly (no response): a cheap question asked
/// after every request when tabs share the database. -1 when conn is not open.
int32_t wsq_conn_flags(wsq_conn conn);

/// Turns the connection's change capture on (the default) or off. The SQL function
/// wsq_sync_txn(), which the triggers of synced tables call (sync with PostgreSQL), returns the
/// id of the open transaction (the same for every call in one transaction, a new one in the
/// next; positive, below 2^53) while capture is on, and NULL while it is off: the sync engine
/// turns it off on its own connection while it applies the server's changes. Returns directly:
/// 0, or -1 when conn is not open.
int32_t wsq_conn_capture(wsq_conn conn, int32_t on);

/// Writes to the response the names of the tables that transactions committed on the connection
/// since the last call changed, each followed by a NUL byte ("schema.table" for attached
/// databases; temp tables are left out); the response is empty when none did.
int32_t wsq_conn_changes(wsq_conn conn);

/// Writes to the response the names of the tables the first statement of sql reads, as
/// wsq_conn_changes names them (through views, subqueries and CTEs; a virtual table with its
/// shadow tables), each followed by a NUL byte. The statement is prepared, never run.
int32_t wsq_tables_read(wsq_conn conn, const char* sql, size_t sql_len);

/// Starts recording every change made through conn to the tables of its main database (SQLite's
/// session extension; tables without a PRIMARY KEY by rowid). *out is the session's handle.
int32_t wsq_session_start(wsq_conn conn, wsq_session* out);
/// Writes the changes recorded so far to the response as a changeset (empty when none); with
/// end set, the session ends too (its handle becomes invalid) whatever the outcome.
int32_t wsq_session_changeset(wsq_session session, int32_t end);
/// Applies a changeset to conn's main database, all or nothing, with a wsq_conflict_policy. The
/// response is a one-row result: conflicts (the changes omitted or replaced). A table the
/// database lacks (or with fewer columns) is SQLITE_SCHEMA, an abort SQLITE_ABORT naming the
/// conflict, damaged bytes SQLITE_CORRUPT; in each case nothing was applied.
int32_t wsq_changeset_apply(wsq_conn conn, const uint8_t* data, size_t len, int32_t policy);
/// Writes the changeset that undoes data to the response.
int32_t wsq_changeset_invert(const uint8_t* data, size_t len);

/// Prepares the first statement of sql. *out is 0 when sql holds no statement (only comments or
/// white space); *tail is the byte offset of the rest of the text. The response holds the
/// statement's columns (as wsq_stmt_columns writes them).
int32_t wsq_prepare(wsq_conn conn, const char* sql, size_t sql_len, int32_t flags, wsq_stmt* out,
                    uint32_t* tail);
/// Prepares the first statement of sql, binds params (may be empty) and steps it up to max_rows
/// times: the response is a result with the column names and those rows. When the statement has
/// more rows (WSQ_RESULT_MORE), *out is its handle, to step on with wsq_stmt_step and finalize;
/// otherwise *out is 0 and the statement is already finalized. SQL without a statement is
/// SQLITE_MISUSE.
int32_t wsq_cursor_open(wsq_conn conn, const char* sql, size_t sql_len, const uint8_t* params,
                        size_t params_len, uint32_t max_rows, wsq_stmt* out);
/// Binds a parameter buffer (copied: the buffer may be reused after the call).
int32_t wsq_stmt_bind(wsq_stmt stmt, const uint8_t* params, size_t params_len);
/// Binds a buffer holding exactly one value, leaving the other parameters as they are: a named
/// value binds to its parameter, a positional one to index (1-based). Resets the statement.
int32_t wsq_stmt_bind_one(wsq_stmt stmt, const uint8_t* params, size_t params_len, int32_t index);
/// Steps up to max_rows times (max_rows >= 1) and encodes the rows read. Returns SQLITE_ROW when
/// the statement has more rows (WSQ_RESULT_MORE is set too) and SQLITE_DONE when it finished.
int32_t wsq_stmt_step(wsq_stmt stmt, uint32_t max_rows);
/// Binds (when params_len > 0), runs to completion (with WSQ_RUN_FIRST_ROW: to the first row) and
/// resets: one call per execution.
int32_t wsq_stmt_run(wsq_stmt stmt, const uint8_t* params, size_t params_len, int32_t flags);
/// Writes the column names and declared types to the response (docs/FORMAT.md, "columns").
int32_t wsq_stmt_columns(wsq_stmt stmt);
/// Resets the statement so it can run again; bindings are kept.
int32_t wsq_stmt_reset(wsq_stmt stmt);
/// Sets every parameter back to NULL.
int32_t wsq_stmt_clear_bindings(wsq_stmt stmt);
/// Finalizes the statement; its handle becomes invalid.
int32_t wsq_stmt_finalize(wsq_stmt stmt);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // WEB_SQLITE_H_
