"""CSV and Parquet files: format, content hash, schema and row count, read in chunks.

Nothing here holds a whole file in memory: the hash (and the UTF-8 check of CSV text)
is computed over 1 MiB chunks, CSV rows are counted batch by batch with pyarrow's
streaming reader, and Parquet's schema and row count come from its footer.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import BinaryIO

from apps.catalog.connectors import ConnectorError

CHUNK_SIZE = 1024 * 1024
CSV_BLOCK_SIZE = 4 * 1024 * 1024  # type inference looks at the first block
CSV_EXTENSIONS = (".csv",)
PARQUET_EXTENSIONS = (".parquet", ".pq")
SUPPORTED_EXTENSIONS = CSV_EXTENSIONS + PARQUET_EXTENSIONS
PARQUET_MAGIC = b"PAR1"
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


@dataclass
class FileInfo:
    """What reading one file taught us."""

    format: str  # "csv" or "parquet"
    schema: list[dict]
    row_count: int
    content_hash: str  # sha256 of the bytes, hex
    size_bytes: int
    encoding: str = ""


def file_format(name: str, head: bytes = b"") -> str:
    """ "csv" or "parquet" from the file's extension (or Parquet's magic bytes); refuses anything else."""
    suffix = PurePosixPath(str(name).lower()).suffix
    if suffix in PARQUET_EXTENSIONS or (not suffix and head.startswith(PARQUET_MAGIC)):
        return "parquet"
    if suffix in CSV_EXTENSIONS:
        return "csv"
    raise ConnectorError("Atrium reads CSV and Parquet files: choose a .csv or .parquet file.")


def is_supported_file(name: str) -> bool:
    """Whether a folder sync should read this file."""
    return PurePosixPath(str(name).lower()).suffix in SUPPORTED_EXTENSIONS


def human_size(size: int) -> str:
    """Bytes as people say them (e.g. 512 MiB)."""
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{int(value)} {unit}" if unit == "bytes" or value == int(value) else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"  # pragma: no cover - the loop always returns


def file_hash(
    fileobj: BinaryIO, *, check_utf8: bool = False, max_bytes: int | None = None
) -> tuple[str, int, str]:
    """sha256 and size of a file, read in chunks; with `check_utf8`, also its text encoding.

    Returns (hex digest, size in bytes, encoding). The encoding is "utf-8" or "utf-16"
    (detected from its byte-order mark); anything else is refused with the position of
    the first byte that is not UTF-8.
    """
    fileobj.seek(0)
    digest = hashlib.sha256()
    size = 0
    encoding = "utf-8"
    decoder = None
    line = 1
    first = True
    while chunk := fileobj.read(CHUNK_SIZE):
        if first:
            first = False
            if check_utf8 and chunk.startswith(UTF16_BOMS):
                encoding, check_utf8 = "utf-16", False
            elif check_utf8:
                decoder = codecs.getincrementaldecoder("utf-8")()
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            raise ConnectorError(f"The file is larger than the limit of {human_size(max_bytes)}.")
        digest.update(chunk)
        if decoder is not None:
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as error:
                position = size - len(chunk) + error.start
                line += chunk[: error.start].count(b"\n")
                raise ConnectorError(
                    f"The file is not UTF-8 text: byte {position + 1} (line {line}) is not valid UTF-8. "
                    "Save it as UTF-8 (in Excel: “CSV UTF-8”) and upload it again."
                ) from None
            if "\x00" in text:
                raise ConnectorError(
                    "The file contains binary data (NUL bytes), so it is not a CSV text file."
                )
            line += text.count("\n")
    if decoder is not None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise ConnectorError(
                "The file is not UTF-8 text: it ends in the middle of a character. "
                "Save it as UTF-8 and try again."
            ) from None
    if size == 0:
        raise ConnectorError("The file is empty (0 bytes): choose a file with a header row and data.")
    return digest.hexdigest(), size, encoding


def _arrow_schema(schema) -> list[dict]:
    return [
        {"name": field.name, "type": str(field.type), "nullable": bool(field.nullable)} for field in schema
    ]


def _check_names(columns: list[dict]) -> list[dict]:
    """Blank header cells get a generated name; a repeated name is refused."""
    if columns and all(not column["name"].strip() for column in columns) and len(columns) == 1:
        raise ConnectorError("The file has no header row: the first line must name the columns.")
    seen: set[str] = set()
    for position, column in enumerate(columns):
        name = column["name"].strip() or f"column_{position + 1}"
        if name in seen:
            raise ConnectorError(
                f"The header names the column “{name[:80]}” twice; column names must be unique."
            )
        seen.add(name)
        column["name"] = name
    return columns


_CONVERSION = re.compile(r"In CSV column #(\d+): .*CSV conversion error")
_FIELD_COUNT = re.compile(r"Expected (\d+) columns, got (\d+)")


def _csv_message(error: Exception) -> str:
    """A person-readable reason for a CSV parse error, without echoing the file's data."""
    text = str(error)
    counts = _FIELD_COUNT.search(text)
    if counts:
        return (
            f"The CSV file is malformed: a row has {counts.group(2)} fields where the header has "
            f"{counts.group(1)}. Check the delimiters and quotes, then upload it again."
        )
    if "Empty CSV file" in text:
        return "The file has no header row and no data."
    return "The CSV file is malformed and could not be read (check its delimiters, quotes and line ends)."


