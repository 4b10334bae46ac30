"""Output folders: what every writing command checks before it writes, and how it replaces.

Every command that writes (``run``, ``sweep``, ``summarize``, ``report``, ``compare``,
``discover``) goes through :func:`claim` before any work:

* the path must be writable: not under a plain file, not on a read-only filesystem, with
  permission and with space (a probe file is written and removed);
* the folder must not be in use: ``DIR/.lock`` held (``flock``) by another deterrence process;
* what the folder holds must be the command's own: new or empty, or results an earlier call of
  the same command wrote (its ``manifest.json`` says which command). Results of another command,
  an unfinished sweep, or files deterrence did not write are refused, with what is there and
  what to do. ``--force`` (``run``, ``sweep``) replaces results deterrence wrote, never files it
  did not write.

A replaced folder is replaced whole: the new results are written into a sibling folder
(``.NAME.partial-PID``) and renamed over the old one at the end (:func:`replace_folder`), so a
killed or failed command leaves the old results as they were.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import shutil
import socket
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

LOCK = ".lock"
MANIFEST = "manifest.json"
SWEEP_STATE = "sweep.json"
# What a result folder may hold besides the files its manifest lists: the lock, a sweep's state
# and shards, and the folders later commands write into it.
HOUSEKEEPING = {LOCK, SWEEP_STATE, "shards", "summary", "report", "discover"}


class OutputError(Exception):
    """An output folder that cannot be used; the message says what is there and what to do."""


# ---- the lock ----------------------------------------------------------------------------------


class FolderLock:
    """An exclusive lock on ``DIR/.lock`` while a command writes there (released if the
    process dies, even by SIGKILL)."""

    def __init__(self, folder: Path, error: type[Exception] = OutputError, writer: str = "sweep or command"):
        self.path = Path(folder) / LOCK
        self.error = error
        self.writer = writer
        self.fd: int | None = None

    def __enter__(self) -> FolderLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            _lock(fd)
        except OSError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise self.error(f"another {self.writer} is writing to {self.path.parent} ({holder}); wait "
                             "for it to finish" + (", or choose another --out" if self.writer == "sweep" else "")) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode(), 0)
        self.fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing releases the lock
            self.fd = None


def _lock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        return
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def in_use(folder: Path) -> str | None:
    """Who holds ``folder``'s lock ("pid N on host"), or None when nobody does."""
    path = Path(folder) / LOCK
    if not path.is_file():
        return None
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        _lock(fd)
    except OSError:
        return os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
    finally:
        os.close(fd)  # also releases the lock taken to test it
    return None


# ---- what a folder holds ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Holding:
    """What is in a folder: ``kind`` is absent, empty, results (of ``command``), unfinished
    (a sweep without its manifest) or foreign (files deterrence did not write)."""

    kind: str
    command: str | None = None
    foreign: tuple[str, ...] = ()
    detail: str = ""

    def describe(self, folder: Path) -> str:
        if self.kind == "results":
            return f"{folder} holds the results of 'deterrence {self.command}'{self.detail}"
        if self.kind == "unfinished":
            return f"{folder} holds an unfinished sweep{self.detail}"
        if self.kind == "foreign":
            shown = ", ".join(self.foreign[:4]) + (f" and {len(self.foreign) - 4} more" if len(self.foreign) > 4 else "")
            return f"{folder} holds files deterrence did not write ({shown})"
        return f"{folder} is {self.kind}"


def read_manifest(folder: Path) -> dict | None:
    """The folder's manifest, or None if it has none or it is not a deterrence manifest."""
    try:
        data = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not str(data.get("format", "")).startswith("deterrence"):
        return None
    return data


def holding(folder: Path) -> Holding:
    """What ``folder`` holds (see :class:`Holding`)."""
    folder = Path(folder)
    if not folder.exists():
        return Holding("absent")
    names = sorted(p.name for p in folder.iterdir() if p.name != LOCK)
    if not names:
        return Holding("empty")
    manifest = read_manifest(folder)
    if manifest is not None:
        return Holding("results", str(manifest.get("command")), tuple(foreign_files(folder, manifest)),
                       _detail(manifest))
    if (folder / SWEEP_STATE).is_file():
        try:
            name = json.loads((folder / SWEEP_STATE).read_text()).get("experiment", {}).get("name")
        except (OSError, ValueError, AttributeError):
            name = None
        return Holding("unfinished", "sweep", tuple(foreign_files(folder, {"files": {"design.parquet": {}}})),
                       f" of '{name}'" if name else "")
    return Holding("foreign", foreign=tuple(names))


