// The classic SQLite speed suite (sqlite.org/speed.html), 16 tests, generated here: deterministic
// (a fixed linear congruential sequence) with numbers spelled out as words in the text column.
// scale 1 is the full size; the smoke run of `make test` uses a small fraction.

const ONES = [
  "zero",
  "one",
  "two",
  "three",
  "four",
  "five",
  "six",
  "seven",
  "eight",
  "nine",
  "ten",
  "eleven",
  "twelve",
  "thirteen",
  "fourteen",
  "fifteen",
  "sixteen",
  "seventeen",
  "eighteen",
  "nineteen",
];
const TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];

/** 123456 -> "one hundred twenty three thousand four hundred fifty six". */
export function words(n) {
  if (n < 20) return ONES[n];
  if (n < 100) return TENS[Math.floor(n / 10)] + (n % 10 ? ` ${ONES[n % 10]}` : "");
  if (n < 1000) {
    return `${ONES[Math.floor(n / 100)]} hundred${n % 100 ? ` ${words(n % 100)}` : ""}`;
  }
  if (n < 1_000_000) {
    return `${words(Math.floor(n / 1000))} thousand${n % 1000 ? ` ${words(n % 1000)}` : ""}`;
  }
  return `${words(Math.floor(n / 1_000_000))} million${n % 1_000_000 ? ` ${words(n % 1_000_000)}` : ""}`;
}

function random(seed) {
  let x = seed >>> 0;
  return (limit) => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x % limit;
  };
}

/** The 16 tests: [{ name, sql }], each one script. */
export function speedSuite(scale = 1) {
  const n = (count) => Math.max(1, Math.round(count * scale));
  const rnd = random(20261124);
  const row = (i) => {
    const b = rnd(100000);
    return `(${i},${b},'${words(b)}')`;
  };
  const tests = [];
  const add = (name, lines) => tests.push({ name, sql: lines.join("\n") });

  const t1 = ["CREATE TABLE t1(a INTEGER, b INTEGER, c VARCHAR(100));"];
  for (let i = 1; i <= n(1000); i++) t1.push(`INSERT INTO t1 VALUES${row(i)};`);
  add(`${n(1000)} INSERTs, each in its own transaction`, t1);

  const t2 = ["BEGIN;", "CREATE TABLE t2(a INTEGER, b INTEGER, c VARCHAR(100));"];
  for (let i = 1; i <= n(25000); i++) t2.push(`INSERT INTO t2 VALUES${row(i)};`);
  add(`${n(25000)} INSERTs in one transaction`, [...t2, "COMMIT;"]);

  const t3 = [
    "BEGIN;",
    "CREATE TABLE t3(a INTEGER, b INTEGER, c VARCHAR(100));",
    "CREATE INDEX i3 ON t3(c);",
  ];
  for (let i = 1; i <= n(25000); i++) t3.push(`INSERT INTO t3 VALUES${row(i)};`);
  add(`${n(25000)} INSERTs into an indexed table`, [...t3, "COMMIT;"]);

  const t4 = ["BEGIN;"];
  for (let i = 0; i < n(100); i++) {
    t4.push(`SELECT count(*), avg(b) FROM t2 WHERE b>=${i * 100} AND b<${i * 100 + 1000};`);
  }
  add(`${n(100)} SELECTs without an index`, [...t4, "COMMIT;"]);

  const t5 = ["BEGIN;"];
  for (let i = 1; i <= n(100); i++)
    t5.push(`SELECT count(*), avg(b) FROM t2 WHERE c LIKE '%${words(i)}%';`);
  add(`${n(100)} SELECTs on a string comparison`, [...t5, "COMMIT;"]);

  add("CREATE INDEX", ["CREATE INDEX i2a ON t2(a);", "CREATE INDEX i2b ON t2(b);"]);

  const t7 = [];
  for (let i = 0; i < n(5000); i++) {
    t7.push(`SELECT count(*), avg(b) FROM t2 WHERE b>=${i * 100} AND b<${i * 100 + 100};`);
  }
  add(`${n(5000)} SELECTs with an index`, t7);

  const t8 = ["BEGIN;"];
  for (let i = 0; i < n(1000); i++)
    t8.push(`UPDATE t1 SET b=b*2 WHERE a>=${i * 10} AND a<${i * 10 + 10};`);
  add(`${n(1000)} UPDATEs without an index`, [...t8, "COMMIT;"]);

  const t9 = ["BEGIN;"];
  for (let i = 1; i <= n(25000); i++) t9.push(`UPDATE t2 SET b=${rnd(500000)} WHERE a=${i};`);
  add(`${n(25000)} UPDATEs with an index`, [...t9, "COMMIT;"]);

  const t10 = ["BEGIN;"];
  for (let i = 1; i <= n(25000); i++)
    t10.push(`UPDATE t2 SET c='${words(rnd(500000))}' WHERE a=${i};`);
  add(`${n(25000)} text UPDATEs with an index`, [...t10, "COMMIT;"]);

  add("INSERTs from a SELECT", [
    "BEGIN;",
    "INSERT INTO t1 SELECT b,a,c FROM t2;",
    "INSERT INTO t2 SELECT b,a,c FROM t1;",
    "COMMIT;",
  ]);
  add("DELETE without an index", ["DELETE FROM t2 WHERE c LIKE '%fifty%';"]);
  add("DELETE with an index", [`DELETE FROM t2 WHERE a>10 AND a<${n(20000)};`]);
  add("A big INSERT after a big DELETE", ["INSERT INTO t2 SELECT * FROM t1;"]);

  const t15 = ["BEGIN;", "DELETE FROM t1;"];
  for (let i = 1; i <= n(12000); i++) t15.push(`INSERT INTO t1 VALUES${row(i)};`);
  add(`A big DELETE followed by ${n(12000)} small INSERTs`, [...t15, "COMMIT;"]);

  add("DROP TABLE", ["DROP TABLE t1;", "DROP TABLE t2;", "DROP TABLE t3;"]);
  return tests;
}