def csv_inspect(fileobj: BinaryIO, *, encoding: str = "utf-8") -> tuple[list[dict], int]:
    """Schema and row count of a CSV file, streamed batch by batch with pyarrow."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    column_types: dict[str, object] = {}
    for _attempt in range(1000):
        fileobj.seek(0)
        names: list[str] = []
        try:
            reader = pacsv.open_csv(
                fileobj,
                read_options=pacsv.ReadOptions(encoding=encoding, block_size=CSV_BLOCK_SIZE),
                parse_options=pacsv.ParseOptions(newlines_in_values=True),
                convert_options=pacsv.ConvertOptions(column_types=column_types),
            )
            names = reader.schema.names
            rows = 0
            for batch in reader:
                rows += batch.num_rows
        except pa.ArrowInvalid as error:
            conversion = _CONVERSION.search(str(error))
            if conversion and names:
                # A later block holds a value the first block's type cannot take: read it as text.
                index = int(conversion.group(1))
                if index < len(names) and names[index] not in column_types:
                    column_types[names[index]] = pa.string()
                    continue
            raise ConnectorError(_csv_message(error)) from None
        except (pa.ArrowException, OSError, ValueError) as error:
            raise ConnectorError(_csv_message(error)) from None
        return _check_names(_arrow_schema(reader.schema)), rows
    raise ConnectorError(
        "The CSV file could not be read: its column types keep changing."
    )  # pragma: no cover


def parquet_inspect(fileobj: BinaryIO) -> tuple[list[dict], int]:
    """Schema and row count of a Parquet file, from its footer (no data pages read)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    fileobj.seek(0)
    try:
        parquet = pq.ParquetFile(fileobj)
        schema = parquet.schema_arrow
        rows = parquet.metadata.num_rows
    except (pa.ArrowException, OSError, ValueError, IndexError):
        raise ConnectorError(
            "The file is not a valid Parquet file (it may be truncated, corrupted or another format)."
        ) from None
    return _check_names(_arrow_schema(schema)), int(rows)


def file_inspect(fileobj: BinaryIO, *, name: str, max_bytes: int | None = None) -> FileInfo:
    """Format, hash, size, schema and row count of one file (refusing what cannot be read)."""
    fileobj.seek(0)
    head = fileobj.read(8)
    fileobj.seek(0)
    if not head:
        raise ConnectorError("The file is empty (0 bytes): choose a file with a header row and data.")
    kind = file_format(name, head)
    digest, size, encoding = file_hash(fileobj, check_utf8=kind == "csv", max_bytes=max_bytes)
    if kind == "csv":
        schema, rows = csv_inspect(fileobj, encoding=encoding)
    else:
        schema, rows = parquet_inspect(fileobj)
    fileobj.seek(0)
    return FileInfo(
        format=kind,
        schema=schema,
        row_count=rows,
        content_hash=digest,
        size_bytes=size,
        encoding=encoding if kind == "csv" else "",
    )
