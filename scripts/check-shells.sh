#!/usr/bin/env bash
# Checks the Android and iOS app sources that cannot be built on this machine (scripts/check-shells.py
# says what), with tree-sitter and its Kotlin and Swift grammars from PyPI in a virtual environment
# kept in ${DOORPASS_TOOLS:-$HOME/.cache/doorpass-tools}/shell-check.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
venv="${DOORPASS_TOOLS:-$HOME/.cache/doorpass-tools}/shell-check"
packages=(tree-sitter==0.26.1 tree-sitter-kotlin==1.1.0 tree-sitter-swift==0.7.4)
if ! "$venv/bin/python" -c 'import tree_sitter, tree_sitter_kotlin, tree_sitter_swift' 2>/dev/null; then
  if ! python3 -m venv "$venv" 2>/dev/null; then
    "$repo/scripts/apt-install.sh" python3-venv
    python3 -m venv "$venv"
  fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${packages[@]}"
fi
exec "$venv/bin/python" "$repo/scripts/check-shells.py" "$repo"
