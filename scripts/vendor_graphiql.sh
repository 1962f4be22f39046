#!/usr/bin/env bash
# Vendor GraphiQL's browser assets into devportal/static/graphiql/vendor from the npm
# registry, at the pinned versions below, so devportal serves GraphiQL with no internet.
#
# To update: change a version, run `scripts/vendor_graphiql.sh`, open /graphql, run
# `make test` (the browser tests load the page), and commit the vendor folder with its
# manifest.json. The page's integrity hashes come from that manifest.
# Needs node and npm; `npm pack` checks each tarball against the registry's integrity.
set -euo pipefail

REACT=18.3.1             # React 19 ships no UMD build: GraphiQL 3 needs React 18's
GRAPHIQL=3.9.0           # the last GraphiQL with a UMD build (4 deprecates, 5 removes it)
PLUGIN_EXPLORER=3.2.6    # the explorer plugin built for @graphiql/react 0.29, as GraphiQL 3.9

root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/devportal/static/graphiql/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# package@version  file-in-package  vendored-name
assets=(
    "react@$REACT umd/react.production.min.js react.production.min.js"
    "react-dom@$REACT umd/react-dom.production.min.js react-dom.production.min.js"
    "graphiql@$GRAPHIQL graphiql.min.js graphiql.min.js"
    "graphiql@$GRAPHIQL graphiql.min.css graphiql.min.css"
    "@graphiql/plugin-explorer@$PLUGIN_EXPLORER dist/index.umd.js plugin-explorer.umd.js"
    "@graphiql/plugin-explorer@$PLUGIN_EXPLORER dist/style.css plugin-explorer.css"
)

rm -rf "$out"
mkdir -p "$out"
declare -A unpacked=()
for asset in "${assets[@]}"; do
    read -r spec path name <<<"$asset"
    if [ -z "${unpacked[$spec]:-}" ]; then
        dir="$work/$(echo "$spec" | tr '@/' '__')"
        mkdir -p "$dir"
        (cd "$dir" && npm pack --silent --json "$spec" >pack.json)
        tar xzf "$dir"/*.tgz -C "$dir"
        unpacked[$spec]="$dir"
    fi
    dir="${unpacked[$spec]}"
    cp "$dir/package/$path" "$out/$name"
    integrity="sha384-$(openssl dgst -sha384 -binary "$out/$name" | openssl base64 -A)"
    node -e '
        const [spec, path, name, integrity, packJson, pkgJson] = process.argv.slice(1);
        const fs = require("fs");
        const pack = JSON.parse(fs.readFileSync(packJson))[0];
        const pkg = JSON.parse(fs.readFileSync(pkgJson));
        console.log(JSON.stringify({name, integrity, package: pack.name, version: pack.version,
            path, license: pkg.license, tarball: pack.integrity}));
    ' "$spec" "$path" "$name" "$integrity" "$dir/pack.json" "$dir/package/package.json" \
        >>"$work/entries.jsonl"
    if [ -f "$dir/package/LICENSE" ]; then
        cp "$dir/package/LICENSE" "$out/LICENSE.$(node -p "require('$dir/package/package.json').name.replace('/', '-')")"
    fi
done

node -e '
    const fs = require("fs");
    const lines = fs.readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
    const manifest = {};
    for (const {name, ...rest} of lines) manifest[name] = rest;
    fs.writeFileSync(process.argv[2], JSON.stringify(manifest, null, 2) + "\n");
' "$work/entries.jsonl" "$out/manifest.json"
echo "vendored into $out:"
ls -l "$out"
