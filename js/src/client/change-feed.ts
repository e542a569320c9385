/**
 * The page's one feed of commits (db.onChange, db.watch) and of sync news (db.sync): what every worker of the origin posts
 * on the changes channel for a persistent database (any tab may have it open), and what the
 * page's own workers tell it of the others (memory databases; in Node, all of them). Each worker
 * posts a commit on one of the two, so each arrives once.
 */
import { isNode } from "../platform.js";
import {
  CHANGES_CHANNEL,
  type Changes,
  type FeedMessage,
  type SyncNotice,
} from "../worker/protocol.js";
import { callSafely } from "./worker-client.js";

const listeners = new Set<(changes: Changes) => void>();
const syncListeners = new Set<(notice: SyncNotice) => void>();
let channel: BroadcastChannel | null = null;

/** Hands a message of the feed to its listeners (a worker's event, or the channel's message). */
export function tellChanges(message: FeedMessage): void {
  if ("sync" in message) for (const listener of syncListeners) callSafely(listener, message);
  else for (const listener of listeners) callSafely(listener, message);
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
  channel.onmessage = (e) => tellChanges(e.data as FeedMessage);
}

/** Calls listener with every commit the page hears of; returns the function that stops it. */
export function onChanges(listener: (changes: Changes) => void): () => void {
  listeners.add(listener);
  return () => void listeners.delete(listener);
}

/** Calls listener with every notice of a sync engine the page hears of; returns its stop. */
export function onSyncNotices(listener: (notice: SyncNotice) => void): () => void {
  syncListeners.add(listener);
  return () => void syncListeners.delete(listener);
}
