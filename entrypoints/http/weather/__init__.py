"""GET /weather and POST /weather/batch: the route, its parameters, its answer, the fast path
in front of it and its OpenAPI documentation."""

WEATHER_PATH = "/weather"
