"""A browser's cross-origin fetch, in headless Chromium: a page served from another loopback
port reads /weather (and its ETag, with a preflighted If-None-Match) when its origin is in
CORS_ALLOW_ORIGINS, and is refused by the browser when it is not."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import StartApp
from tests.support.chromium import CHROMIUM, LOOPBACK_ONLY, QUIET

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

PAGE = """<!doctype html><html><body><pre id="out">pending</pre><script>
const api = "%(api)s/weather?city=Boise";
async function run() {
  const seen = {};
  try {
    const first = await fetch(api, {cache: "no-store"});
    seen.status = first.status;
    seen.city = (await first.json()).city;
    seen.x_cache = first.headers.get("X-Cache");
    seen.etag = first.headers.get("ETag");
    // A header no simple request may carry: the browser sends a preflight first.
    const again = await fetch(api, {headers: {"If-None-Match": seen.etag}});
    seen.conditional = again.status;
  } catch (error) {
    seen.refused = String(error);
  }
  document.getElementById("out").textContent = JSON.stringify(seen);
}
run();
</script></body></html>"""


class Page(BaseHTTPRequestHandler):
    body = b""  # set once the app's port is known

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *_: Any) -> None:
        pass


def serve() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def page_result(url: str, workdir: Path) -> dict[str, Any]:
    assert CHROMIUM, "chromium is missing: apt-get install chromium"
    command = [
        CHROMIUM,
        *QUIET,
        f"--user-data-dir={workdir / 'profile'}",
        f"--host-resolver-rules={LOOPBACK_ONLY}",
        "--virtual-time-budget=10000",
        "--dump-dom",
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    text = done.stdout.split('<pre id="out">')[1].split("</pre>")[0]
    result: dict[str, Any] = json.loads(text)
    return result


@pytest.fixture
def pages(start_app: StartApp) -> Iterator[tuple[str, str]]:
    """Two pages on two loopback ports, each fetching from one app that allows the first."""
    # The app's port is known only once it runs; the pages are made for it afterwards.
    allowed_server, refused_server = serve(), serve()
    allowed, refused = next(allowed_server), next(refused_server)
    # The near cache keeps the first answer's very bytes, which its ETag names, for the
    # page's conditional request however slowly the browser gets to it.
    app = start_app({"CORS_ALLOW_ORIGINS": allowed, "NEAR_CACHE_TTL": "60"})
    Page.body = (PAGE % {"api": app.url}).encode()  # both serve the page fetching from it
    try:
        yield allowed, refused
    finally:
        for server in (allowed_server, refused_server):
            server.close()


def test_an_allowed_origin_reads_the_api_and_another_is_refused_by_the_browser(
    pages: tuple[str, str], tmp_path: Path
) -> None:
    allowed, refused = pages
    read = page_result(allowed, tmp_path / "allowed")
    assert read["status"] == 200 and read["city"] == "Boise"
    assert read["x_cache"] in ("MISS", "HIT")
    assert read["etag"].startswith('"')
    assert read["conditional"] == 304  # the preflighted If-None-Match, answered unchanged
    blocked = page_result(refused, tmp_path / "refused")
    assert "refused" in blocked and "status" not in blocked
    assert "Failed to fetch" in blocked["refused"]
