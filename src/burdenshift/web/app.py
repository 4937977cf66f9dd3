"""The FastAPI application: JSON API (same shapes as the CLI's --json) and the page.

What a request can reach: shipped scenarios by name, scenario text it uploads, the run store
and the loaded data. It never names a file the server opens. Plan and risk work runs on one
bounded job pool; every other blocking call (the store, parsing) runs off the event loop."""

from __future__ import annotations

import atexit
import os
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Query, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, Response
from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from burdenshift.errors import InputError
from burdenshift.web.errors import (
    Refusal,
    _error,
    input_error,
    job_message,
    validation_error,
)
from burdenshift.web.guards import LOCAL_HOSTS, BodyLimit, HostCheck
from burdenshift.web.jobs import INTERNAL_ERROR, Busy, Job, JobPool
from burdenshift.web.levers import (
    CostOfListRequest,
    PlanRequest,
    RiskRequest,
    RunRequest,
    SpendingNeededRequest,
    TimeToStockRequest,
    WeakestRequest,
    apply_levers,
)

if TYPE_CHECKING:
    from burdenshift.domain.world import World
    from burdenshift.store.database import Store

__all__ = ["LOCAL_HOSTS", "MAX_BODY", "_error", "create_app", "default_workers"]

STATIC = Path(__file__).resolve().parent / "static"
MAX_BODY = 256 * 1024
QUEUE = 8
"""Jobs that may wait for a worker; more get 429."""


