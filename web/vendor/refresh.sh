#!/bin/sh
# Fetch the pinned libsodium.js build from npm, verify it, and copy the browser files here.
#
#   web/vendor/refresh.sh           fetch with `npm pack`, verify tarball integrity, copy, write VERSION
#   web/vendor/refresh.sh --check   only verify the files here against VERSION (no network)
#
# Never run by the tests. To upgrade: change the pins below (version and the tarball integrity
# that `npm view <package>@<version> dist.integrity` prints), run this script, run the tests,
# and review the diff.
set -eu

WRAPPERS=libsodium-wrappers-sumo
WRAPPERS_VERSION=0.8.4
WRAPPERS_INTEGRITY=sha512-ql7hcgulKZ3ekfa2DGAogcCKsWU0diA/0nArz1CFzh93WQdb46/Kj18ka/Hifq6uA3Ush34Pc6vU/6HXeRwUkg==
CORE=libsodium-sumo
CORE_VERSION=0.8.4
CORE_INTEGRITY=sha512-TMtHShQfVVsaxDygyapvUC3o7YsPgXa/hRWeIgzyFz6w5k/1hirGptCxp1U7XwW3rCskaTTYKgV10v86UiGgNw==

here=$(cd "$(dirname "$0")" && pwd)

if [ "${1:-}" = "--check" ]; then
    cd "$here"
    grep '^file ' VERSION | while read -r _ name _ _ sum; do
        echo "$sum  $name"
    done | sha256sum --check --strict
    exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

integrity() {  # npm's "sha512-<base64>" form of a file's hash
    printf 'sha512-%s' "$(openssl dgst -sha512 -binary "$1" | openssl base64 -A)"
}

fetch() {  # package version expected-integrity -> unpacks into $tmp/<package>/
    (cd "$tmp" && npm pack --silent "$1@$2" >/dev/null)
    tarball="$tmp/$1-$2.tgz"
    actual=$(integrity "$tarball")
    if [ "$actual" != "$3" ]; then
        echo "refresh.sh: $1@$2 integrity mismatch: expected $3, got $actual" >&2
        exit 1
    fi
    mkdir -p "$tmp/$1"
    tar -xzf "$tarball" -C "$tmp/$1"
}

fetch "$WRAPPERS" "$WRAPPERS_VERSION" "$WRAPPERS_INTEGRITY"
fetch "$CORE" "$CORE_VERSION" "$CORE_INTEGRITY"

wrappers_file=dist/modules-sumo-esm/libsodium-wrappers.mjs
core_file=dist/modules-sumo-esm/libsodium-sumo.mjs
cp "$tmp/$WRAPPERS/package/$wrappers_file" "$here/libsodium-wrappers.mjs"
cp "$tmp/$CORE/package/$core_file" "$here/libsodium-sumo.mjs"
cp "$tmp/$WRAPPERS/package/LICENSE" "$here/LICENSE"
if ! cmp -s "$tmp/$WRAPPERS/package/LICENSE" "$tmp/$CORE/package/LICENSE"; then
    echo "refresh.sh: the two packages now have different licences; vendor both" >&2
    exit 1
fi

sha() { sha256sum "$here/$1" | cut -d' ' -f1; }
{
    echo "# libsodium.js, vendored unmodified by web/vendor/refresh.sh. Do not edit by hand."
    echo "# package <name> <version> <npm tarball integrity>"
    echo "# file <name here> <package> <path in package> <sha256>"
    echo "package $WRAPPERS $WRAPPERS_VERSION $WRAPPERS_INTEGRITY"
    echo "package $CORE $CORE_VERSION $CORE_INTEGRITY"
    echo "file libsodium-wrappers.mjs $WRAPPERS $wrappers_file $(sha libsodium-wrappers.mjs)"
    echo "file libsodium-sumo.mjs $CORE $core_file $(sha libsodium-sumo.mjs)"
    echo "file LICENSE $WRAPPERS LICENSE $(sha LICENSE)"
} >"$here/VERSION"
echo "refresh.sh: vendored $WRAPPERS@$WRAPPERS_VERSION and $CORE@$CORE_VERSION"
