// The GraphQL-over-HTTP audit of the `graphql-http` package against a live /graphql.
// Usage: node scripts/audit_graphql.cjs http://127.0.0.1:8102/graphql (make audit-graphql).
// Prints one line per audit and a summary; exits 1 when any audit is not ok.
const { auditServer } = require("graphql-http");

async function main() {
  const url = process.argv[2] || "http://127.0.0.1:8000/graphql";
  const results = await auditServer({ url });
  const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
  for (const result of results) {
    counts[result.status] += 1;
    const detail = result.status === "ok" ? "" : ` — ${result.reason}`;
    console.log(`${result.status.padEnd(5)} ${result.id} ${result.name}${detail}`);
  }
  console.log(
    `${counts.ok} ok, ${counts.notice} notice, ${counts.warn} warn, ${counts.error} error`,
  );
  process.exit(counts.ok === results.length ? 0 : 1);
}

main().catch((error) => {
  console.error(error);
  process.exit(2);
});
