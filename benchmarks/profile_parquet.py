"""Profile a generated 5,000,000-row Parquet file with the catalog's DuckDB engine: wall time and peak RSS.

Targets (issue 3): under 10 s and under 2 GiB. The file has numeric, text and date
columns (with nulls, a low- and a high-cardinality text column) and is written in
chunks with pyarrow, so generating it never holds the whole table in memory. The
profile runs in a child process, whose peak resident memory (`ru_maxrss` from
`os.wait4`) includes the Python interpreter and Django.

    python -m benchmarks profile_parquet [-- --rows 5000000 --keep --threads N --memory-limit 1GB]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 10.0
TARGET_BYTES = 2 * 1024**3
CHUNK_ROWS = 500_000


def generate(path: Path, rows: int, *, seed: int = 7) -> None:
    """Write `rows` rows of synthetic card transactions to `path`, CHUNK_ROWS at a time."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    random = np.random.default_rng(seed)
    countries = np.array(
        ["DE", "FR", "ES", "IT", "NL", "BE", "PL", "SE", "AT", "PT", "IE", "DK", "FI", "CZ", "GR"]
    )
    merchants = np.array([f"merchant-{index:05d}" for index in range(5_000)])
    channels = np.array(["card-present", "online", "contactless", "recurring"])
    start = np.datetime64("2024-01-01T00:00:00", "s")
    schema = pa.schema(
        [
            ("transaction_id", pa.int64()),
            ("amount", pa.float64()),
            ("quantity", pa.int32()),
            ("risk_score", pa.float64()),
            ("is_fraud", pa.bool_()),
            ("country", pa.string()),
            ("merchant", pa.string()),
            ("channel", pa.string()),
            ("customer", pa.string()),
            ("booked_on", pa.date32()),
            ("authorised_at", pa.timestamp("s")),
        ]
    )
    with pq.ParquetWriter(path, schema, compression="snappy") as writer:
        for offset in range(0, rows, CHUNK_ROWS):
            size = min(CHUNK_ROWS, rows - offset)
            amount = random.lognormal(3.5, 1.1, size).round(2)
            amount_mask = random.random(size) < 0.05
            seconds = random.integers(0, 365 * 24 * 3600, size)
            moments = start + seconds.astype("timedelta64[s]")
            customers = random.integers(0, 1_000_000, size)
            chunk = pa.table(
                {
                    "transaction_id": pa.array(np.arange(offset, offset + size, dtype=np.int64)),
                    "amount": pa.array(amount, mask=amount_mask),
                    "quantity": pa.array(random.integers(1, 20, size, dtype=np.int32)),
                    "risk_score": pa.array(random.normal(0.2, 0.1, size)),
                    "is_fraud": pa.array(random.random(size) < 0.01),
                    "country": pa.array(countries[random.integers(0, len(countries), size)]),
                    "merchant": pa.array(merchants[random.zipf(1.3, size) % len(merchants)]),
                    "channel": pa.array(
                        channels[random.integers(0, len(channels), size)], mask=random.random(size) < 0.02
                    ),
                    "customer": pa.array(np.char.add("customer-", customers.astype(str))),
                    "booked_on": pa.array(moments.astype("datetime64[D]")),
                    "authorised_at": pa.array(moments),
                },
                schema=schema,
            )
            writer.write_table(chunk)


def child(path: str, threads: int | None, memory_limit: str | None) -> None:
    """Run in the child process: profile the file and print the timing and a summary as JSON."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.base")
    import django

    django.setup()
    from apps.catalog.profiling.files import profile_file

    started = time.perf_counter()
    result = profile_file(path, threads=threads, memory_limit=memory_limit)
    elapsed = time.perf_counter() - started
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "rows": result.row_count,
                "columns": len(result.columns),
                "engine": result.engine,
                "distinct": result.distinct_method,
                "customer_distinct": result.columns["customer"]["distinct"],
                "amount_nulls": result.columns["amount"]["nulls"],
            }
        )
    )


def _profile_in_child(path: Path, threads: int | None, memory_limit: str | None) -> tuple[dict, int]:
    """(summary, peak RSS in bytes) of a child process that profiles `path`."""
    code = (
        "import sys, benchmarks.profile_parquet as b; "
        "b.child(sys.argv[1], int(sys.argv[2]) or None, sys.argv[3] or None)"
    )
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-c", code, str(path), str(threads or 0), memory_limit or ""],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parent.parent,
    )
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"The profiling child failed with exit code {process.returncode}.")
    peak = usage.ru_maxrss * 1024  # kilobytes on Linux
    return json.loads(output.decode().strip().splitlines()[-1]), peak


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks profile_parquet")
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--threads", type=int, default=0, help="DuckDB threads (0: settings/default)")
    parser.add_argument("--memory-limit", default="", help="DuckDB memory_limit (default: settings)")
    parser.add_argument("--keep", action="store_true", help="keep the generated file")
    options = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="atrium-bench-"))
    path = folder / "transactions.parquet"
    try:
        started = time.perf_counter()
        generate(path, options.rows)
        generated = time.perf_counter() - started
        size = path.stat().st_size
        print(
            f"generated {options.rows:,} rows × 11 columns, {size / 1024**2:.0f} MiB, "
            f"in {generated:.1f} s: {path}"
        )
        summary, peak = _profile_in_child(path, options.threads or None, options.memory_limit or None)
        seconds = summary["seconds"]
        approx = "≈ " if summary["distinct"] == "approximate" else ""
        print(
            f"profiled {summary['rows']:,} rows × {summary['columns']} columns with {summary['engine']} "
            f"({summary['distinct']} distinct counts; customers {approx}{summary['customer_distinct']:,}, "
            f"amount nulls {summary['amount_nulls']:,})"
        )
        print(
            f"wall time  {seconds:6.2f} s     target < {TARGET_SECONDS:.0f} s     "
            f"{_verdict(seconds < TARGET_SECONDS)}"
        )
        print(f"peak RSS   {peak / 1024**2:6.0f} MiB   target < 2048 MiB   {_verdict(peak < TARGET_BYTES)}")
        print(f"cores {os.cpu_count()}, Python {sys.version.split()[0]}")
        return 0 if seconds < TARGET_SECONDS and peak < TARGET_BYTES else 1
    finally:
        if options.keep:
            print(f"kept {path}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def _verdict(ok: bool) -> str:
    return "ok" if ok else "OVER TARGET"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
