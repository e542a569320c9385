// Exposes the library to the tests, which drive it with page.evaluate(); with ?storage=, in that
// storage (window.testStorage) unless a call names another.
import * as library from "../../js/dist/web/index.js";
import { inStorage } from "./in-storage.js";

window.testStorage = new URLSearchParams(location.search).get("storage");
window.wsq = window.testStorage ? inStorage(library, window.testStorage) : library;