def foreign_files(folder: Path, manifest: dict, prefix: str = "") -> list[str]:
    """Files under ``folder`` that no deterrence manifest records (paths from ``folder``):
    what replacing the folder whole would lose. Temporary and hidden files (``.name``), the
    lock, a sweep's state and shards are deterrence's own; the folders later commands write
    (``summary``, ``report``, ``discover``) are judged by their own manifests."""
    folder = Path(folder)
    listed = set(manifest.get("files", {}) if isinstance(manifest.get("files"), dict) else ())
    tops = {name.split("/")[0] for name in listed}
    out = []
    for path in sorted(folder.iterdir()):
        name = path.name
        if name.startswith(".") or name in (MANIFEST, SWEEP_STATE, "shards") or name in listed:
            continue
        if name.startswith("shards.damaged-") or ".damaged-" in name:
            continue
        if path.is_dir() and name in ("summary", "report", "discover") and name not in tops:
            inner = read_manifest(path)
            out += (foreign_files(path, inner, f"{prefix}{name}/") if inner is not None
                    else [f"{prefix}{name}/{p.relative_to(path)}" for p in sorted(path.rglob("*")) if p.is_file()]
                    or [f"{prefix}{name}/"])
        elif path.is_dir() and name in tops:
            inside = {n[len(name) + 1:] for n in listed if n.startswith(name + "/")}
            out += [f"{prefix}{name}/{p.relative_to(path)}" for p in sorted(path.rglob("*"))
                    if p.is_file() and not p.name.startswith(".") and str(p.relative_to(path)) not in inside]
        else:
            out.append(f"{prefix}{name}" + ("/" if path.is_dir() else ""))
    return out


def _detail(manifest: dict) -> str:
    what = manifest.get("experiment") or manifest.get("scenario") or {}
    name = what.get("name") if isinstance(what, dict) else None
    runs = (manifest.get("counts") or {}).get("runs") if isinstance(manifest.get("counts"), dict) else None
    return (f" of '{name}'" if name else "") + (f" ({runs:,} runs)" if isinstance(runs, int) else "")


# ---- writable before any work ----------------------------------------------------------------------


def check_writable(folder: Path, *, need_bytes: int = 0) -> None:
    """Raise :class:`OutputError` unless files can be written in ``folder`` (made if missing):
    a probe file is written, synced and removed; folders made for the probe are removed again."""
    folder = Path(folder)
    made: list[Path] = []
    try:
        for parent in reversed([folder, *folder.parents]):
            if parent.exists():
                if not parent.is_dir():
                    raise OutputError(f"--out {folder}: {parent} is a file, not a folder; choose a path "
                                      "under a folder")
                continue
            parent.mkdir()
            made.append(parent)
        probe = folder / f".probe-{os.getpid()}"
        try:
            with open(probe, "wb") as f:
                f.write(b"\0" * 4096)
                f.flush()
                os.fsync(f.fileno())
        finally:
            probe.unlink(missing_ok=True)
        if need_bytes:
            free = shutil.disk_usage(folder).free
            if free < need_bytes:
                raise OutputError(f"--out {folder}: {_size(free)} free, about {_size(need_bytes)} needed; free "
                                  "some space or choose another --out")
    except OSError as err:
        raise OutputError(f"--out {folder}: {os_problem(err)}") from None
    finally:
        for path in reversed(made):
            with suppress(OSError):
                path.rmdir()


def os_problem(err: OSError) -> str:
    """A filesystem error in the user's words, with what to do."""
    what = {
        errno.EROFS: "the filesystem is read-only; choose a folder on a writable disk",
        errno.EACCES: "permission denied; choose a folder you can write to",
        errno.EPERM: "not permitted; choose a folder you can write to",
        errno.ENOSPC: "the disk is full; free some space or choose another disk",
        errno.EDQUOT: "the disk quota is exceeded; free some space or choose another disk",
        errno.ENOTDIR: "a part of the path is a file, not a folder",
        errno.ENAMETOOLONG: "the path, or a name in it, is too long",
        errno.ELOOP: "the path loops through symbolic links",
        errno.ENOENT: "a part of the path does not exist",
    }.get(err.errno)
    where = f" ({err.filename})" if err.filename else ""
    return (what or f"{err.strerror or err}") + where


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


size_text = _size


# ---- claiming a folder ---------------------------------------------------------------------------


