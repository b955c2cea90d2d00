#!/usr/bin/env bash
# Re-vendors the Devanagari web font embedded in internal/web/static/fonts.
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
