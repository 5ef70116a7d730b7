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
dirs=()
programs=()
for dir in ${PACK_CHECK_PACKAGES:-packages/*/}; do
  name=$(basename "$dir")
  [ -f "$dir/dist/index.js" ] || { echo "pack-check: $dir is not built (run npm run build)" >&2; exit 1; }
  program="$root/scripts/pack-check/$name.ts"
  [ -f "$program" ] || { echo "pack-check: no program for $name (write scripts/pack-check/$name.ts)" >&2; exit 1; }
  programs+=("$program")
  dirs+=("./$dir")
done
# One npm run packs them all (npm's start-up is a good part of the time).
npm pack --silent --pack-destination "$work" "${dirs[@]}" >/dev/null
tarballs=("$work"/*.tgz)
[ ${#tarballs[@]} -eq ${#dirs[@]} ] || { echo "pack-check: expected ${#dirs[@]} tarballs, got ${#tarballs[@]}" >&2; exit 1; }
echo "pack-check: packed ${#tarballs[@]} packages ($((SECONDS - start)) s)"
mkdir "$work/app" && cd "$work/app"
echo '{ "name": "pack-check-app", "private": true, "type": "module" }' >package.json
npm install --no-audit --no-fund --prefer-offline --silent "${tarballs[@]}" "@types/node@^20"
echo "pack-check: installed ($((SECONDS - start)) s)"
"$root/node_modules/.bin/tsx" "$root/scripts/pack-check/verify-packages.ts" "$work/app"
cp "$root/scripts/pack-check/tsconfig.json" "${programs[@]}" .
"$root/node_modules/.bin/tsc" -p tsconfig.json
echo "pack-check: type-checked ($((SECONDS - start)) s)"
# The programs run side by side, with the tsx the project installed (a dependency of
# @logpath/core); each one's output is shown, and any failure fails the check.
pids=()
for program in *.ts; do
  timeout 60 node --import tsx "$program" >"$work/${program%.ts}.log" 2>&1 &
  pids+=("$!:$program")
done
failed=0
for entry in "${pids[@]}"; do
  program=${entry#*:}
  if wait "${entry%%:*}"; then
    echo "pack-check: $program: $(tail -n 1 "$work/${program%.ts}.log")"
  else
    echo "pack-check: $program failed:" >&2
    cat "$work/${program%.ts}.log" >&2
    failed=1
  fi
done
[ "$failed" -eq 0 ] || exit 1
echo "pack-check: ok (${#tarballs[@]} packages, $((SECONDS - start)) s)"
