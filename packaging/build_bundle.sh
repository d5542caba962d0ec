#!/usr/bin/env bash
# Build the PyInstaller onedir bundle of Concurrency Lab into dist/conclab/ (run: dist/conclab/conclab).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PY:-$ROOT/.venv/bin/python}"
cd "$ROOT"

if [ ! -x "$PY" ]; then
    echo "build_bundle: no Python at $PY; create the venv first (make test) or set PY=" >&2
    exit 1
fi
if ! "$PY" -c "import PyInstaller" 2>/dev/null; then
    "$PY" -m pip install --quiet "pyinstaller>=6.10,<7"
fi

start=$(date +%s)
"$PY" -m PyInstaller --noconfirm --log-level WARN \
    --distpath "$ROOT/dist" --workpath "$ROOT/build/pyinstaller" \
    "$ROOT/packaging/conclab.spec"
echo "build_bundle: dist/conclab/conclab built in $(( $(date +%s) - start )) s, $(du -sh "$ROOT/dist/conclab" | cut -f1)"
