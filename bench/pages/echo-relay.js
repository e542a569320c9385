// A SharedWorker for bench/many-tabs.mjs: one tab leaves a port to its echo worker here, and
// another tab takes it, to time a bare round trip from one tab to another tab's worker.
let left = null;
onconnect = (e) => {
  const page = e.ports[0];
  page.onmessage = (m) => {
    if (m.data === "take") page.postMessage(null, left ? [left] : []);
    else left = m.ports[0];
  };
};
