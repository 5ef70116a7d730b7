#!/usr/bin/env bash
# Packs every publishable package, installs the tarballs into an empty project
# outside the repository, checks the manifests (scripts/pack-check/verify-packages.ts:
# every imported package declared, no internal path imported, exports/types/files
# right, deep imports refused), type-checks and runs a small program against each
# (scripts/pack-check/<package>.ts, which must exist for every package).
# Needs built packages (npm run build). PACK_CHECK_PACKAGES="packages/core/ ..." limits it.
set -euo pipefail
start=$SECONDS
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root"
pkgs=()
programs=()
for dir in ${PACK_CHECK_PACKAGES:-packages/*/}; do
  name=$(basename "$dir")
  [ -f "$dir/dist/index.js" ] || { echo "pack-check: $dir is not built (run npm run build)" >&2; exit 1; }
  program="$root/scripts/pack-check/$name.ts"
  [ -f "$program" ] || { echo "pack-check: no program for $name (write scripts/pack-check/$name.ts)" >&2; exit 1; }
  programs+=("$program")
  pkgs+=("$(npm pack --silent --pack-destination "$work" "./$dir" | tail -n 1)")
done
mkdir "$work/app" && cd "$work/app"
npm init -y >/dev/null
npm pkg set type=module >/dev/null
tarballs=()
for t in "${pkgs[@]}"; do tarballs+=("$work/$t"); done
npm install --no-audit --no-fund --prefer-offline --silent "${tarballs[@]}" "@types/node@^20"
"$root/node_modules/.bin/tsx" "$root/scripts/pack-check/verify-packages.ts" "$work/app"
cp "$root/scripts/pack-check/tsconfig.json" "${programs[@]}" .
"$root/node_modules/.bin/tsc" -p tsconfig.json
# Each program runs with the tsx the project installed (a dependency of @logpath/core).
for program in *.ts; do
  echo "pack-check: running $program"
  timeout 60 node --import tsx "$program"
done
echo "pack-check: ok (${#pkgs[@]} packages, $((SECONDS - start)) s)"
