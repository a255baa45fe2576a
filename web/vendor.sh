#!/usr/bin/env bash
# Copy the published ESM/UMD files of the locked front-end libraries into the Python package
# (src/bizext/web/static/vendor/), where bizext serves them itself: no CDN, no build step.
# Run by `make web-vendor`; the copies are committed so that a Python install ships them.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --ignore-scripts --no-audit --no-fund
out=../src/bizext/web/static/vendor
rm -rf "$out"
mkdir -p "$out/licenses"
cp node_modules/preact/dist/preact.module.js "$out/preact.module.js"
# The hooks import "preact" by its bare name; point it at the file beside it (no import map needed, so the
# page's Content-Security-Policy can forbid inline scripts).
sed 's#from"preact"#from"./preact.module.js"#g' node_modules/preact/hooks/dist/hooks.module.js \
  > "$out/preact-hooks.module.js"
grep -q 'from"./preact.module.js"' "$out/preact-hooks.module.js"
cp node_modules/htm/dist/htm.module.js "$out/htm.module.js"
cp node_modules/chart.js/dist/chart.umd.min.js "$out/chart.umd.min.js"
cp node_modules/preact/LICENSE "$out/licenses/preact.LICENSE"
cp node_modules/htm/LICENSE "$out/licenses/htm.LICENSE"
cp node_modules/chart.js/LICENSE.md "$out/licenses/chart.js.LICENSE.md"
node -e '
  const lock = require("./package-lock.json").packages;
  const v = n => lock["node_modules/" + n].version;
  const s = ["preact", "htm", "chart.js", "@kurkle/color"].map(n => `${n} ${v(n)}`).join("\n");
  require("fs").writeFileSync(process.argv[1], s + "\n");' "$out/VERSIONS"
echo "vendored into $out:" && cat "$out/VERSIONS"
