"""What each environment variable means: the text of docs/CONFIGURATION.md, beside the code."""

from __future__ import annotations

# One entry per variable Settings reads itself (the providers' own variables carry their help
# in their SPEC), plus the one read by uvicorn (EXTERNAL); a test fails when a Settings
# field has none, or an entry names no variable.
HELP: dict[str, str] = {
    "WEATHER_TTL": ("Seconds a fetched weather stays fresh (≥ 1)."),
    "WEATHER_STALE_TTL": (
        "Seconds after the fetch that a stale copy may still be served (while refreshing, or "
        "when the upstream fails)."
    ),
    "WEATHER_TTL_JITTER": (
        "Up to this many random seconds added to each entry's freshness, so cities filled "
        "together don't expire together; `0` turns jitter off."
    ),
    "NEGATIVE_TTL": ("Seconds an unknown city is remembered (404 with no upstream call; ≥ 1)."),
    "UNUSABLE_TTL": (
        "Seconds a city whose upstream answer was unusable (temperature missing, null or out of "
        "range, a field of the wrong type, a 4xx for its coordinates) is remembered: repeated "
        "within it, it is a `502` with no upstream call (≥ 1)."
    ),
    "REFRESH_BACKOFF": ("First wait in seconds after a failed refresh; doubles on each failure."),
    "REFRESH_BACKOFF_MAX": ("Cap on that wait."),
    "XFETCH_BETA": (
        "Above 0, refreshes hot entries early at random (XFetch); higher means earlier; `1` is "
        "the paper's value. `0` = off."
    ),
    "LOCK_TTL": (
        "Seconds a fetch lease lives unless its holder extends it (it does, every third of it)."
    ),
    "LOCK_WAIT_TIMEOUT": (
        "Longest a request waits for another worker's fetch before a 503; unset, as long as "
        "that fetch may take plus the lock's own wait: one `LOCK_TTL`, one "
        "`REDIS_BREAKER_RESET` and a Redis restart's half second (29.25 s at the defaults); "
        "a value below that is refused at start-up (see `docs/TIMING.md`)."
    ),
    "SKYCACHE_CACHE": (
        "`redis` (refuse to start without it), `memory` (per process), `auto` (Redis if it "
        "answers, else memory with a loud warning)."
    ),
    "REDIS_URL": (
        "`redis://` or `rediss://` (TLS; `?ssl_ca_certs=/path/ca.pem` or "
        "`?ssl_cert_reqs=none`); may carry a user, password and db number."
    ),
    "REDIS_SENTINELS": (
        "Sentinel mode: `host:port,host:port` of the Sentinels to ask where the primary is (see "
        "[Scaling out](SCALING.md)). `REDIS_URL` then gives only the user, password, db and "
        "TLS; its host is not used. Not with `REDIS_CLUSTER_NODES`."
    ),
    "REDIS_SENTINEL_MASTER": (
        "The name the Sentinels know the primary by (`sentinel monitor <name> ...`)."
    ),
    "REDIS_CLUSTER_NODES": (
        "Redis Cluster mode: `host:port,host:port`, any subset of the cluster's nodes (the rest "
        "are discovered). User, password and TLS still come from `REDIS_URL`, whose db must be "
        "`0`. Not with `REDIS_SENTINELS`."
    ),
    "REDIS_POOL_MAX": ("Max Redis connections per worker (on a cluster: per worker and node)."),
    "REDIS_POOL_IDLE": (
        "Seconds after which pooled Redis connections that stood unused all that time are "
        "closed, down to the few each pool opens at start-up (never one in use); `0` keeps "
        "every connection opened (at least 0.1 otherwise; see `docs/OPERATIONS.md`)."
    ),
    "REDIS_TIMEOUT": (
        "Seconds per Redis command (and per wait for a pooled connection); a slow Redis counts "
        "as a miss."
    ),
    "REDIS_BREAKER_FAILURES": (
        "Consecutive Redis failures that open its breaker (Redis is skipped until a probe "
        "succeeds)."
    ),
    "REDIS_BREAKER_RESET": ("Seconds the Redis breaker stays open before one probe."),
    "LOCAL_COPY_SIZE": (
        "Last-good entries kept per worker and served while Redis is down; `0` disables it."
    ),
    "LOCAL_COPY_SHARED": (
        "Each worker keeps last-good copies of every entry written anywhere in the deployment "
        "(one PUBLISH per write, heard by every worker), so an entry Redis evicts or loses "
        "is still served stale while the upstream fails; `false`: only of what it read."
    ),
    "RATE_LIMIT": (
        "Per-client limit such as `100/minute` (second, minute, hour or day), answered with 429 "
        "and `Retry-After`; counted in front of the near cache, shared by every worker."
    ),
    "METRICS_FLUSH_INTERVAL": (
        "Seconds between flushes of each worker's /stats counters to Redis."
    ),
    "WEATHER_PROVIDER": (
        "`open-meteo`, `openweathermap`, `simulated`, or a comma list to fail over through in "
        "order (`open-meteo,openweathermap`)."
    ),
    "FORECAST_TTL": (
        "Seconds a gateway forecast or air-quality location stays fresh, plus the "
        "`WEATHER_TTL_JITTER` jitter (≥ 1): docs/GATEWAY.md."
    ),
    "FORECAST_FRESHNESS": (
        "`ttl`: gateway forecast and air-quality locations stay fresh for `FORECAST_TTL`; "
        "`model-runs`: until their model's next run is available plus `MODEL_RUN_MARGIN` "
        "(falling back to `FORECAST_TTL` when the model's run times cannot be read): "
        "docs/GATEWAY.md."
    ),
    "MODEL_RUN_MARGIN": (
        "Seconds after a model's next run becomes available before a gateway location "
        "following it is refreshed (Open-Meteo advises 10 to 15 minutes) (≥ 0)."
    ),
    "MODEL_RUN_REFRESH": (
        "Seconds each process keeps a model's run times (`meta.json`) before reading them "
        "again (≥ 1)."
    ),
    "ARCHIVE_TTL": (
        "Seconds a gateway archive location stays fresh once its range has settled (ends more "
        "than 5 days ago) (≥ 1)."
    ),
    "UPSTREAM_TIMEOUT": (
        "Seconds for one upstream HTTP request, every byte of the body included (connect at "
        "most 2 s); a provider call allows its requests in sequence (Open-Meteo: geocoding, "
        "then forecast), and every other bound of a fetch follows from this one "
        "(`docs/TIMING.md`)."
    ),
    "UPSTREAM_MAX_BODY": (
        "Largest upstream response body in bytes (after decompression); a larger one is "
        "abandoned as it streams in and answered `502`, nothing cached (≥ 1024)."
    ),
    "UPSTREAM_RETRY_AFTER_MAX": (
        "Ceiling in seconds on an upstream 429's `Retry-After` (seconds or an HTTP date; "
        "negative or garbage = absent), and on the `Retry-After` the service sends its clients."
    ),
    "UPSTREAM_CONCURRENCY": (
        "Upstream calls in flight per provider per worker (Open-Meteo's free tier serves one at "
        "a time per client)."
    ),
    "UPSTREAM_RETRIES": (
        "Retries of a timed-out, refused or 5xx upstream call (0 or 1); 4xx and 429 are never "
        "retried."
    ),
    "BREAKER_FAILURES": ("Consecutive failed calls that open the provider's breaker."),
    "BREAKER_RESET": ("Seconds the provider breaker stays open before one trial call."),
    "UPSTREAM_MAX_PER_MINUTE": (
        "Upstream HTTP calls (a geocoding and a forecast are two; retries count) in any 60 s, "
        "shared by every worker and instance through Redis, per provider. Unset: Open-Meteo "
        "600, OpenWeatherMap 60, simulated unlimited. `0` = unlimited. See [The upstream "
        "budget](OPERATIONS.md#the-upstream-budget)."
    ),
    "UPSTREAM_MAX_PER_HOUR": ("Same, in any hour (Open-Meteo: 5,000; OpenWeatherMap: unlimited)."),
    "UPSTREAM_MAX_PER_DAY": ("Same, in any 24 h (Open-Meteo: 10,000; OpenWeatherMap: unlimited)."),
    "UPSTREAM_MAX_PER_MONTH": (
        "Same, in any 31 days (OpenWeatherMap: 1,000,000; Open-Meteo: unlimited)."
    ),
    "UPSTREAM_MISSES_PER_CLIENT": (
        "Upstream fetches per client address (misses, and the refreshes its reads start), "
        "answered 429 with `Retry-After` beyond it; hits are free, and a fetch that reached "
        "no upstream is given back. Written like `RATE_LIMIT`; `0` = off. Off by default with "
        "`WEATHER_PROVIDER=simulated`."
    ),
    "UPSTREAM_BUDGET_SHARES": (
        "While Redis is down (or with `SKYCACHE_CACHE=memory`) each worker spends 1/N of every "
        "budget alone; N is this, e.g. instances x workers. `0` = the `--workers` count."
    ),
    "NEAR_CACHE_TTL": (
        "Seconds a worker answers a hot city from memory without touching Redis (0 = off)."
    ),
    "NEAR_CACHE_SIZE": ("Entries in each worker's near cache (0 = off)."),
    "COORD_GRID": (
        "Degrees (0 < grid ≤ 10) that `lat`/`lon` are snapped to: every point of one cell "
        "(0.01° ≈ 1 km) shares one cache entry and one upstream call."
    ),
    "CORS_ALLOW_ORIGINS": (
        "Comma list of origins (`https://app.example.com`) whose browser scripts may read the "
        "API, or `*` for any; credentials are never allowed. Preflights are answered; every "
        "answer then carries `Vary: Origin`."
    ),
    "LOG_LEVEL": ("`debug`, `info`, `warning` or `error`, for the JSON logs."),
    "LOG_REQUESTS": (
        "One info JSON line per request (method, path, status, latency, cache outcome)."
    ),
    "STATUS_PAGE": (
        "Serve the live status page `/status` and its JSON `/status/data` (`false`: both "
        "absent, 404)."
    ),
    "ADMIN_TOKEN": (
        "Enables `DELETE /admin/cache/{city}` and `POST /admin/warm`, which require "
        "`Authorization: Bearer <ADMIN_TOKEN>` (401 without it, 403 with another); unset, the "
        "routes do not exist. A secret: never logged."
    ),
    "METRICS_TOKEN": (
        "Puts `/metrics` behind `Authorization: Bearer <METRICS_TOKEN>` (Prometheus: "
        "`authorization: {credentials: ...}`); unset, `/metrics` is open. A secret."
    ),
    "SKYCACHE_WORKERS": (
        "How many workers share this instance; `skycache serve --workers N` sets it for its "
        "workers, which divide the upstream budget by it while Redis is down. The Docker "
        "image's `CMD` starts `${SKYCACHE_WORKERS:-2}` workers."
    ),
    "SHUTDOWN_DELAY": (
        "Seconds between SIGTERM and closing the listener: `/readyz` answers `503` from the "
        "signal on while requests are still accepted, so a load balancer polling it stops "
        "routing here first; then requests in flight drain (up to 10 s) and the process "
        "exits. `0`: the listener closes at once; at most `60`. On Kubernetes the pod's "
        "`preStop` sleep does this wait instead (docs/OPERATIONS.md, Kubernetes)."
    ),
    "SKYCACHE_RUN_DIR": (
        "The one directory the workers of an instance share: `metrics/`, the Prometheus "
        "values every worker writes for `/metrics` (`skycache serve` points "
        "`PROMETHEUS_MULTIPROC_DIR` there), and, while Redis is unreachable, `locks/` (the "
        "stampede lock as a file per city, so the instance still fetches a cold city once, "
        "not once per worker) and `copies/`. `skycache serve` makes a fresh one and removes "
        "it at exit; a given one is kept, its parts emptied at start. Unset in a worker (the "
        "app started another way), each worker coalesces only its own requests during an "
        "outage and counts its own metrics."
    ),
}

# Read outside Settings (by uvicorn): name, default, help.
EXTERNAL: dict[str, tuple[str, str]] = {
    "FORWARDED_ALLOW_IPS": (
        "`127.0.0.1`",
        (
            "Read by uvicorn: peers whose `X-Forwarded-For` names the client (per-client "
            "limits count clients by it). The compose file sets `*`: only its nginx `edge` "
            "can reach the app."
        ),
    ),
}

# What the table shows as the default where the field's own default is a placeholder (None,
# 0 or empty) whose meaning depends on other settings.
SHOWN_DEFAULTS: dict[str, str] = {
    "LOCK_WAIT_TIMEOUT": "derived: docs/TIMING.md",
    "UPSTREAM_MAX_PER_MINUTE": "the provider's free tier",
    "UPSTREAM_MAX_PER_HOUR": "the provider's free tier",
    "UPSTREAM_MAX_PER_DAY": "the provider's free tier",
    "UPSTREAM_MAX_PER_MONTH": "the provider's free tier",
    "UPSTREAM_MISSES_PER_CLIENT": "60/minute (off with only the simulated provider)",
    "UPSTREAM_BUDGET_SHARES": "the worker count",
    "SKYCACHE_RUN_DIR": "a temp dir per run",
}
