// Bundles mathjs-subset.js into ../static/yourturn-mathjs.min.js, with math.js's
// licence and version in the header. Run: npm ci && npm run build
import { readFileSync } from "node:fs";
import { build } from "esbuild";

const pkg = JSON.parse(readFileSync("node_modules/mathjs/package.json", "utf8"));
const banner = `/*! math.js ${pkg.version} (the number-only subset: parse, compile, arithmetic, exp, log,
 * sqrt, abs, max, min), https://mathjs.org, Apache License 2.0,
 * Copyright (C) 2013-2026 Jos de Jong. Bundled for the xent book by
 * _ext/yourturn/build.mjs from the versions pinned in _ext/yourturn/package-lock.json. */`;

await build({
  entryPoints: ["mathjs-subset.js"],
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2018",
  legalComments: "none",
  banner: { js: banner },
  outfile: "../static/yourturn-mathjs.min.js",
});
