# Sourced by setup scripts: sets PYTHON to a Python 3.12 interpreter (the version the project is
# developed and tested on), else a newer one, or explains what to install. On machines managed
# by pyenv a bare `python3.12` can fail when the global version is older, so pyenv's own
# versions are tried too.
_ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }
_is312() { "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 12) else 1)' >/dev/null 2>&1; }
PYTHON=""
_pyenv_versions() { command -v pyenv >/dev/null 2>&1 && pyenv versions --bare 2>/dev/null | grep -E "^$1" | sort -V -r; }
# 1. Python 3.12: on PATH, then through pyenv
if command -v python3.12 >/dev/null 2>&1 && _is312 python3.12; then PYTHON="$(command -v python3.12)"; fi
if [ -z "$PYTHON" ]; then
    for v in $(_pyenv_versions '3\.12\.'); do
        cand="$(pyenv root)/versions/$v/bin/python3"
        if _is312 "$cand"; then PYTHON="$cand"; break; fi
    done
fi
# 2. any newer Python
if [ -z "$PYTHON" ]; then
    for cand in python3.13 python3; do
        if command -v "$cand" >/dev/null 2>&1 && _ok "$cand"; then PYTHON="$(command -v "$cand")"; break; fi
    done
fi
if [ -z "$PYTHON" ]; then
    for v in $(_pyenv_versions '3\.(1[3-9])\.'); do
        cand="$(pyenv root)/versions/$v/bin/python3"
        if _ok "$cand"; then PYTHON="$cand"; break; fi
    done
fi
if [ -z "$PYTHON" ]; then
    echo "deterrence needs Python 3.12 or newer (Mesa >= 3.4 requires it); none was found." >&2
    echo "Install one (e.g. 'pyenv install 3.12' or your OS package python3.12) and try again." >&2
    exit 2
fi
export PYTHON
