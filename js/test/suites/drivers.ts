/**
 * The query builders' drivers (web-sqlite/kysely, web-sqlite/drizzle) on a real schema, with
 * their own APIs: node:test runs the cases in Node on files (js/test/drivers.test.ts; Kysely also
 * over the synchronous API), and a page in Chromium on OPFS (e2e/drivers.test.mjs). A case
 * throws to fail.
 */
import { type Generated, Kysely, sql as ksql } from "kysely";
import { TransactionRollbackError, and, asc, eq as equals, relations, sql } from "drizzle-orm";
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type * as Library from "../../src/index.js";
import type { SyncDatabase } from "../../src/bindings/sync-database.js";
import { WebSqliteDialect } from "../../src/drivers/kysely.js";
import { drizzle } from "../../src/drivers/drizzle.js";
import { eq, ok, rejects } from "./check.js";

export interface DriverContext {
  /** A database of the API under test, for Kysely: the Promise API, or the synchronous one. */
  openForKysely(name: string): Promise<Library.Database | SyncDatabase>;
  /** A database of the Promise API (Drizzle's driver takes only that). */
  open(name: string): Promise<Library.Database>;
  /** The library's SQLiteError class, for instanceof. */
  SQLiteError: typeof Library.SQLiteError;
  /** A database name of the case's own. */
  name(base: string): string;
}

export type DriverCase = [name: string, run: (ctx: DriverContext) => Promise<void>];

interface KyselySchema {
  authors: { id: Generated<number>; name: string };
  books: { id: Generated<number>; author_id: number; title: string; year: number | null };
}

const isSqliteCode = (ctx: DriverContext, code: string) => (e: unknown) =>
  e instanceof ctx.SQLiteError && e.code === code;

export const kyselyCases: DriverCase[] = [
  [
    "Kysely: schema, inserts, joins, transactions, savepoints, streaming and typed errors",
    async (ctx) => {
      const db = new Kysely<KyselySchema>({
        dialect: new WebSqliteDialect({ database: () => ctx.openForKysely(ctx.name("kysely.db")) }),
      });
      await db.schema
        .createTable("authors")
        .addColumn("id", "integer", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull().unique())
        .execute();
      await db.schema
        .createTable("books")
        .addColumn("id", "integer", (c) => c.primaryKey())
        .addColumn("author_id", "integer", (c) => c.notNull().references("authors.id"))
        .addColumn("title", "text", (c) => c.notNull())
        .addColumn("year", "integer")
        .execute();

      const inserted = await db
        .insertInto("authors")
        .values({ name: "Le Guin" })
        .executeTakeFirstOrThrow();
      eq(inserted.insertId, 1n, "insertId");
      eq(inserted.numInsertedOrUpdatedRows, 1n, "numInsertedOrUpdatedRows");
      const tolkien = await db
        .insertInto("authors")
        .values({ name: "Tolkien" })
        .returning(["id", "name"])
        .executeTakeFirstOrThrow();
      eq(tolkien, { id: 2, name: "Tolkien" }, "returning");
      await db
        .insertInto("books")
        .values([
          { author_id: 1, title: "A Wizard of Earthsea", year: 1968 },
          { author_id: 1, title: "The Dispossessed", year: 1974 },
          { author_id: 2, title: "The Hobbit", year: null },
        ])
        .execute();
      const updated = await db
        .updateTable("books")
        .set({ year: 1937 })
        .where("title", "=", "The Hobbit")
        .executeTakeFirst();
      eq(updated.numUpdatedRows, 1n, "numUpdatedRows");
      const joined = await db
        .selectFrom("books")
        .innerJoin("authors", "authors.id", "books.author_id")
        .select(["authors.name", "books.title", "books.year"])
        .orderBy("books.year")
        .execute();
      eq(
        joined,
        [
          { name: "Tolkien", title: "The Hobbit", year: 1937 },
          { name: "Le Guin", title: "A Wizard of Earthsea", year: 1968 },
          { name: "Le Guin", title: "The Dispossessed", year: 1974 },
        ],
        "a join",
      );

      // A transaction that commits, one that rolls back; other queries wait for them.
      const counted = () =>
        db
          .selectFrom("books")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .executeTakeFirstOrThrow();
      let outside: Promise<{ n: number }> | null = null;
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto("books")
          .values({ author_id: 2, title: "The Silmarillion", year: 1977 })
          .execute();
        outside = counted();
        await trx
          .insertInto("books")
          .values({ author_id: 2, title: "Unfinished Tales", year: 1980 })
          .execute();
      });
      eq(await outside, { n: 5 }, "a query outside the transaction waited for its commit");
      eq(await counted(), { n: 5 }, "committed");
      await rejects(
        db.transaction().execute(async (trx) => {
          await trx.deleteFrom("books").execute();
          throw new Error("not today");
        }),
        (e) => (e as Error).message === "not today",
        "the callback's error",
      );
      eq(await counted(), { n: 5 }, "rolled back");

      // Savepoints of a controlled transaction.
      const trx = await db.startTransaction().execute();
      await trx.insertInto("authors").values({ name: "Jemisin" }).execute();
      const sp = await trx.savepoint("before_books").execute();
      await sp
        .insertInto("books")
        .values({ author_id: 3, title: "The Fifth Season", year: 2015 })
        .execute();
      const back = await sp.rollbackToSavepoint("before_books").execute();
      const sp2 = await back.savepoint("again").execute();
      await sp2
        .insertInto("books")
        .values({ author_id: 3, title: "The Obelisk Gate", year: 2016 })
        .execute();
      await (await sp2.releaseSavepoint("again").execute()).commit().execute();
      eq(
        await db.selectFrom("books").select("title").where("author_id", "=", 3).execute(),
        [{ title: "The Obelisk Gate" }],
        "the savepoint rolled back, the other released",
      );

      // Streaming, a chunk of rows per round trip.
      await ksql`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500)
        INSERT INTO books(author_id, title) SELECT 1, 'draft ' || i FROM n`.execute(db);
      let streamed = 0;
      for await (const row of db
        .selectFrom("books")
        .select("title")
        .where("title", "like", "draft %")
        .stream(100)) {
        ok(row.title.startsWith("draft "), "a streamed row");
        streamed++;
      }
      eq(streamed, 2500, "rows streamed");

      // Typed errors; the database stays usable.
      await rejects(
        db.insertInto("authors").values({ name: "Tolkien" }).execute(),
        isSqliteCode(ctx, "SQLITE_CONSTRAINT_UNIQUE"),
        "a UNIQUE violation",
      );
      await rejects(
        ksql`SELECT * FROM nowhere`.execute(db),
        isSqliteCode(ctx, "SQLITE_ERROR"),
        "no such table",
      );
      const tables = await db.introspection.getTables();
      eq(tables.map((t) => t.name).sort(), ["authors", "books"], "the introspector");
      eq(await counted(), { n: 2506 }, "usable after errors");
      await db.destroy();
    },
  ],
];

