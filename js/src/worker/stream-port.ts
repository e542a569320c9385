/**
 * A ReadableStream of bytes carried over a MessagePort, for importDatabase: the page keeps the
 * stream and answers the worker's pulls with one chunk each, its buffer transferred. Works where
 * a ReadableStream cannot be transferred itself (WebKit, Safari), and keeps back-pressure: the
 * page reads from the stream only when the worker asks, at most CHUNKS_AHEAD chunks ahead of
 * what the worker has written.
 */

/** What the page answers a pull with. */
type Answer = { chunk: unknown } | { done: true } | { error: string };

/** How many chunks the worker asks for before it needs them (the stream's high-water mark). */
const CHUNKS_AHEAD = 4;

/** The page's side: serves stream's chunks on the port it returns (transfer that to the worker). */
export function portOfStream(stream: ReadableStream<Uint8Array>): MessagePort {
  const { port1, port2 } = new MessageChannel();
  const reader = stream.getReader();
  let pulls = Promise.resolve();
  port1.onmessage = (e: MessageEvent) => {
    if (e.data === "cancel") {
      void reader.cancel().catch(() => {});
      port1.close();
      return;
    }
    // One read at a time, in the order of the pulls.
    pulls = pulls.then(async () => {
      let answer: Answer;
      let transfer: Transferable[] = [];
      try {
        const { done, value } = await reader.read();
        if (done) {
          answer = { done: true };
        } else if (value instanceof Uint8Array) {
          const chunk = value.byteLength === value.buffer.byteLength ? value : value.slice();
          answer = { chunk };
          transfer = [chunk.buffer as ArrayBuffer];
        } else {
          answer = { chunk: null }; // the worker says what a chunk must be
        }
      } catch (err) {
        answer = { error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
      }
      port1.postMessage(answer, transfer);
      if (!("chunk" in answer)) port1.close();
    });
  };
  return port2;
}

/** The worker's side: the stream the page serves on port. */
export function streamOfPort(port: MessagePort): ReadableStream<Uint8Array> {
  const waiting: ((answer: Answer) => void)[] = [];
  port.onmessage = (e: MessageEvent) => waiting.shift()?.(e.data as Answer);
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const answer = await new Promise<Answer>((resolve) => {
          waiting.push(resolve);
          port.postMessage("pull");
        });
        if ("chunk" in answer) {
          controller.enqueue(answer.chunk as Uint8Array);
        } else {
          port.close();
          if ("done" in answer) controller.close();
          else controller.error(new Error(`importDatabase: the stream failed: ${answer.error}`));
        }
      },
      cancel() {
        port.postMessage("cancel");
        port.close();
      },
    },
    { highWaterMark: CHUNKS_AHEAD },
  );
}
