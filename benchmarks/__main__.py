"""`python -m benchmarks [NAME …] [-- ARGS]`: run every benchmark module, or the named ones."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path

import benchmarks


def available() -> dict[str, str]:
    """Benchmark module names and their one-line descriptions."""
    found = {}
    for module in sorted(pkgutil.iter_modules([str(Path(benchmarks.__file__).parent)]), key=lambda m: m.name):
        if module.name.startswith("_"):
            continue
        loaded = importlib.import_module(f"benchmarks.{module.name}")
        if callable(getattr(loaded, "main", None)):
            found[module.name] = (loaded.__doc__ or "").strip().splitlines()[0] if loaded.__doc__ else ""
    return found


def main(argv: list[str]) -> int:
    names, extra = (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    known = available()
    if names in (["--list"], ["-l"]):
        for name, description in known.items():
            print(f"{name:28} {description}")
        return 0
    unknown = [name for name in names if name not in known]
    if unknown:
        print(
            f"No benchmark named {', '.join(unknown)}; available: {', '.join(known) or 'none'}.",
            file=sys.stderr,
        )
        return 2
    failures = 0
    for name in names or list(known):
        print(f"=== {name}: {known[name]}", flush=True)
        started = time.perf_counter()
        status = importlib.import_module(f"benchmarks.{name}").main(list(extra))
        print(f"=== {name} finished in {time.perf_counter() - started:.1f} s (exit {status})", flush=True)
        failures += bool(status)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
