#!/usr/bin/env bash
# Wrap the onedir bundle (dist/conclab/) into dist/conclab_<version>_<arch>.deb: the program under
# /opt/conclab, /usr/bin/conclab, and the desktop entry, metainfo and icons under /usr/share.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUNDLE="$ROOT/dist/conclab"
INIT="$ROOT/desktop/conclab/__init__.py"

if [ ! -x "$BUNDLE/conclab" ]; then
    echo "build_deb: $BUNDLE/conclab is missing; build the bundle first (packaging/build_bundle.sh)" >&2
    exit 1
fi
command -v dpkg-deb >/dev/null || { echo "build_deb: dpkg-deb not found (apt-get install dpkg)" >&2; exit 1; }

VERSION="$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' "$INIT")"
APP_ID="$(sed -n 's/^APP_ID = "\(.*\)"$/\1/p' "$INIT")"
ARCH="$(dpkg --print-architecture)"
[ -n "$VERSION" ] && [ -n "$APP_ID" ] || { echo "build_deb: cannot read version/APP_ID from $INIT" >&2; exit 1; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
STAGE="$WORK/conclab_${VERSION}_${ARCH}"
mkdir -p "$STAGE/DEBIAN" "$STAGE/opt" "$STAGE/usr/bin" \
    "$STAGE/usr/share/applications" "$STAGE/usr/share/metainfo" "$STAGE/usr/share/icons"

cp -a "$BUNDLE" "$STAGE/opt/conclab"
ln -s /opt/conclab/conclab "$STAGE/usr/bin/conclab"
sed -e 's|@EXEC@|/usr/bin/conclab|' -e 's|@TRYEXEC@|/usr/bin/conclab|' \
    "$ROOT/resources/desktop/$APP_ID.desktop.in" > "$STAGE/usr/share/applications/$APP_ID.desktop"
cp "$ROOT/resources/desktop/$APP_ID.metainfo.xml" "$STAGE/usr/share/metainfo/"
cp -r "$ROOT/resources/icons/hicolor" "$STAGE/usr/share/icons/"
chmod -R u=rwX,go=rX "$STAGE"

INSTALLED_KB="$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)"
cat > "$STAGE/DEBIAN/control" <<CONTROL
Package: conclab
Version: $VERSION
Section: education
Priority: optional
Architecture: $ARCH
Maintainer: Concurrency Lab developers <conclab@users.noreply.github.com>
Installed-Size: $INSTALLED_KB
Depends: libgl1, libegl1, libfontconfig1, libxkbcommon0, libglib2.0-0, libdbus-1-3, fonts-dejavu-core
Recommends: libxcb-cursor0, libxcb-icccm4, libxcb-image0, libxcb-keysyms1, libxcb-render-util0, libxcb-shape0, libxkbcommon-x11-0
Homepage: https://github.com/conclab/conclab
Description: see how Python runs work under asyncio, threads and processes
 Concurrency Lab runs the same task list under asyncio, threads and processes
 and shows, by measurement, what ran when on an animated timeline, with the
 window's own responsiveness measured underneath.
CONTROL

mkdir -p "$ROOT/dist"
OUT="$ROOT/dist/conclab_${VERSION}_${ARCH}.deb"
# DEB_COMPRESSION=gzip trades a larger file for a much faster build (xz: ~1 min here).
dpkg-deb --root-owner-group -Z"${DEB_COMPRESSION:-xz}" --build "$STAGE" "$OUT" >/dev/null
echo "build_deb: $OUT ($(du -h "$OUT" | cut -f1))"
