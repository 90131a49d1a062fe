import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Built into static/demo, which the component serves from its files mount:
// `/` and the email links' pages are index.html, `/demo/{file}` the rest.
// That route takes plain file names only (letters, digits, `-`, `_`; .html,
// .js, .css; no directories), hence fixed names and no assets directory.
export default defineConfig({
  base: "/demo/",
  plugins: [react()],
  build: {
    outDir: "../../static/demo",
    emptyOutDir: true,
    assetsDir: "",
    // Nothing is loaded later: one script, one style sheet.
    modulePreload: { polyfill: false },
    rolldownOptions: {
      output: {
        entryFileNames: "demo.js",
        chunkFileNames: "demo-[name].js",
        assetFileNames: "demo.[ext]",
      },
    },
  },
});
