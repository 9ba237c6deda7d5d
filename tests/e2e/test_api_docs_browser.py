"""GET /schema in headless Chromium that can reach only loopback: the docs still render.

Chromium resolves every host name to nothing but 127.0.0.1, and its network log shows
each request the page made, so a script, stylesheet or font from anywhere else would
both fail and be caught by name. `make test` installs Debian's chromium."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.conftest import StartApp
from tests.support.chromium import CHROMIUM, LOOPBACK_ONLY, QUIET
from tests.support.png import colour_spread

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def render(url: str, workdir: Path) -> tuple[str, Path, list[dict[str, Any]]]:
    """The DOM once the page's scripts ran, a screenshot, and the requests it made."""
    assert CHROMIUM, "chromium is missing: `make test` installs it (apt-get install chromium)"
    shot, netlog = workdir / "schema.png", workdir / "netlog.json"
    command = [
        CHROMIUM,
        *QUIET,
        f"--user-data-dir={workdir / 'profile'}",
        f"--host-resolver-rules={LOOPBACK_ONLY}",
        f"--log-net-log={netlog}",
        "--virtual-time-budget=10000",
        "--window-size=1280,900",
        f"--screenshot={shot}",
        "--dump-dom",
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, shot, page_requests(netlog, top_site=f"http://{urlsplit(url).hostname}")


def page_requests(netlog: Path, *, top_site: str) -> list[dict[str, Any]]:
    """Requests made for the page (its network isolation key is its site), not the
    browser's own background ones, which the resolver rules turn away all the same."""
    log = json.loads(netlog.read_text())
    kinds = {number: name for name, number in log["constants"]["logEventTypes"].items()}
    started = [
        event["params"]
        for event in log["events"]
        if kinds.get(event["type"]) == "URL_REQUEST_START_JOB" and "url" in event.get("params", {})
    ]
    return [r for r in started if r.get("network_isolation_key", "").startswith(top_site)]


def test_the_docs_render_with_nothing_but_this_server_reachable(
    start_app: StartApp, tmp_path: Path
) -> None:
    app = start_app()
    page = httpx.get(f"{app.url}/schema").text
    references = re.findall(r"""(?:src|href)=["']([^"']+)""", page)

    dom, shot, requests = render(f"{app.url}/schema", tmp_path)

    # The served page names only paths on this server: nothing to fetch elsewhere.
    assert len(references) == 4, references  # icon, stylesheet, two scripts
    assert all(ref.startswith("/schema/assets/") for ref in references), references
    # What the browser really fetched for it: the page and those files, all from here.
    origin = app.url
    assert requests, "the network log recorded no request for the page"
    assert {r["url"] for r in requests} == {f"{app.url}/schema"} | {
        f"{origin}{ref}" for ref in references
    }
    # Swagger UI ran: the operation list is in the DOM.
    for path in ("/weather", "/stats", "/healthz", "/metrics"):
        assert f'data-path="{path}"' in dom, f"{path} is not in the rendered docs"
    colours, not_background = colour_spread(shot)
    assert colours >= 16 and not_background >= 0.02, (colours, not_background)


def test_the_docs_assets_are_served_here_with_their_licence(start_app: StartApp) -> None:
    app = start_app()
    with httpx.Client(base_url=app.url) as client:
        script = client.get("/schema/assets/swagger-ui-bundle.js")
        licence = client.get("/schema/assets/LICENSE")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert licence.status_code == 200 and "Apache License" in licence.text
