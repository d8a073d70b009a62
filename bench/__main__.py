"""`make bench`: run every benchmark, print its table and write bench/results/<name>.json.

Usage: python -m bench [NAME ...] [--size N]
"""

from __future__ import annotations

import argparse
import importlib
import sys

BENCHMARKS = ["web_load", "fhir_export", "fhir_import", "analytics", "synth"]  # `load` runs on its own (make load)


def main() -> int:
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("names", nargs="*", default=BENCHMARKS)
    parser.add_argument("--size", type=int, default=None, help="size parameter passed to each benchmark")
    args = parser.parse_args()
    failed = 0
    for name in args.names:
        module = importlib.import_module(f"bench.{name}")
        result = module.run(**({"size": args.size} if args.size else {}))
        print(result.table())
        print(f"-> {result.save()}\n")
        failed += sum(1 for m in result.measurements if m.met is False)
    print("targets missed:", failed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
