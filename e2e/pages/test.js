// Exposes the library to the tests, which drive it with page.evaluate().
import * as wsq from "../../js/dist/web/index.js";

window.wsq = wsq;
