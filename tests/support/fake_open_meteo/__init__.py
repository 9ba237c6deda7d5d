"""A fake Open-Meteo: a real HTTP server speaking Open-Meteo's geocoding and forecast API.

It runs in its own process (uvicorn, on an inherited loopback socket), so that it keeps
up with a stampede on its own core and app servers in other processes can use it too.
Steer it over HTTP (POST /_control, GET /_calls, POST /_reset; GET /_forecasts lists every
forecast call as [point, start, end, mode]) or through this handle:

    fake = FakeOpenMeteo().start()
    fake.set(mode="error429", endpoint="forecast")   # or latency_s=0.2, weather_code=95
    fake.calls()                                     # {"geocoding": 1, "forecast": 1}

Modes: ok, error400, error429 (Retry-After: 60, or `retry_after="..."` as sent), error500,
timeout (hangs 30 s), bad_json, missing_fields, wrong_shape, refuse; for the forecast
null_humidity, null_weather_code, null_temperature, missing_temperature, float_code, hot
(5000 °C); for geocoding error_200, empty_object, long_name (500 characters); for either
trickle (headers at once, then a byte a second) and huge_body (`body_bytes`, 300 MB by
default, streamed without a Content-Length and never held). `only=["Boise"]` limits the
mode to requests for those cities (the forecast by their coordinates). "refuse" drops each
connection before the response completes (ASGI cannot refuse a connection); for a port
that truly refuses connections, use `closed_port_url()`.

The gateway's upstream (/v1/forecast with several points or FlatBuffers, /v1/air-quality,
/v1/archive, /data/<model>/static/meta.json) is served by gateway_mount.py and steered
apart: `fake.gateway_set(mode="error500", latency_s=0.2, new_run=True)`, `fake.gateway_calls()`.
"""

from tests.support.fake_open_meteo.handle import FakeOpenMeteo, closed_port_url

__all__ = ["FakeOpenMeteo", "closed_port_url"]
