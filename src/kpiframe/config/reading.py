"""Reading a config file's text, refusing what no config is before PyYAML sees it."""

from __future__ import annotations

from pathlib import Path

#: A config is a few kilobytes; anything past this (all its files together) is a mistake or an attack.
MAX_CONFIG_BYTES = 8 * 1024 * 1024


class Unreadable(Exception):
    """A config file that cannot be read: a message and a hint, located by the caller."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


def read_config_text(file: Path, limit: int | None = None) -> str:
    """The text of a config file, refusing a folder, a FIFO or device, and anything over ``limit`` bytes.

    ``limit`` is what the files read before left of :data:`MAX_CONFIG_BYTES` (all of it for the
    main config). The kind is checked before the file is opened: opening a FIFO would block.
    """
    limit = MAX_CONFIG_BYTES if limit is None else limit
    try:
        if file.exists() and not file.is_file():
            kind = "a folder" if file.is_dir() else "not a regular file (a FIFO or a device)"
            raise Unreadable(f"the config is {kind}", "give the path of a YAML file")
        with file.open("rb") as handle:
            raw = handle.read(limit + 1)
    except FileNotFoundError:
        raise Unreadable("config file not found", "check the path") from None
    except OSError as exc:  # also a name too long for the file system, a symlink loop
        raise Unreadable(f"cannot read the config: {exc.strerror or exc}") from None
    except ValueError:  # a NUL byte in the name: no file system has such a file
        raise Unreadable("the path holds a NUL byte", "check the path") from None
    if len(raw) > limit:
        shared = " (with its includes)" if limit < MAX_CONFIG_BYTES else ""
        cap = f"{MAX_CONFIG_BYTES // 2**20} MB" if MAX_CONFIG_BYTES >= 2**20 else f"{MAX_CONFIG_BYTES // 1024} KB"
        raise Unreadable(f"the config is over {cap}{shared}", "a config is a few KB")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Unreadable(f"cannot read the config: {exc}") from None
