"""What the plan's start-up leaves out: imported by `engine.plan` before linopy or xarray work.

- **dask.** xarray asks, on nearly every operation, whether an array is a dask array, and
  answers by importing dask (0.5 s) and, on the first DataArray, `dask.array` (about 1 s more on
  this machine): a plan paid for both on every start, though no array of it is ever a dask
  array. No object can be a dask collection before dask itself has been imported, so until then
  the answer is no without the import; once dask is imported (a sweep's workers), xarray's own
  checks answer again.
- **requests.** linopy imports `requests` (0.4 s) for its OET cloud handler, which also needs
  google-cloud-storage; where that is not installed the handler is unavailable either way, so
  linopy is imported with `requests` refused, and `requests` stays importable afterwards.

Both are idempotent and leave a process that already imported dask, linopy or requests as it is.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Any

_installed: list[bool] = []


def install() -> None:
    """Both of the above (each a no-op where it does not apply)."""
    lazy_dask()
    linopy_without_requests()


def linopy_without_requests() -> None:
    """Import linopy without `requests` where its cloud handler could not work anyway."""
    if "linopy" in sys.modules or "requests" in sys.modules:
        return
    try:
        cloud = importlib.util.find_spec("google.cloud.storage") is not None
    except ModuleNotFoundError:  # no google namespace at all
        cloud = False
    if cloud:
        return
    sys.modules["requests"] = None  # type: ignore[assignment]  # import requests: ImportError
    try:
        import linopy  # noqa: F401
    finally:
        if "requests" in sys.modules and sys.modules["requests"] is None:
            del sys.modules["requests"]


def lazy_dask() -> None:
    """Make xarray's dask checks lazy (a no-op if this xarray lacks the hooks patched)."""
    if _installed or "dask" in sys.modules:
        return
    _installed.append(True)
    try:
        from xarray.namedarray import pycompat
        from xarray.namedarray import utils as named
    except ImportError:  # another xarray layout: keep its own behaviour
        return
    real_check = getattr(named, "is_dask_collection", None)
    cache = getattr(pycompat, "_cached_duck_array_modules", None)
    module_type = getattr(pycompat, "DuckArrayModule", None)
    if real_check is None or not isinstance(cache, dict) or module_type is None:
        return

    def is_dask_collection(x: object) -> bool:
        return "dask" in sys.modules and bool(real_check(x))

    named.is_dask_collection = is_dask_collection

    class _DaskOnceImported(module_type):  # type: ignore[misc, valid-type]
        """xarray's record of the dask module, read only once dask has been imported."""

        def __init__(self) -> None:
            self._real: Any = None

        def _get(self) -> Any:
            if self._real is None and "dask.array" in sys.modules:
                self._real = module_type("dask")
            return self._real

        @property  # type: ignore[override]
        def type(self) -> tuple[type[Any], ...]:
            real = self._get()
            return real.type if real is not None else ()

        @property  # type: ignore[override]
        def module(self) -> Any:
            real = self._get()
            return real.module if real is not None else None

        @property  # type: ignore[override]
        def available(self) -> bool:
            real = self._get()
            return bool(real.available) if real is not None else False

        @property  # type: ignore[override]
        def version(self) -> Any:
            real = self._get()
            if real is not None:
                return real.version
            from packaging.version import Version

            return Version("0.0.0")

    cache.setdefault("dask", _DaskOnceImported())


install()
