"""Files the CLI writes: complete or not at all."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from burdenshift.errors import InputError


def write_atomic(path: Path, text: str) -> None:
    """A temporary file in the same folder, renamed into place when complete, so an interrupted
    write never leaves half a file; created as any new file would be (the umask applies)."""
    if not path.parent.exists():
        raise InputError(
            "the folder does not exist",
            file=str(path),
            fix="create the folder or choose another path",
        )
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
