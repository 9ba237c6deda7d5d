"""The /schema docs page: Swagger UI served from files shipped with Skycache, never a CDN."""

from __future__ import annotations

from pathlib import Path

from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin, YamlRenderPlugin
from litestar.static_files import create_static_files_router

# swagger-ui-dist from npm, vendored unmodified with its licence (swagger_ui/README.md).
SWAGGER_UI_VERSION = "5.35.0"
ASSETS_DIR = Path(__file__).with_name("swagger_ui")
ASSETS_PATH = "/assets"  # under the OpenAPI router's /schema


class SelfHostedSwagger(SwaggerRenderPlugin):
    """Swagger UI whose page asks only this server for its scripts, styles and icon.

    Litestar's defaults load them from public CDNs at an unpinned version: a blank page
    offline and whatever those hosts serve today. Here every URL is a path on this server."""

    def __init__(self, schema_path: str) -> None:
        assets = f"{schema_path}{ASSETS_PATH}"
        super().__init__(
            js_url=f"{assets}/swagger-ui-bundle.js",
            css_url=f"{assets}/swagger-ui.css",
            standalone_preset_js_url=f"{assets}/swagger-ui-standalone-preset.js",
            path="/swagger",
            favicon=f"<link rel='icon' type='image/png' href='{assets}/favicon-32x32.png'>",
        )

    def receive_router(self, router: Router) -> None:
        router.register(
            create_static_files_router(
                ASSETS_PATH,
                directories=[ASSETS_DIR],
                name="swagger-ui-assets",
                # The files change only with SWAGGER_UI_VERSION, which changes the app.
                cache_control=CacheControlHeader(max_age=86_400, public=True),
            )
        )
        super().receive_router(router)


def openapi_config(*, title: str, version: str, schema_path: str = "/schema") -> OpenAPIConfig:
    """/schema (Swagger UI), /schema/openapi.json and /schema/openapi.yaml; nothing else."""
    return OpenAPIConfig(
        title=title,
        version=version,
        path=schema_path,
        render_plugins=[SelfHostedSwagger(schema_path), YamlRenderPlugin()],
        # Examples are written by hand on the schemas; generated ones look like real answers.
        create_examples=False,
    )
