"""`python -m bench.serve_app MODULE:APP PORT WORKERS`: a baseline app served with the
options `skycache serve` uses (entrypoints/http/serving/options.py), protocol included."""

from __future__ import annotations

import sys

import uvicorn

from entrypoints.http.serving.options import UVICORN_OPTIONS


def main(argv: list[str]) -> None:
    app, port, workers = argv
    uvicorn.run(
        app, host="127.0.0.1", port=int(port), workers=int(workers), log_level="warning",
        **UVICORN_OPTIONS,
    )  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1:])
