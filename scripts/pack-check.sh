#!/usr/bin/env bash
# Packs every publishable package, installs the tarballs into an empty project
# outside the repository, type-checks and runs a small program against each.
# Fails when a runtime dependency is missing, `exports` is wrong or types do not resolve.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root"
pkgs=()
for dir in ${PACK_CHECK_PACKAGES:-packages/*/}; do
  [ -f "$dir/dist/index.js" ] || { echo "pack-check: $dir is not built (run npm run build)" >&2; exit 1; }
  pkgs+=("$(npm pack --silent --pack-destination "$work" "./$dir" | tail -n 1)")
done
mkdir "$work/app" && cd "$work/app"
npm init -y >/dev/null
npm pkg set type=module >/dev/null
tarballs=()
for t in "${pkgs[@]}"; do tarballs+=("$work/$t"); done
npm install --no-audit --no-fund --silent "${tarballs[@]}" "@types/node@^20"
cp "$root/scripts/pack-check/tsconfig.json" .
for dir in ${PACK_CHECK_PACKAGES:-packages/*/}; do
  name=$(basename "$dir")
  [ -f "$root/scripts/pack-check/$name.ts" ] && cp "$root/scripts/pack-check/$name.ts" .
done
"$root/node_modules/.bin/tsc" -p tsconfig.json
for program in *.ts; do
  echo "pack-check: running $program"
  node --import tsx "$program"
done
echo "pack-check: ok (${#pkgs[@]} packages)"
