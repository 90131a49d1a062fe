// The bundle sizes, minified and gzipped: the client as an app would
// bundle it (openapi-fetch included, React not), and the demo as built.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { build } from "vite";

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
const line = (name, code) => `  ${name}: ${kb(Buffer.byteLength(code))} minified, ${kb(gzipSync(code).length)} gzipped`;

async function bundle(entry) {
  const [output] = [].concat(
    await build({
      configFile: false,
      logLevel: "silent",
      build: {
        write: false,
        minify: true,
        lib: { entry, formats: ["es"], fileName: "bundle" },
        rolldownOptions: { external: ["react", "react/jsx-runtime"] },
      },
    }),
  );
  return output.output.filter((chunk) => chunk.type === "chunk").map((chunk) => chunk.code).join("\n");
}

const client = await bundle(new URL("typescript/dist/index.js", import.meta.url).pathname);
const react = await bundle(new URL("typescript/dist/react.js", import.meta.url).pathname);
const demo = readFileSync(new URL("../static/demo/demo.js", import.meta.url));
const style = readFileSync(new URL("../static/demo/demo.css", import.meta.url));
console.log("clients: bundle sizes");
console.log(line("@logistics/auth-client (with openapi-fetch)", client));
console.log(line("@logistics/auth-client/react (React external)", react));
console.log(line("the demo, static/demo/demo.js (React 19 included)", demo));
console.log(line("the demo, static/demo/demo.css", style));