def default_workers() -> int:
    """Jobs that run at once: half the cores (one on a two-core machine), at most four. Each
    job runs on one core, so the other half answers the page and the API."""
    return max(1, min(4, (os.cpu_count() or 2) // 2))


def _docs_assets() -> Path | None:
    """Swagger UI and ReDoc as files of the fastapi-offline package: /docs works offline."""
    try:
        import fastapi_offline
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    return Path(fastapi_offline.__file__).resolve().parent / "static"


DOCS_ASSETS = {
    "swagger-ui-bundle.js": "application/javascript",
    "swagger-ui.css": "text/css",
    "redoc.standalone.js": "application/javascript",
    "favicon.png": "image/png",
}


def create_app(
    db: Path | None = None,
    data: Path | str | None = None,
    allowed_hosts: Iterable[str] = LOCAL_HOSTS,
    workers: int | None = None,
    queue: int = QUEUE,
) -> FastAPI:
    """The page and API over the run store `db` and the data folder `data` (default: the
    embedded data). Requests must name one of `allowed_hosts` in their Host header ("*": any);
    `workers` plan and risk jobs run at once (default: `default_workers()`), `queue` more wait.
    """
    from burdenshift.domain.load import load_world
    from burdenshift.engine.runinfo import package_version
    from burdenshift.store.database import Store, db_path

    app = FastAPI(
        title="burdenshift",
        version=package_version(),
        description="Can Europe's NATO allies carry the majority of each conventional "
        "capability by the US deadline? The JSON API behind the page; shapes as the CLI's --json.",
        responses={
            400: {"description": "The Host header does not name this server"},
            429: {"description": "The job pool is full: try again after Retry-After seconds"},
        },
        docs_url=None,
        redoc_url=None,
    )
    # the outermost first: the host is checked before a byte of the body is read
    app.add_middleware(BodyLimit, limit=MAX_BODY)
    app.add_middleware(HostCheck, allowed_hosts=list(allowed_hosts))
    store = Store(db_path(db))
    world = load_world(data)
    pool = JobPool(workers or default_workers(), queue, describe_error=job_message)
    app.state.pool = pool

    _error_handlers(app)
    served = _serving(world, store, pool)
    _scenario_routes(app, served)
    _engine_routes(app, served)
    _query_routes(app, served)
    _job_routes(app, served)
    atexit.register(pool.shutdown)
    _run_routes(app, store)
    _page_routes(app)
    return app


def _error_handlers(app: FastAPI) -> None:
    """One-paragraph JSON errors: the field and the fix for bad input, never a traceback."""

    @app.exception_handler(InputError)
    async def user_error(_: Request, exc: InputError) -> JSONResponse:
        return input_error(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_error(list(exc.errors()))

    @app.exception_handler(Busy)
    async def busy(_: Request, exc: Busy) -> JSONResponse:
        return _error(
            429,
            f"the server is busy: {exc.running} plan or risk runs going and {exc.queued} "
            "waiting, the most it takes",
            fix=f"try again in {exc.retry_after} s, or cancel a job you started",
            headers={"Retry-After": str(exc.retry_after)},
            loc=["server"],
        )

    @app.exception_handler(Refusal)
    async def refused(_: Request, exc: Refusal) -> JSONResponse:
        return _error(exc.status, exc.message, loc=["server"])

    @app.exception_handler(Exception)
    async def internal(_: Request, exc: Exception) -> JSONResponse:
        """No traceback or repr for the client; the server log has them (uvicorn logs what
        Starlette raises after this reply)."""
        return _error(500, INTERNAL_ERROR, loc=["server"])

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        """A 405 lists every method of the path it hit, not only those of its first route."""
        if exc.status_code != 405:
            return await http_exception_handler(request, exc)
        routes = [r for r in app.routes if isinstance(r, APIRoute)]
        hit = next(r.path for r in routes if r.matches(request.scope)[0] != Match.NONE)
        allowed = sorted(m for r in routes if r.path == hit for m in r.methods)
        return JSONResponse(
            {"detail": exc.detail}, status_code=405, headers={"Allow": ", ".join(allowed)}
        )


@dataclass(frozen=True)
class _Served:
    """What the routes share: the data, the store, the job pool, and the steps every engine
    route takes (request -> scenario, the answer cache, keeping a run, a job's work)."""

    world: World
    store: Store
    pool: JobPool
    scenario_of: Callable[[RunRequest], Any]
    cached: Callable[[str, Any, Any], dict[str, Any]]
    keep: Callable[[str, dict[str, Any], float, bool], dict[str, Any]]
    plan_work: Callable[[PlanRequest, Any, Any], Any]
    risk_work: Callable[[RiskRequest, Any, Any], Any]
    run_now: Callable[[str, Any], Awaitable[dict[str, Any]]]


def _serving(world: World, store: Store, pool: JobPool) -> _Served:
    def scenario_of(req: RunRequest) -> Any:
        """The one way from a request to a scenario: uploaded text, parsed, or a shipped
        scenario by name. Blocking (parsing a large upload takes a while): call it off the
        event loop."""
        from burdenshift.scenario.apply import applied_world, requirement_choices
        from burdenshift.scenario.loader import DEFAULT, parse_scenario, shipped_scenario

        choices = requirement_choices(world)
        if req.levers.requirement is not None and req.levers.requirement not in choices:
            raise InputError(
                f"unknown requirement set '{req.levers.requirement}'",
                field="levers.requirement",
                fix=f"use one of: {', '.join(choices)}",
            )
        if req.yaml:
            sc = parse_scenario(req.yaml, "uploaded scenario")
        else:
            sc = shipped_scenario(req.scenario or DEFAULT)
        try:
            sc = apply_levers(sc, req.levers)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise InputError(
                err["msg"].removeprefix("Value error, "),
                field="levers",
                fix="move the lever back inside its range",
            ) from None
        return applied_world(world, sc), sc

    cache: dict[tuple[str, str], dict[str, Any]] = {}
    """Recent assess and simulate answers by scenario: a page's lever moves repeat them often."""
    cache_lock = threading.Lock()

    def cached(engine: str, sc: Any, compute: Any) -> dict[str, Any]:
        import json

        key = (engine, json.dumps(sc.model_dump(mode="json"), sort_keys=True))
        with cache_lock:
            if key in cache:
                return cache[key]
        payload = compute()
        with cache_lock:
            if len(cache) >= 256:
                cache.pop(next(iter(cache)))
            cache[key] = payload
        return payload

    def keep(engine: str, payload: dict[str, Any], started: float, wanted: bool) -> dict[str, Any]:
        """Blocking (the store may wait for another writer): call it off the event loop."""
        if wanted:
            payload = {
                **payload,
                "run_id": store.save(engine, payload, time.perf_counter() - started),
            }
        return payload

    def plan_work(req: PlanRequest, w: Any, sc: Any) -> Any:
        """A job's work: the plan, its solver's progress and cancel hooked to the job."""

        def work(job: Job) -> dict[str, Any]:
            from burdenshift.engine.plan import SolveOptions, Watch
            from burdenshift.engine.plan import plan as run
            from burdenshift.engine.runinfo import run_info

            started = time.perf_counter()
            watch = Watch(
                progress=lambda done: setattr(job, "progress", done),
                cancelled=lambda: job.cancel_requested,
            )
            mode = req.mode or sc.procurement
            options = SolveOptions(time_limit=req.time_limit)
            from burdenshift.output import with_plan_money

            result = with_plan_money(run(w, sc, mode, options, watch=watch).as_dict(), w, sc)
            info = {**run_info("plan", w, sc).as_dict(), "scenario": f"{sc.name} [{mode}]"}
            return keep("plan", {**result, "run": info}, started, req.store)

        return work

    def risk_work(req: RiskRequest, w: Any, sc: Any) -> Any:
        """A job's work: the draws on one core, progress and cancel between chunks."""

        def work(job: Job) -> dict[str, Any]:
            from burdenshift.engine.risk import risk as run
            from burdenshift.engine.runinfo import run_info

            started = time.perf_counter()
            done = 0

            def step(n: int) -> None:
                nonlocal done
                job.check()
                done += n
                job.progress = min(done / req.draws, 1.0)

            result = run(w, sc, req.draws, req.seed, progress=step, threads=1).as_dict()
            payload = {**result, "run": run_info("risk", w, sc, req.seed).as_dict()}
            return keep("risk", payload, started, req.store)

        return work

    async def run_now(kind: str, work: Any) -> dict[str, Any]:
        """A synchronous plan or risk: a place in the same pool as the jobs, then its result."""
        job = pool.submit(work, kind, public=False)
        await pool.wait(job)
        if job.state == "done":
            result: dict[str, Any] = job.result
            return result
        if job.exception is not None:
            raise job.exception
        if job.state == "cancelled":
            raise Refusal(503, "the run was stopped: the server is shutting down")
        raise Refusal(500, INTERNAL_ERROR)  # the pool logged the traceback

    return _Served(world, store, pool, scenario_of, cached, keep, plan_work, risk_work, run_now)


def _scenario_routes(app: FastAPI, served: _Served) -> None:
    world, scenario_of = served.world, served.scenario_of
    # -- scenarios ---------------------------------------------------------------------------
    listed: list[dict[str, Any]] = []
    listed_lock = threading.Lock()

    @app.get("/api/scenarios")
    def scenarios() -> list[dict[str, Any]]:
        """The shipped scenarios (read once: they do not change while the server runs)."""
        from burdenshift.scenario.loader import library, shipped_scenario

        with listed_lock:
            if not listed:
                for n in library():
                    sc = shipped_scenario(n)
                    listed.append(
                        {"name": n, "description": sc.description, "deadline": sc.deadline}
                    )
        return listed

    @app.get("/api/requirements")
    def requirements() -> dict[str, Any]:
        """The requirement sets a request may name (lever `requirement`), each with its name in
        words and the campaign days its munition stocks must last; `default` is the data's."""
        from burdenshift.engine.counting import campaign_days, requirement_label
        from burdenshift.scenario.apply import requirement_choices
        from burdenshift.scenario.schema import Scenario

        sets = []
        for sid in requirement_choices(world):
            sc = Scenario(requirement=sid)
            sets.append(
                {
                    "id": sid,
                    "name": requirement_label(world, sc),
                    "campaign_days": campaign_days(world, sc),
                    "computed": sid not in world.requirement_sets,
                }
            )
        return {"default": world.requirement_default, "sets": sets}

    @app.get("/api/scenarios/{name}")
    def scenario(name: str) -> dict[str, Any]:
        from burdenshift.scenario.loader import parse_scenario, shipped_text

        text = shipped_text(name, field="name")
        return {
            "name": name,
            "yaml": text,
            "scenario": parse_scenario(text, name).model_dump(mode="json"),
        }

    @app.post("/api/validate")
    def validate(req: RunRequest) -> dict[str, Any]:
        """200 either way: {"valid": true, "scenario"} or {"valid": false, "error"}."""
        from burdenshift.web.errors import describe

        try:
            _, sc = scenario_of(req)
        except InputError as exc:
            message, field, fix = describe(exc)
            return {"valid": False, "error": {"message": message, "field": field, "fix": fix}}
        return {"valid": True, "scenario": sc.model_dump(mode="json")}


def _engine_routes(app: FastAPI, served: _Served) -> None:
    scenario_of, cached, keep = served.scenario_of, served.cached, served.keep
    plan_work, risk_work, run_now = served.plan_work, served.risk_work, served.run_now

    # -- engines -----------------------------------------------------------------------------
    # plain `def` endpoints run on FastAPI's thread pool, off the event loop
    @app.post("/api/assess")
    def assess(req: RunRequest) -> dict[str, Any]:
        from burdenshift.engine.assess import assess as run
        from burdenshift.engine.runinfo import run_info
        from burdenshift.output import assessment_json

        started = time.perf_counter()
        w, sc = scenario_of(req)
        payload = cached(
            "assess", sc, lambda: assessment_json(run(w, sc), run_info("assess", w, sc))
        )
        return keep("assess", payload, started, req.store)

    @app.post("/api/simulate")
    def simulate(req: RunRequest) -> dict[str, Any]:
        from burdenshift.engine.runinfo import run_info
        from burdenshift.engine.simulate import simulate as run
        from burdenshift.output import simulation_json

        started = time.perf_counter()
        w, sc = scenario_of(req)
        payload = cached(
            "simulate", sc, lambda: simulation_json(run(w, sc), run_info("simulate", w, sc))
        )
        return keep("simulate", payload, started, req.store)

    @app.post("/api/threat")
    def threat(req: RunRequest) -> dict[str, Any]:
        """The race against Russia per metric: Europe's and Russia's stock and yearly output,
        and the year Europe out-produces Russia at today's rates and at the fastest ramp."""
        from burdenshift.engine.runinfo import run_info
        from burdenshift.engine.threat import race
        from burdenshift.output import race_json

        if req.store:
            raise InputError(
                "the race is not kept in the run store",
                field="store",
                fix='leave out "store" (or send false); the race is computed in milliseconds',
            )
        w, sc = scenario_of(req)
        return cached("threat", sc, lambda: race_json(race(w, sc), run_info("threat", w, sc)))

    @app.post("/api/plan")
    async def plan(req: PlanRequest) -> dict[str, Any]:
        w, sc = await run_in_threadpool(scenario_of, req)
        return await run_now("plan", plan_work(req, w, sc))

    @app.post("/api/risk")
    async def risk(req: RiskRequest) -> dict[str, Any]:
        w, sc = await run_in_threadpool(scenario_of, req)
        return await run_now("risk", risk_work(req, w, sc))


def _query_routes(app: FastAPI, served: _Served) -> None:
    world, scenario_of, cached, run_now = (
        served.world,
        served.scenario_of,
        served.cached,
        served.run_now,
    )

    # -- queries: the same functions as `burdenshift query …` ------------------------------
    def query_scenario(req: RunRequest) -> Any:
        if req.store:
            raise InputError(
                "a query is not kept in the run store",
                field="store",
                fix='leave out "store" (or send false)',
            )
        return scenario_of(req)

    @app.post("/api/query/time-to-stock")
    def query_time_to_stock(req: TimeToStockRequest) -> dict[str, Any]:
        """The years until Europe's (or an ally's) stock of a system reaches `target` items at
        `pace` a year, with retirements and transfers to Ukraine; "never" when it cannot."""
        from burdenshift.engine import queries

        w, sc = query_scenario(req)
        result = queries.time_to_stock(w, sc, req.system, req.target, req.ally, req.pace)
        return queries.payload(result, w, sc)

    @app.post("/api/query/cost-of-list")
    def query_cost_of_list(req: CostOfListRequest) -> dict[str, Any]:
        """The one-off cost of {system: quantity}, USD m constant 2025, and whose industry
        each line's money goes to."""
        from burdenshift.engine import queries

        w, sc = query_scenario(req)
        return queries.payload(queries.cost_of_list(w, sc, req.items, req.mode), w, sc)

    @app.post("/api/query/spending-needed")
    async def query_spending_needed(req: SpendingNeededRequest) -> dict[str, Any]:
        """The % of GDP in the deadline year at which an area first holds its target, under
        simulate and plan side by side; with plan it takes a place in the job pool."""
        from burdenshift.engine import queries

        w, sc = await run_in_threadpool(query_scenario, req)
        engines = list(queries.ENGINES) if req.engine == "both" else [req.engine]
        # bad input fails now, not after a wait for a place in the pool
        queries.check_spending(w, sc, req.area, req.ally, engines, req.time_limit, req.max_solves)

        def work(job: Job | None) -> dict[str, Any]:
            from burdenshift.engine.plan import Watch

            watch = None if job is None else Watch(cancelled=lambda: job.cancel_requested)
            result = queries.spending_needed(
                w, sc, req.area, req.ally, engines, req.time_limit, req.max_solves, watch=watch
            )
            return queries.payload(result, w, sc)

        if "plan" not in engines:
            return await run_in_threadpool(work, None)
        return await run_now("plan", work)

    @app.post("/api/weakest")
    def weakest(req: WeakestRequest) -> dict[str, Any]:
        """The figures to check first under the page's levers (the swings of a scenario are
        worked out once, about a second, and ranked per area from the cache)."""
        from burdenshift.engine import data_draws
        from burdenshift.engine.runinfo import run_info

        w, sc = scenario_of(req)
        if req.area is not None and req.area not in w.areas:
            raise InputError(
                f"unknown area '{req.area}'", field="area", fix=f"use one of: {', '.join(w.areas)}"
            )
        found = cached("weakest", sc, lambda: {"swings": data_draws.swings(w, sc)})["swings"]
        return {
            **data_draws.weakest_payload(w, sc, req.area, req.top, found),
            "run": run_info("weakest", w, sc).as_dict(),
        }

    @app.get("/api/sources")
    def sources(area: str | None = None) -> list[dict[str, Any]]:
        from burdenshift.domain.sources import figures_for_area
        from burdenshift.output import source_rows

        return source_rows(world, figures_for_area(world, area))


def _job_routes(app: FastAPI, served: _Served) -> None:
    scenario_of, pool = served.scenario_of, served.pool
    plan_work, risk_work = served.plan_work, served.risk_work

    # -- long work as jobs: progress and cancel -------------------------------------------
    @app.post("/api/jobs/risk")
    def start_risk(req: RiskRequest) -> dict[str, Any]:
        w, sc = scenario_of(req)  # bad input fails now, not in the background
        job = pool.submit(risk_work(req, w, sc), "risk")
        return {"id": job.id, "state": job.state}

    @app.post("/api/jobs/plan")
    def start_plan(req: PlanRequest) -> dict[str, Any]:
        w, sc = scenario_of(req)
        job = pool.submit(plan_work(req, w, sc), "plan")
        return {"id": job.id, "state": job.state}

    def job_of(job_id: str) -> Job:
        job = pool.get(job_id)
        if job is None:
            raise InputError(f"no job '{job_id}'", field="job_id", fix="start one first")
        return job

    @app.get("/api/jobs/{job_id}")
    def job_status(job_id: str) -> dict[str, Any]:
        """Queued (progress 0), running, done (with its result), failed (with the error) or
        cancelled."""
        return job_of(job_id).status()

    @app.delete("/api/jobs/{job_id}")
    def cancel_job(job_id: str) -> dict[str, Any]:
        """A queued job is dropped at once ("cancelled"); a running one stops at its next
        progress check ("cancelling")."""
        return {"id": job_id, "state": pool.cancel(job_of(job_id))}


def _run_routes(app: FastAPI, store: Store) -> None:
    # -- runs --------------------------------------------------------------------------------
    @app.get("/api/runs")
    def runs() -> list[dict[str, Any]]:
        # a store not written yet (missing, or the empty file a new store starts as) has no runs
        return store.runs() if store.path.exists() and store.path.stat().st_size else []

    @app.get("/api/runs/{run_id}")
    def run(run_id: str) -> dict[str, Any]:
        return {**store.run(run_id), "result": store.payload(run_id)}

    @app.get("/api/runs/{run_id}/export")
    def export(
        run_id: str, format: str = Query("csv", pattern="^(csv|parquet|html|yaml)$")
    ) -> Response:
        import tempfile

        import yaml

        info = store.run(run_id)
        if format == "yaml":
            return PlainTextResponse(
                yaml.safe_dump(info["applied"], sort_keys=False),
                headers={"Content-Disposition": f"attachment; filename={run_id}.yaml"},
            )
        if format == "html":
            from burdenshift.report.page import render_runs

            page, _, _ = render_runs([{**info, "result": store.payload(run_id)}], None)
            return HTMLResponse(
                page, headers={"Content-Disposition": f"attachment; filename={run_id}.html"}
            )
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"{run_id}.{format}"
            store.export(run_id, path, format)
            data = path.read_bytes()
        media = "text/csv" if format == "csv" else "application/octet-stream"
        return Response(
            data,
            media_type=media,
            headers={"Content-Disposition": f"attachment; filename={run_id}.{format}"},
        )

    @app.get("/api/compare")
    def compare(a: str, b: str) -> dict[str, Any]:
        """B minus A for every measure both runs have; each side also says when it was made
        and the scenario it ran on (`applied`), so the page can label A and B with their levers."""
        from burdenshift.report.measures import compare as run

        ra, rb = store.run(a), store.run(b)
        out = run({**ra, "result": store.payload(a)}, {**rb, "result": store.payload(b)})
        for side, info in (("a", ra), ("b", rb)):
            out[side] = {**out[side], "created_at": info["created_at"], "applied": info["applied"]}
        return out


def _page_routes(app: FastAPI) -> None:
    # -- the page ----------------------------------------------------------------------------
    @app.api_route(
        "/", methods=["GET", "HEAD"], response_class=HTMLResponse, include_in_schema=False
    )
    def page() -> str:
        return (STATIC / "index.html").read_text(encoding="utf-8")

    assets = _docs_assets()

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        """Swagger UI from files this server serves (no CDN: works offline, like the page)."""
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="burdenshift API",
            swagger_js_url="/static/docs/swagger-ui-bundle.js",
            swagger_css_url="/static/docs/swagger-ui.css",
            swagger_favicon_url="/static/docs/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url="/openapi.json",
            title="burdenshift API",
            redoc_js_url="/static/docs/redoc.standalone.js",
            redoc_favicon_url="/static/docs/favicon.png",
            with_google_fonts=False,
        )

    @app.get("/static/docs/{name}", include_in_schema=False)
    def docs_asset(name: str) -> Response:
        if assets is None or name not in DOCS_ASSETS:
            return _error(404, f"no documentation file '{name}'", loc=["path", "name"])
        return FileResponse(
            assets / name, media_type=DOCS_ASSETS[name], headers={"Cache-Control": "max-age=86400"}
        )

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/static/plotly.js", include_in_schema=False)
    def plotly_js() -> Response:
        from plotly.offline import get_plotlyjs

        return Response(
            get_plotlyjs(),
            media_type="application/javascript",
            headers={"Cache-Control": "max-age=86400"},
        )

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        allowed = {"app.js": "application/javascript", "app.css": "text/css"}
        if name not in allowed:
            return _error(404, f"no static file '{name}'")
        return FileResponse(STATIC / name, media_type=allowed[name])
