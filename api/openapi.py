"""The OpenAPI document as committed in docs/openapi.json (regenerate: `make openapi`)."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from healthai.settings import PROJECT_ROOT, Settings

OPENAPI_PATH = PROJECT_ROOT / "docs" / "openapi.json"


def render() -> str:
    from api.main import create_app

    # throwaway secrets: the document does not depend on them, and the app requires some
    settings = Settings(
        database_url="sqlite://",
        jwt_secret=secrets.token_urlsafe(48),
        pseudonym_secret=secrets.token_urlsafe(48),
    )
    app = create_app(settings)
    return json.dumps(app.openapi(), indent=2, ensure_ascii=False) + "\n"


def write(path: Path = OPENAPI_PATH) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(), encoding="utf-8")
    return path


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="write the API's OpenAPI document")
    parser.add_argument("--output", help="another path than docs/openapi.json")
    args = parser.parse_args()
    print(write(Path(args.output) if args.output else OPENAPI_PATH))


if __name__ == "__main__":
    main()
