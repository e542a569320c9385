/**
 * The Web Locks of sharing databases between tabs, by name, in a module of their own so that
 * the broker's script stays tiny.
 */

/** The Web Lock of a database: held by the worker that has its files. */
export function databaseLock(name: string): string {
  return `web-sqlite:db:${name}`;
}

/** The Web Lock the broker holds for as long as it lives: the pages watch it. */
export const BROKER_LOCK = "web-sqlite:broker";

/** The Web Lock a page holds for as long as it lives: its holders watch it. */
export function clientLock(client: string): string {
  return `web-sqlite:client:${client}`;
}
