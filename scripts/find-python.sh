# Sourced by setup scripts: sets PYTHON to a Python >= 3.12 interpreter, or explains what to install.
# On machines managed by pyenv a bare `python3.12` can fail when the global version is older,
# so pyenv's own versions are tried too.
_ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }
PYTHON=""
for cand in python3.12 python3.13 python3; do
    if command -v "$cand" >/dev/null 2>&1 && _ok "$cand"; then PYTHON="$(command -v "$cand")"; break; fi
done
if [ -z "$PYTHON" ] && command -v pyenv >/dev/null 2>&1; then
    for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.(1[2-9])' | sort -V -r); do
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
