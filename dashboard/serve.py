"""`python -m dashboard.serve --address HOST --port PORT`: every page, one Panel server."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from typing import Any

import panel as pn

from dashboard import downloads, reports, session
from dashboard.auth import extra_patterns
from dashboard.i18n import t
from dashboard.shell import PAGES, build_page, page_title


def _page(slug: str) -> Callable[[], Any]:
    def page() -> Any:
        module = importlib.import_module(f"dashboard.pages.{PAGES[slug]}")
        return build_page(slug, module.build)

    page.__name__ = f"page_{slug.replace('-', '_')}"
    return page


def applications() -> dict[str, Callable[[], Any]]:
    return {slug: _page(slug) for slug in PAGES}


def titles() -> dict[str, str]:
    return {slug: page_title(key, "fr") for slug, key in PAGES.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=t("app"))
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5006)
    parser.add_argument("--allow-websocket-origin", action="append", default=None)
    args = parser.parse_args(argv)
    from healthai.access import check_secrets
    from healthai.settings import get_settings

    settings = get_settings()
    check_secrets(settings)  # no sign-in with a missing or published secret
    # import every page (and Matplotlib, which draws the charts) once, before the first
    # visitor waits for it
    import matplotlib.figure  # noqa: F401

    for module in PAGES.values():
        importlib.import_module(f"dashboard.pages.{module}")
    origins = args.allow_websocket_origin or [
        f"{args.address}:{args.port}",
        f"localhost:{args.port}",
    ]
    pn.serve(
        applications(),
        title=titles(),
        address=args.address,
        port=args.port,
        show=False,
        websocket_origin=origins,
        extra_patterns=[
            *extra_patterns(),
            *downloads.patterns(),
            *reports.patterns(),
            *session.patterns(),
        ],
        static_dirs={},
        # the same request limits as the API (tornado would read 100 MB bodies); the client
        # address is the peer's (X-Forwarded-For only from TRUSTED_PROXIES, healthai.access)
        http_server_kwargs={
            "max_body_size": settings.max_request_body_bytes,
            "max_header_size": settings.max_request_header_bytes,
            "xheaders": False,
        },
    )


if __name__ == "__main__":
    main()
