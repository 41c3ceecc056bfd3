"""The OpenAPI document as committed in docs/openapi.json (regenerate: `make openapi`)."""

from __future__ import annotations

import json
from pathlib import Path

from healthai.settings import PROJECT_ROOT, Settings

OPENAPI_PATH = PROJECT_ROOT / "docs" / "openapi.json"


def render() -> str:
    from api.main import create_app

    app = create_app(Settings(database_url="sqlite://", environment="development"))
    return json.dumps(app.openapi(), indent=2, ensure_ascii=False) + "\n"


def write(path: Path = OPENAPI_PATH) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(), encoding="utf-8")
    return path
