#!/usr/bin/env bash
# Prints the path of a Python with pycose and cbor2 (an independent COSE implementation, used by the
# status-list interoperability test), making the virtual environment on first use and reusing it
# afterwards: ~/.cache/doorpass-tools/pycose. Needs python3 with venv and, the first time, PyPI.
# cbor2 is pinned: later versions decode arrays inside tags as tuples, which pycose 1.1 refuses.
set -euo pipefail
venv="${DOORPASS_TOOLS:-$HOME/.cache/doorpass-tools}/pycose"
if ! "$venv/bin/python" -c 'import pycose, importlib.metadata as m; assert m.version("cbor2") == "5.4.6"' 2>/dev/null; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q --disable-pip-version-check 'pycose==1.1.0' 'cbor2==5.4.6' >&2
fi
echo "$venv/bin/python"
