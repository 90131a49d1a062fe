// The package as published: its types are what docs/openapi.json says
// today, and it packs small with everything its exports name.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";

// build-test/test → the package's directory.
const root = join(import.meta.dirname, "..", "..");

describe("the package", () => {
  it("src/schema.ts is what openapi-typescript makes of docs/openapi.json now (npm run generate)", () => {
    const dir = mkdtempSync(join(tmpdir(), "auth-client-schema-"));
    try {
      const fresh = join(dir, "schema.ts");
      // The CLI `npm run generate` runs, wherever npm installed it.
      const cli = join(dirname(createRequire(import.meta.url).resolve("openapi-typescript/package.json")), "bin", "cli.js");
      execFileSync(process.execPath, [cli, "../../docs/openapi.json", "--empty-objects-unknown", "-o", fresh], {
        cwd: root,
        stdio: "pipe",
      });
      const committed = readFileSync(join(root, "src", "schema.ts"), "utf8");
      assert.ok(committed === readFileSync(fresh, "utf8"), "src/schema.ts differs from docs/openapi.json: run `npm run generate` in clients/typescript");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("npm pack: under 100 KB, with the ESM and .d.ts of both exports", () => {
    const [pack] = JSON.parse(execFileSync("npm", ["pack", "--dry-run", "--json"], { cwd: root, encoding: "utf8" })) as {
      size: number;
      files: { path: string }[];
    }[];
    assert.ok(pack);
    const files = pack.files.map((f) => f.path).sort();
    for (const file of ["dist/index.js", "dist/index.d.ts", "dist/react.js", "dist/react.d.ts", "dist/schema.d.ts", "README.md", "package.json"]) {
      assert.ok(files.includes(file), `${file} is not in the tarball`);
    }
    assert.ok(!files.some((f) => f.startsWith("src/") || f.startsWith("test/") || f.startsWith("build-test/")), files.join(", "));
    assert.ok(pack.size < 100 * 1024, `the tarball is ${pack.size} bytes`);
    console.log(`  tarball: ${(pack.size / 1024).toFixed(1)} KB, ${files.length} files`);
  });

  it("exports: `.` and `./react`, ESM with types", () => {
    const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as Record<string, unknown>;
    const api = JSON.parse(readFileSync(join(root, "..", "..", "docs", "openapi.json"), "utf8")) as { info: { version: string } };
    assert.equal(manifest.type, "module");
    assert.equal(manifest.private, false);
    assert.equal(manifest.version, api.info.version, "the package is versioned with the API");
    assert.deepEqual(Object.keys(manifest.exports as object).sort(), [".", "./package.json", "./react"]);
  });
});
