"""Display names of the embedded data's areas, for outputs whose payloads carry only ids."""

from __future__ import annotations

from functools import lru_cache

import yaml

from burdenshift.domain.reader import DEFAULT_DATA


@lru_cache(maxsize=1)
def area_names() -> dict[str, str]:
    """{area id: its name} from the embedded areas.yaml (an id not there keeps its id)."""
    found = yaml.safe_load((DEFAULT_DATA / "areas.yaml").read_text(encoding="utf-8")) or {}
    return {code: a.get("name", code) for code, a in found.get("areas", {}).items()}


def area_name(code: str) -> str:
    return area_names().get(code, code)
