"""The edge tier's nginx configuration, complete, for given instances and a state directory.

The edge keeps no freshness rule of its own: it caches what Skycache's Cache-Control allows
(max-age, stale-while-revalidate, stale-if-error), revalidates with Skycache's ETag, and
lets one request per key through while the rest wait (proxy_cache_lock). Everything a
miss needs (one upstream call cluster-wide, the shared budget) stays Skycache's.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

# Only these are cached (GET and HEAD), each keyed on its whole query string (the gateway's
# Open-Meteo paths too); every other path (/stats, /healthz, /metrics, /status, /admin,
# /schema) passes through, uncached.
CACHED_PATHS = ("/weather", "/weather/batch", "/v1/forecast", "/v1/air-quality", "/v1/archive")
TEMP_KINDS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
# Refused in the state directory: each would end a directive or a block, or be read by
# nginx inside a quoted path as an escape (\\) or a variable ($). Spaces are quoted.
_NOT_IN_PATHS = frozenset(";{}\"'\\$")


@dataclass(frozen=True, slots=True)
class Address:
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def parse_address(text: str) -> Address:
    """HOST:PORT, with [v6]:PORT for IPv6; ValueError says what is wrong."""
    host, sep, port = text.rpartition(":")
    if not sep or not host:
        raise ValueError(f"{text!r} is not HOST:PORT")
    host = host.removeprefix("[").removesuffix("]")
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"{text!r}: the port must be 1 to 65535")
    if any(c.isspace() or c in ";{}#'\"" for c in host):
        raise ValueError(f"{text!r}: not a host name or address")
    return Address(host, int(port))


def parse_state_dir(text: str) -> Path:
    """The state directory as an absolute path nginx can be given in double quotes;
    ValueError says what is wrong."""
    state = Path(text).resolve()
    shown = str(state)
    if any(ord(c) < 32 or ord(c) == 127 for c in shown):
        raise ValueError(f"{text!r}: a control character (a newline?) in the state directory")
    if _NOT_IN_PATHS & set(shown):
        refused = " ".join(sorted(_NOT_IN_PATHS))
        raise ValueError(f"{text!r}: the state directory may not contain any of {refused}")
    return state


def state_dirs(state: Path) -> list[Path]:
    """What nginx must find, writable, under the state directory."""
    return [state / "logs", state / "cache", *(state / "temp" / kind for kind in TEMP_KINDS)]


def render(listen: Address, instances: list[Address], state: Path) -> str:
    state = parse_state_dir(str(state))
    servers = "\n".join(
        f"        server {instance} max_fails=1 fail_timeout=2s;" for instance in instances
    )
    temps = "\n".join(f'    {kind}_temp_path "{state}/temp/{kind}";' for kind in TEMP_KINDS)
    cached = "\n".join(_cached_location(path) for path in CACHED_PATHS)
    command = " ".join(
        ["skycache edge-config", f"--listen {listen}"]
        + [f"--instance {instance}" for instance in instances]
        + [f"--dir {shlex.quote(str(state))}"]
    )
    return _TEMPLATE.format(
        state=state,
        shell_state=shlex.quote(str(state)),
        listen=listen,
        servers=servers,
        temps=temps,
        cached=cached,
        command=command,
    )


def _cached_location(path: str) -> str:
    head = f"        location = {path} {{\n            proxy_pass http://skycache;\n"
    return head + _CACHE_RULES + "        }\n"


# Freshness comes from Skycache's headers only: no proxy_cache_valid. A response without
# Cache-Control, or with no-store / max-age=0, is not kept.
_CACHE_RULES = """            proxy_cache skycache_edge;
            # The request as Skycache sees it: path and query, whatever the Host said.
            proxy_cache_key $uri$is_args$args;
            proxy_cache_methods GET HEAD;
            # A burst for one key at this edge makes one request to Skycache; the rest
            # wait for its answer (up to 10 s, then go through uncached).
            proxy_cache_lock on;
            proxy_cache_lock_timeout 10s;
            proxy_cache_lock_age 10s;
            # Past max-age: ask Skycache with If-None-Match / If-Modified-Since, and serve
            # the stale copy meanwhile (stale-while-revalidate) or while Skycache is
            # unreachable or failing (stale-if-error).
            proxy_cache_revalidate on;
            proxy_cache_background_update on;
            proxy_cache_use_stale updating error timeout http_500 http_502 http_503 http_504;
            # Skycache's Date, kept with the copy: nginx sends no Age, so a client sees how
            # long the copy has been here from it (RFC 9111 4.2.3), max-age counting from it.
            proxy_pass_header Date;
"""

_TEMPLATE = """\
# Skycache's edge: nginx caching /weather and the Open-Meteo gateway's paths by
# Skycache's own Cache-Control and ETag.
# Generated by `{command}`:
# run it again rather than editing this file.
# Run: nginx -p {shell_state} -c THIS_FILE -g 'daemon off;'

worker_processes auto;
worker_rlimit_nofile 16384;
pid "{state}/nginx.pid";
error_log "{state}/logs/error.log" warn;

events {{
    worker_connections 4096;
}}

http {{
    # Buffered: a line per request written in batches, not a write each.
    access_log "{state}/logs/access.log" combined buffer=64k flush=1s;
    server_tokens off;
{temps}
    proxy_cache_path "{state}/cache" levels=1:2 keys_zone=skycache_edge:16m max_size=512m
                     inactive=1d use_temp_path=off;

    upstream skycache {{
        least_conn;
{servers}
        keepalive 64;
    }}

    limit_conn_zone $binary_remote_addr zone=per_client:10m;

    server {{
        listen {listen} backlog=4096;

        # Deadlines for a client: its request line and headers (the slowloris guard
        # uvicorn lacks), then each read of its body and each write of our answer.
        client_header_timeout 10s;
        client_body_timeout 10s;
        send_timeout 10s;
        keepalive_timeout 15s;
        keepalive_requests 10000;
        reset_timedout_connection on;

        # Sizes: a target is at most 2 KB at Skycache (its own 414 answers in JSON below
        # 8 KB); 8 KB a header line, 32 KB in all; bodies only for small batch POSTs and
        # the Open-Meteo SDKs' form POSTs (Skycache takes 64 KB of form).
        client_max_body_size 64k;
        client_header_buffer_size 1k;
        large_client_header_buffers 4 8k;
        # Connections one client address may hold past their headers; more get a 429.
        limit_conn per_client 1024;
        limit_conn_status 429;

        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        # Skycache trusts these (FORWARDED_ALLOW_IPS) so per-client limits see clients.
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_connect_timeout 2s;
        # Longer than a request may wait at Skycache's defaults (docs/TIMING.md: 29.25 s).
        proxy_read_timeout 30s;
        proxy_send_timeout 10s;
        # A refused or reset instance: the request goes to the other one. Skycache's own
        # 502s and 503s are answers (the other instance shares its state), not retried.
        proxy_next_upstream error timeout;
        proxy_next_upstream_tries 2;

        # The edge's verdict (HIT, MISS, EXPIRED, STALE, UPDATING, REVALIDATED) beside
        # Skycache's own X-Cache, which passes through.
        add_header X-Edge-Cache $upstream_cache_status always;

{cached}
        location / {{
            proxy_pass http://skycache;
        }}
    }}
}}
"""
