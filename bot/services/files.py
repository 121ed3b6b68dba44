"""Reading a file the user names (an OPML list, a saved feed) without trusting its size:
at most ``limit`` bytes are ever read, so `/dev/zero` or a huge file is refused, not loaded."""

from __future__ import annotations

import stat
from pathlib import Path

from bot.errors import InvalidInputError, LimitError


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024):,} MB" if limit >= 1024 * 1024 else f"{limit // 1024:,} kB"


def read_capped(path: Path, limit: int) -> bytes:
    """The file's bytes; LimitError when it holds more than ``limit`` (read: ``limit + 1`` at most)."""
    try:
        with path.open("rb") as f:
            data = f.read(limit + 1)
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise LimitError(f"{path} is larger than {_size(limit)}, the most Briefbot reads from one file")
    return data


def check_regular_file(path: Path, limit: int) -> None:
    """Refuse, before anything reads it, a path that is not a regular file (a device, a pipe)
    or holds more than ``limit`` bytes. A path that does not exist is left to the reader."""
    try:
        info = path.stat()
    except OSError:
        return
    if stat.S_ISDIR(info.st_mode):
        raise InvalidInputError(f"cannot read {path}: it is a folder")
    if not stat.S_ISREG(info.st_mode):
        raise InvalidInputError(f"cannot read {path}: not a regular file")
    if info.st_size > limit:
        raise LimitError(f"{path} is larger than {_size(limit)}, the most Briefbot reads from one file")
