"""Serve the fake OpenWeatherMap: `python -m tests.support.fake_openweathermap --port 8090`."""

from __future__ import annotations

from tests.support.fake_open_meteo.__main__ import fake_parser, serve
from tests.support.fake_openweathermap.app import build_app


def main() -> None:
    parser = fake_parser("Serve a fake OpenWeatherMap API.", port=8090)
    parser.add_argument("--api-key", default="fake-owm-key", help="the one appid accepted")
    parser.add_argument("--accept-any", action="store_true", help="know every city name")
    args = parser.parse_args()
    serve(build_app(api_key=args.api_key, accept_any=args.accept_any), args)


if __name__ == "__main__":
    main()