const authors = sqliteTable("authors", {
  id: integer("id").primaryKey(),
  name: text("name").notNull().unique(),
});
const books = sqliteTable("books", {
  id: integer("id").primaryKey(),
  authorId: integer("author_id").notNull(),
  title: text("title").notNull(),
  year: integer("year"),
});
const authorsRelations = relations(authors, ({ many }) => ({ books: many(books) }));
const booksRelations = relations(books, ({ one }) => ({
  author: one(authors, { fields: [books.authorId], references: [authors.id] }),
}));

export const drizzleCases: DriverCase[] = [
  [
    "Drizzle: inserts, joins, all/get/run/values, transactions, batch, relational queries and typed errors",
    async (ctx) => {
      const client = await ctx.open(ctx.name("drizzle.db"));
      const db = drizzle(client, { schema: { authors, books, authorsRelations, booksRelations } });
      await db.run(sql`CREATE TABLE authors(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)`);
      await db.run(
        sql`CREATE TABLE books(id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL, title TEXT NOT NULL, year INTEGER)`,
      );
      const run = await db
        .insert(authors)
        .values([{ name: "Le Guin" }, { name: "Tolkien" }])
        .run();
      eq(run, { changes: 2, lastInsertRowid: 2 }, "run()");
      const [hobbit] = await db
        .insert(books)
        .values({ authorId: 2, title: "The Hobbit", year: 1937 })
        .returning();
      eq(hobbit, { id: 1, authorId: 2, title: "The Hobbit", year: 1937 }, "returning, typed");
      await db.insert(books).values([
        { authorId: 1, title: "A Wizard of Earthsea", year: 1968 },
        { authorId: 1, title: "The Dispossessed", year: 1974 },
      ]);

      // Both tables have an id: the rows come as arrays, mapped by field, not by name.
      const joined = await db
        .select({ bookId: books.id, authorId: authors.id, title: books.title, name: authors.name })
        .from(books)
        .innerJoin(authors, equals(books.authorId, authors.id))
        .orderBy(asc(books.id))
        .all();
      eq(
        joined,
        [
          { bookId: 1, authorId: 2, title: "The Hobbit", name: "Tolkien" },
          { bookId: 2, authorId: 1, title: "A Wizard of Earthsea", name: "Le Guin" },
          { bookId: 3, authorId: 1, title: "The Dispossessed", name: "Le Guin" },
        ],
        "a join with two id columns",
      );
      const whole = await db
        .select()
        .from(books)
        .innerJoin(authors, equals(books.authorId, authors.id))
        .where(equals(books.id, 1));
      eq(whole, [{ books: hobbit, authors: { id: 2, name: "Tolkien" } }], "whole rows of a join");
      eq(
        await db.select({ title: books.title }).from(books).where(equals(books.id, 2)).get(),
        { title: "A Wizard of Earthsea" },
        "get()",
      );
      eq(
        await db.select().from(books).where(equals(books.id, 99)).get(),
        undefined,
        "get() of nothing",
      );
      eq(
        await db
          .select({ id: books.id, year: books.year })
          .from(books)
          .orderBy(asc(books.id))
          .values(),
        [
          [1, 1937],
          [2, 1968],
          [3, 1974],
        ],
        "values()",
      );
      eq(await db.all(sql`SELECT count(*) AS n FROM books`), [{ n: 3 }], "raw all()");

      // Transactions: commit, rollback (tx.rollback()), a nested one rolled back alone.
      await db.transaction(async (tx) => {
        await tx.insert(books).values({ authorId: 2, title: "The Silmarillion", year: 1977 });
        await tx
          .transaction(async (inner) => {
            await inner.delete(books);
            inner.rollback();
          })
          .catch(() => {});
      });
      eq(
        await db
          .select({ n: sql<number>`count(*)` })
          .from(books)
          .get(),
        { n: 4 },
        "the outer committed, the nested rolled back",
      );
      await rejects(
        db.transaction(async (tx) => {
          await tx.delete(books);
          tx.rollback();
        }),
        (e) => e instanceof TransactionRollbackError,
        "tx.rollback()",
      );
      eq((await db.select().from(books)).length, 4, "rolled back");

      // batch(): one round trip, all or nothing.
      const [added, listed] = await db.batch([
        db.insert(authors).values({ name: "Jemisin" }).returning({ id: authors.id }),
        db.select({ name: authors.name }).from(authors).orderBy(asc(authors.id)),
      ]);
      eq(added, [{ id: 3 }], "batch: returning");
      eq(listed, [{ name: "Le Guin" }, { name: "Tolkien" }, { name: "Jemisin" }], "batch: select");
      await rejects(
        db.batch([
          db.insert(books).values({ authorId: 3, title: "The Fifth Season", year: 2015 }),
          db.insert(authors).values({ name: "Jemisin" }),
        ]),
        () => true,
        "a batch with a failing item",
      );
      eq(
        await db.select().from(books).where(equals(books.authorId, 3)),
        [],
        "nothing of the failed batch",
      );

      // Relational queries.
      const withBooks = await db.query.authors.findMany({
        with: { books: { columns: { title: true }, orderBy: (b, { asc: up }) => [up(b.year)] } },
        where: (a, { eq: is }) => is(a.name, "Le Guin"),
      });
      eq(
        withBooks,
        [
          {
            id: 1,
            name: "Le Guin",
            books: [{ title: "A Wizard of Earthsea" }, { title: "The Dispossessed" }],
          },
        ],
        "findMany with books",
      );

      // Typed errors: Drizzle's DrizzleQueryError, web-sqlite's SQLiteError as its cause.
      const failed = (await rejects(
        db.insert(authors).values({ name: "Tolkien" }),
        (e) => isSqliteCode(ctx, "SQLITE_CONSTRAINT_UNIQUE")((e as Error).cause),
        "a UNIQUE violation",
      )) as Error;
      ok(/insert into "authors"/.test(failed.message), failed.message);
      eq(
        await db
          .select({ n: sql<number>`count(*)` })
          .from(authors)
          .where(and(equals(authors.id, 2), equals(authors.name, "Tolkien")))
          .get(),
        { n: 1 },
        "usable after",
      );
      await client.close();
    },
  ],
];
