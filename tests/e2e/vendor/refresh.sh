#!/bin/sh
# Fetch the pinned axe-core build from npm, verify it, and copy it here for the e2e tests.
# axe-core is a test tool: it lives under tests/, is never served to browsers and never cached
# by the service worker; the tests inject it into each page they check (tests/e2e/a11y.py).
#
#   tests/e2e/vendor/refresh.sh           fetch with `npm pack`, verify integrity, copy, write VERSION
#   tests/e2e/vendor/refresh.sh --check   only verify the files here against VERSION (no network)
#
# Never run by the tests. To upgrade: change the pins below (version and the tarball integrity
# that `npm view axe-core@<version> dist.integrity` prints), run this script, run the tests,
# and review the diff.
set -eu

PACKAGE=axe-core
VERSION=4.14.1
INTEGRITY=sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==

here=$(cd "$(dirname "$0")" && pwd)
dest="$here/axe-core"

if [ "${1:-}" = "--check" ]; then
    cd "$dest"
    grep '^file ' VERSION | while read -r _ name _ _ sum; do
        echo "$sum  $name"
    done | sha256sum --check --strict
    exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$PACKAGE@$VERSION" >/dev/null)
tarball="$tmp/$PACKAGE-$VERSION.tgz"
actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | openssl base64 -A)"
if [ "$actual" != "$INTEGRITY" ]; then
    echo "refresh.sh: $PACKAGE@$VERSION integrity mismatch: expected $INTEGRITY, got $actual" >&2
    exit 1
fi
tar -xzf "$tarball" -C "$tmp"
mkdir -p "$dest"
for file in axe.min.js LICENSE LICENSE-3RD-PARTY.txt; do cp "$tmp/package/$file" "$dest/$file"; done

sha() { sha256sum "$dest/$1" | cut -d' ' -f1; }
{
    echo "# axe-core, vendored unmodified by tests/e2e/vendor/refresh.sh. Do not edit by hand."
    echo "# package <name> <version> <npm tarball integrity>"
    echo "# file <name here> <package> <path in package> <sha256>"
    echo "package $PACKAGE $VERSION $INTEGRITY"
    for file in axe.min.js LICENSE LICENSE-3RD-PARTY.txt; do
        echo "file $file $PACKAGE $file $(sha $file)"
    done
} >"$dest/VERSION"
echo "refresh.sh: vendored $PACKAGE@$VERSION"