def claim(folder: Path, command: str, *, force: bool | None = False, same: tuple[str, ...] | None = None,
          need_bytes: int = 0, flag: str | None = "--out", allow_unfinished: bool = False,
          keeps_foreign: bool = False) -> Holding:
    """Check that ``command`` may write its results to ``folder`` (see the module docstring).

    ``force``: whether ``--force`` was given (None: the command has no such option).
    ``same``: the commands whose results ``command`` replaces without ``--force`` (by default
    none: re-running into one's own results needs ``--force`` too, unless listed).
    ``flag``: the option that named the folder (None: the command chose it, as ``DIR/report``).
    ``allow_unfinished``: a sweep's own unfinished folder (``--resume``). ``keeps_foreign``: the
    command writes among files it did not write and removes only its own (a report), so those
    files are no reason to refuse a folder of its own results. Returns what is there."""
    folder = Path(folder)
    where = f"{flag} {folder}" if flag else str(folder)
    other = f"choose a new or empty {flag}" if flag else f"move them out of {folder}, or remove it"
    try:
        os.stat(folder)
    except (FileNotFoundError, NotADirectoryError):
        pass  # a new folder (or one below a file: named by check_writable)
    except OSError as err:  # a name too long, a loop of links, no permission to look
        raise OutputError(f"{where}: {os_problem(err)}") from None
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{where}: exists and is a file, not a folder; " + (
            f"choose a new or empty {flag}" if flag else "move it away"))
    holder = in_use(folder) if folder.is_dir() else None
    if holder:
        raise OutputError(f"{folder} is in use: another sweep or command is writing to it ({holder}); wait "
                          "for it to finish" + (f", or choose another {flag}" if flag else ""))
    there = holding(folder)
    check_writable(folder, need_bytes=need_bytes)
    if there.kind in ("absent", "empty"):
        return there
    own = there.kind in ("results", "unfinished") and same is not None and there.command in same
    if there.foreign and not (keeps_foreign and own):
        shown = ", ".join(there.foreign[:4]) + (f" and {len(there.foreign) - 4} more" if len(there.foreign) > 4 else "")
        raise OutputError(f"{folder} holds files deterrence did not write ({shown}); nothing was written. "
                          + other[0].upper() + other[1:]
                          + (", or move those files out and use --force" if force is not None and flag
                             and there.kind != "foreign" else ""))
    if there.kind == "unfinished" and allow_unfinished:
        return there
    if own:
        return there
    if force:
        return there
    hint = "; complete it with 'deterrence sweep EXPERIMENT --out {f} --resume'" if there.kind == "unfinished" else ""
    raise OutputError(there.describe(folder) + hint.format(f=folder) + "; nothing was written. "
                      + other[0].upper() + other[1:] + (", or add --force to replace them" if force is not None else ""))


# ---- replacing a folder whole ------------------------------------------------------------------------


def staging_for(folder: Path, tag: str | None = None) -> Path:
    """A sibling of ``folder`` to write new results into before they replace it."""
    folder = Path(folder).resolve()
    return folder.with_name(f".{folder.name}.{tag or f'partial-{os.getpid()}'}")


@contextmanager
def staged(folder: Path):
    """Yield a fresh sibling folder; on success it replaces ``folder`` whole (see
    :func:`replace_folder`); on any failure it is removed and ``folder`` is left as it was."""
    folder = Path(folder)
    if not can_stage(folder):
        # A mount point, or a folder whose parent this user cannot write to: written in place
        # when empty (a failure then leaves no manifest, so nothing claims to be complete).
        if folder.is_dir() and any(p.name != LOCK for p in folder.iterdir()):
            raise OutputError(f"{folder} cannot be replaced whole (it is a mount point, or its parent folder "
                              "is not writable); empty it first, or choose another --out")
        yield folder
        return
    tmp = staging_for(folder)
    _remove_abandoned(tmp)
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    replace_folder(tmp, folder)


def can_stage(folder: Path) -> bool:
    """Whether new results can be written beside ``folder`` and renamed over it."""
    folder = Path(folder).resolve()
    return not os.path.ismount(folder) and os.access(folder.parent, os.W_OK | os.X_OK)


def _remove_abandoned(tmp: Path) -> None:
    """Remove the staging folders of killed commands (``.NAME.partial-PID`` whose process is gone)."""
    stem = tmp.name.rsplit("-", 1)[0]
    for other in tmp.parent.glob(f"{stem}-*"):
        pid = other.name.rsplit("-", 1)[1]
        if other.is_dir() and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(other, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


def replace_folder(new: Path, folder: Path) -> None:
    """Put ``new`` in the place of ``folder``: one rename when ``folder`` is missing or empty,
    else an atomic exchange of the two (Linux ``renameat2``; elsewhere two renames), then the old
    contents are removed."""
    new, folder = Path(new), Path(folder)
    if folder.is_dir() and not any(p.name != LOCK for p in folder.iterdir()):
        shutil.rmtree(folder)
    if not folder.exists():
        os.rename(new, folder)
        return
    if _exchange(new, folder):
        shutil.rmtree(new, ignore_errors=True)  # ``new`` now holds the old contents
        return
    old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
    os.rename(folder, old)
    os.rename(new, folder)
    shutil.rmtree(old, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (``renameat2(RENAME_EXCHANGE)``); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    ok = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return ok == 0
