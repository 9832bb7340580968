"""Folders of files on the server and prefixes in object storage, confined to allow-lists.

A folder source reads only under `CATALOG_FOLDER_ROOTS`: a path with `..` is refused,
and a path (or a file inside it) whose real location — after following symlinks — is
outside every root is refused or skipped. An object-storage prefix is written
`storage://<prefix>` and must start with one of `CATALOG_STORAGE_PREFIXES` of the
default storage (S3 in production), so one team cannot list another team's uploads.
SQLite files of SQL sources obey the same folder roots.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from django.conf import settings

from apps.catalog.connectors import ConnectorError
from apps.catalog.connectors.files import is_supported_file

STORAGE_SCHEME = "storage://"
MAX_FILES = 10_000


def folder_roots() -> list[Path]:
    """The allow-listed server folders, as real paths."""
    return [Path(root).expanduser().resolve() for root in settings.CATALOG_FOLDER_ROOTS if str(root).strip()]


def _inside(path: Path, roots: list[Path]) -> bool:
    return any(path == root or root in path.parents for root in roots)


def _roots_hint(roots: list[Path]) -> str:
    return ", ".join(str(root) for root in roots) or "(none configured: set CATALOG_FOLDER_ROOTS)"


def server_path_resolve(raw: str, *, what: str = "folder") -> Path:
    """The real path of `raw` if it lies under an allow-listed root; refuses `..`, links out, others."""
    text = str(raw or "").strip()
    if not text:
        raise ConnectorError(f"Enter the {what}'s path.")
    if "\x00" in text:
        raise ConnectorError(f"The {what}'s path contains a NUL character.")
    if ".." in Path(text).parts:
        raise ConnectorError(
            f"A {what} path may not contain “..”: write the full path under an allowed folder."
        )
    roots = folder_roots()
    path = Path(text).expanduser()
    if not path.is_absolute():
        if not roots:
            raise ConnectorError(f"No server folders are allowed: {_roots_hint(roots)}.")
        path = roots[0] / path
    real = path.resolve()
    if not _inside(real, roots):
        raise ConnectorError(
            f"Atrium reads only under the allowed folders ({_roots_hint(roots)}); "
            f"this {what} is elsewhere (or a link points elsewhere)."
        )
    return real


@dataclass(frozen=True)
class FolderEntry:
    """One readable file of a folder source."""

    relative: str  # path inside the folder, with forward slashes
    size: int


def storage_prefix_check(location: str) -> str:
    """The object-storage prefix of a `storage://…` location, if allow-listed."""
    prefix = location[len(STORAGE_SCHEME) :].lstrip("/")
    if ".." in PurePosixPath(prefix).parts or "\\" in prefix:
        raise ConnectorError("An object-storage prefix may not contain “..” or backslashes.")
    allowed = [str(p).lstrip("/") for p in settings.CATALOG_STORAGE_PREFIXES if str(p).strip()]
    if not any(prefix.startswith(p) for p in allowed):
        raise ConnectorError(
            "Atrium lists only these object-storage prefixes: "
            + (", ".join(f"{STORAGE_SCHEME}{p}" for p in allowed) or "none (set CATALOG_STORAGE_PREFIXES)")
            + "."
        )
    return prefix if prefix.endswith("/") or not prefix else prefix + "/"


def location_check(location: str) -> str:
    """A folder source's location as stored: a real server path or a `storage://` prefix."""
    text = str(location or "").strip()
    if text.startswith(STORAGE_SCHEME):
        return STORAGE_SCHEME + storage_prefix_check(text)
    return str(server_path_resolve(text))


class Folder:
    """A folder source's files: list them and open one, wherever they live."""

    def __init__(self, location: str):
        self.location = str(location or "").strip()
        self.in_storage = self.location.startswith(STORAGE_SCHEME)
        if self.in_storage:
            self.prefix = storage_prefix_check(self.location)
        else:
            self.root = server_path_resolve(self.location)

    def check(self) -> str:
        """A one-line description of what is there, or a ConnectorError."""
        if self.in_storage:
            count = sum(1 for _ in self.files())
            return f"Object-storage prefix {self.location} is readable: {count} CSV or Parquet files."
        if not self.root.exists():
            raise ConnectorError(f"The folder {self.root} does not exist.")
        if not self.root.is_dir():
            raise ConnectorError(f"{self.root} is a file, not a folder.")
        if not os.access(self.root, os.R_OK | os.X_OK):
            raise ConnectorError(f"Atrium may not read the folder {self.root} (permissions).")
        count = sum(1 for _ in self.files())
        return f"Folder {self.root} is readable: {count} CSV or Parquet files."

    def files(self) -> Iterator[FolderEntry]:
        """The CSV and Parquet files, sorted, at most MAX_FILES; links out of the roots are left out."""
        if self.in_storage:
            yield from self._storage_files()
            return
        if not self.root.is_dir():
            raise ConnectorError(f"The folder {self.root} does not exist.")
        roots = folder_roots()
        found = 0
        for directory, subdirectories, names in os.walk(self.root, followlinks=False):
            subdirectories.sort()
            for name in sorted(names):
                if not is_supported_file(name):
                    continue
                path = Path(directory) / name
                real = path.resolve()
                if not _inside(real, roots) or not real.is_file():
                    continue  # a symlink out of the allowed folders, or a dangling one
                found += 1
                if found > MAX_FILES:
                    return
                yield FolderEntry(relative=path.relative_to(self.root).as_posix(), size=real.stat().st_size)

    def _storage_files(self) -> Iterator[FolderEntry]:
        from django.core.files.storage import default_storage

        pending = [self.prefix]
        found = 0
        while pending:
            current = pending.pop(0)
            try:
                directories, names = default_storage.listdir(current)
            except (FileNotFoundError, NotADirectoryError):
                continue
            for name in sorted(names):
                if is_supported_file(name):
                    found += 1
                    if found > MAX_FILES:
                        return
                    key = f"{current}{name}"
                    yield FolderEntry(relative=key[len(self.prefix) :], size=default_storage.size(key))
            pending.extend(f"{current}{directory}/" for directory in sorted(directories))

    @contextmanager
    def open(self, relative: str) -> Iterator[BinaryIO]:
        """Open one listed file for reading (re-checking that it stays inside the roots)."""
        if ".." in PurePosixPath(relative).parts:
            raise ConnectorError("A file path may not contain “..”.")
        if self.in_storage:
            from django.core.files.storage import default_storage

            with default_storage.open(f"{self.prefix}{relative}", "rb") as handle:
                yield handle
            return
        real = (self.root / relative).resolve()
        if not _inside(real, folder_roots()):
            raise ConnectorError("This file links outside the allowed folders.")
        with open(real, "rb") as handle:
            yield handle
