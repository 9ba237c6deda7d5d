"""A fake OpenWeatherMap: a real HTTP server speaking its current-weather API (/data/2.5/weather).

Like the fake Open-Meteo (whose process handling it reuses), it runs in its own process
and is steered over HTTP (POST /_control, GET /_calls, POST /_reset) or through the handle:

    fake = FakeOpenWeatherMap().start()       # accepts only appid=fake.api_key, else 401
    fake.set(mode="error503", latency_s=0.2)
    fake.calls()                              # {"weather": 1}

Modes: ok, error401, error429, error500, error503 (an HTML body, as from a gateway),
timeout (hangs 30 s), bad_json, missing_fields, wrong_shape, refuse, null_humidity (the real
body with `main.humidity` null), no_weather (`weather: []`). Unknown cities get
OpenWeatherMap's 404 {"cod":"404","message":"city not found"} in every mode but these.
"""

from tests.support.fake_openweathermap.handle import FakeOpenWeatherMap

__all__ = ["FakeOpenWeatherMap"]
