"""Speed benchmarks: scripts that print figures, never tests (DESIGN.md: speed is measured, not asserted).

Each module in this package is one benchmark with a `main(argv: list[str]) -> int`
and a one-line docstring. Run them with `make bench` (all) or `python -m benchmarks NAME`;
`python -m benchmarks --list` shows what is there. Record the figures in docs/benchmarks.md.
"""
