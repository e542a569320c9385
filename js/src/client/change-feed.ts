/**
 * The page's one feed of commits (db.onChange, db.watch): what every worker of the origin posts
 * on the changes channel for a persistent database (any tab may have it open), and what the
 * page's own workers tell it of the others (memory databases; in Node, all of them). Each worker
 * posts a commit on one of the two, so each arrives once.
 */
import { isNode } from "../platform.js";
import { CHANGES_CHANNEL, type Changes } from "../worker/protocol.js";
import { callSafely } from "./worker-client.js";

const listeners = new Set<(changes: Changes) => void>();
let channel: BroadcastChannel | null = null;

/** Hands changes to every listener (a worker's event, or the channel's message). */
export function tellChanges(changes: Changes): void {
  for (const listener of listeners) callSafely(listener, changes);
}

/**
 * Starts hearing the changes channel, before the page's first database opens: a channel made
 * later could miss a commit posted meanwhile (a new BroadcastChannel takes a moment to be
 * reached). In Node every commit comes from the worker: no channel, which would keep the
 * process alive.
 */
export function hearChanges(): void {
  if (channel || isNode) return;
  channel = new BroadcastChannel(CHANGES_CHANNEL);
  channel.onmessage = (e) => tellChanges(e.data as Changes);
}

/** Calls listener with every commit the page hears of; returns the function that stops it. */
export function onChanges(listener: (changes: Changes) => void): () => void {
  listeners.add(listener);
  return () => void listeners.delete(listener);
}
