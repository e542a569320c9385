// The library with a default storage of a test's choice: its calls that take a storage option
// (open, importDatabase, deleteDatabase, listDatabases) use it unless told otherwise.
export function inStorage(library, storage) {
  const withStorage = (options = {}) => ({ storage, ...options });
  return {
    ...library,
    open: (name, options) => library.open(name, withStorage(options)),
    importDatabase: (name, source, options) =>
      library.importDatabase(name, source, withStorage(options)),
    deleteDatabase: (name, options) => library.deleteDatabase(name, withStorage(options)),
    listDatabases: (options) => library.listDatabases(withStorage(options)),
  };
}
