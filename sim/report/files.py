"""Writing report files whole or not at all: each file is written to a temporary file next to it
and renamed over it, so that an interrupted build (a worker process killed, a full disk) never
leaves a half-written figure, table or page behind."""

from __future__ import annotations

import os
from pathlib import Path

TEMPORARY = ".part"  # suffix of a file being written: ".<name>.<pid>.part"


def write_atomic(path: Path, data: bytes | str) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` by a rename, never in place."""
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    tmp = path.with_name(f".{path.name}.{os.getpid()}{TEMPORARY}")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def remove_partial(*folders: Path) -> None:
    """Delete temporary files an interrupted build left in ``folders``."""
    for folder in folders:
        if Path(folder).is_dir():
            for path in Path(folder).glob(f".*{TEMPORARY}"):
                if path.is_file():
                    path.unlink(missing_ok=True)
