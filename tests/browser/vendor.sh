#!/usr/bin/env bash
# Re-vendors the Devanagari web font embedded in internal/web/static/fonts and
# KaTeX (maths typesetting) in internal/web/static/katex (see the end).
#
# Source: the npm package @fontsource/noto-sans-devanagari, version 5.3.0
# (Noto Sans Devanagari by the Noto Project Authors, SIL Open Font License
# 1.1, copied beside the fonts as OFL.txt). Only the "devanagari" subset,
# weights 400 and 700, woff2. The unicode-range in internal/web/static/app.css
# is the one that package's index.css gives for that subset.
#
# Usage: tests/browser/vendor.sh   (needs npm and network access to the npm registry)
set -euo pipefail
version=5.3.0
here=$(cd "$(dirname "$0")" && pwd)
dest="$here/../../internal/web/static/fonts"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "@fontsource/noto-sans-devanagari@$version" >/dev/null && tar xzf ./*.tgz)
mkdir -p "$dest"
for w in 400 700; do
  cp "$tmp/package/files/noto-sans-devanagari-devanagari-$w-normal.woff2" "$dest/"
done
cp "$tmp/package/LICENSE" "$dest/OFL.txt"
ls -l "$dest"

# KaTeX, the maths typesetter, into internal/web/static/katex: the npm
# package katex, version 0.19.1 (MIT licence, copied as LICENSE). Only
# dist/katex.min.js, dist/katex.min.css and the woff2 fonts; the stylesheet
# is rewritten to name only the woff2 files, by /static/ paths, so the
# server gives them content-addressed URLs. internal/web/static/math.js
# loads these only on pages with maths.
katex_version=0.19.1
kdest="$here/../../internal/web/static/katex"
(cd "$tmp" && rm -rf package ./*.tgz && npm pack --silent "katex@$katex_version" >/dev/null && tar xzf ./*.tgz)
rm -rf "$kdest"
mkdir -p "$kdest/fonts"
cp "$tmp/package/dist/katex.min.js" "$kdest/"
cp "$tmp/package/dist/fonts/"*.woff2 "$kdest/fonts/"
sed -E 's#url\(fonts/([A-Za-z0-9_-]+)\.woff2\) format\("woff2"\)(,url\(fonts/[^)]+\) format\("[a-z]+"\))*#url(/static/katex/fonts/\1.woff2) format("woff2")#g' \
  "$tmp/package/dist/katex.min.css" >"$kdest/katex.min.css"
cp "$tmp/package/LICENSE" "$kdest/LICENSE"
ls -l "$kdest" "$kdest/fonts"
