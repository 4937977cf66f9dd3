"""The FastAPI application: JSON API (same shapes as the CLI's --json) and the page."""

from __future__ import annotations

import atexit
import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, Response
from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from burdenshift.errors import Cancelled, InputError
from burdenshift.web.levers import PlanRequest, RiskRequest, RunRequest, apply_levers

STATIC = Path(__file__).resolve().parent / "static"
MAX_BODY = 256 * 1024


def _error(
    status: int, message: str, field: str | None = None, fix: str | None = None
) -> JSONResponse:
    """Errors in FastAPI's own shape (a list under `detail`), with the fix added."""
    loc = ["body", *(field.split(".") if field else [])]
    return JSONResponse(
        status_code=status,
        content={"detail": [{"loc": loc, "msg": message, "type": "value_error", "fix": fix}]},
    )


def create_app(db: Path | None = None, data: Path | str | None = None) -> FastAPI:
    """The page and API over the run store `db` and the data folder `data` (default: the
    embedded data)."""
    from burdenshift.domain.load import load_world
    from burdenshift.engine.runinfo import package_version
    from burdenshift.store.database import Store, db_path

    app = FastAPI(
        title="burdenshift",
        version=package_version(),
        description="Can Europe's NATO allies carry the majority of each conventional "
        "capability by the US deadline? The JSON API behind the page; shapes as the CLI's --json.",
        responses={
            400: {"description": "The request body is not valid JSON"},
        },
    )
    store = Store(db_path(db))
    world = load_world(data)

    @app.middleware("http")
    async def limit_body(request: Request, call_next: Any) -> Response:
        size = request.headers.get("content-length")
        if size is not None and size.isdigit() and int(size) > MAX_BODY:
            return _error(
                422,  # like every other refused input, so clients handle one error shape
                f"request body of {size} bytes is over the {MAX_BODY}-byte limit",
                fix="send a smaller scenario",
            )
        return await call_next(request)

    @app.exception_handler(InputError)
    async def input_error(_: Request, exc: InputError) -> JSONResponse:
        return _error(422, exc.message, exc.field, exc.fix)

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

    def scenario_of(req: RunRequest) -> Any:
        from burdenshift.scenario.apply import applied_world
        from burdenshift.scenario.loader import load_scenario, parse_scenario

        sc = (
            parse_scenario(req.yaml, "uploaded scenario")
            if req.yaml
            else load_scenario(req.scenario)
        )
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

    def cached(engine: str, sc: Any, compute: Any) -> dict[str, Any]:
        import json

        key = (engine, json.dumps(sc.model_dump(mode="json"), sort_keys=True))
        if key not in cache:
            if len(cache) >= 256:
                cache.pop(next(iter(cache)))
            cache[key] = compute()
        return cache[key]

    def keep(engine: str, payload: dict[str, Any], started: float, wanted: bool) -> dict[str, Any]:
        if wanted:
            payload = {
                **payload,
                "run_id": store.save(engine, payload, time.perf_counter() - started),
            }
        return payload

    # -- scenarios ---------------------------------------------------------------------------
    @app.get("/api/scenarios")
    def scenarios() -> list[dict[str, Any]]:
        from burdenshift.scenario.loader import library, load_scenario

        return [
            {
                "name": n,
                "description": load_scenario(n).description,
                "deadline": load_scenario(n).deadline,
            }
            for n in library()
        ]

    @app.get("/api/scenarios/{name}")
    def scenario(name: str) -> dict[str, Any]:
        from burdenshift.scenario.loader import library, load_scenario

        shipped = library()
        if name not in shipped:
            raise InputError(
                f"no shipped scenario '{name}'",
                field="name",
                fix=f"use one of: {', '.join(shipped)}",
            )
        return {
            "name": name,
            "yaml": shipped[name].read_text(encoding="utf-8"),
            "scenario": load_scenario(name).model_dump(mode="json"),
        }

    @app.post("/api/validate")
    def validate(req: RunRequest) -> dict[str, Any]:
        """200 either way: {"valid": true, "scenario"} or {"valid": false, "error"}."""
        try:
            _, sc = scenario_of(req)
        except InputError as exc:
            return {
                "valid": False,
                "error": {"message": exc.message, "field": exc.field, "fix": exc.fix},
            }
        return {"valid": True, "scenario": sc.model_dump(mode="json")}

    # -- engines -----------------------------------------------------------------------------
    @app.post("/api/assess")
    async def assess(req: RunRequest) -> dict[str, Any]:
        from burdenshift.engine.assess import assess as run
        from burdenshift.engine.runinfo import run_info
        from burdenshift.output import assessment_json

        started = time.perf_counter()
        w, sc = scenario_of(req)
        payload = await run_in_threadpool(
            cached, "assess", sc, lambda: assessment_json(run(w, sc), run_info("assess", w, sc))
        )
        return keep("assess", payload, started, req.store)

    @app.post("/api/simulate")
    async def simulate(req: RunRequest) -> dict[str, Any]:
        from burdenshift.engine.runinfo import run_info
        from burdenshift.engine.simulate import simulate as run
        from burdenshift.output import simulation_json

        started = time.perf_counter()
        w, sc = scenario_of(req)
        payload = await run_in_threadpool(
            cached,
            "simulate",
            sc,
            lambda: simulation_json(run(w, sc), run_info("simulate", w, sc)),
        )
        return keep("simulate", payload, started, req.store)

    def plan_payload(req: PlanRequest, watch: Any = None) -> dict[str, Any]:
        """`watch` (engine.plan.Watch) reports the solver's progress and cancels it."""
        from burdenshift.engine.plan import SolveOptions
        from burdenshift.engine.plan import plan as run
        from burdenshift.engine.runinfo import run_info

        started = time.perf_counter()
        w, sc = scenario_of(req)
        mode = req.mode or sc.procurement
        result = run(w, sc, mode, SolveOptions(time_limit=req.time_limit), watch=watch).as_dict()
        info = {**run_info("plan", w, sc).as_dict(), "scenario": f"{sc.name} [{mode}]"}
        return keep("plan", {**result, "run": info}, started, req.store)

    def risk_payload(req: RiskRequest, progress: Any = None) -> dict[str, Any]:
        from burdenshift.engine.risk import risk as run
        from burdenshift.engine.runinfo import run_info

        started = time.perf_counter()
        w, sc = scenario_of(req)
        result = run(w, sc, req.draws, req.seed, progress=progress).as_dict()
        payload = {**result, "run": run_info("risk", w, sc, req.seed).as_dict()}
        return keep("risk", payload, started, req.store)

    @app.post("/api/plan")
    async def plan(req: PlanRequest) -> dict[str, Any]:
        return await run_in_threadpool(plan_payload, req)

    @app.post("/api/risk")
    async def risk(req: RiskRequest) -> dict[str, Any]:
        return await run_in_threadpool(risk_payload, req)

    @app.get("/api/sources")
    def sources(area: str | None = None) -> list[dict[str, Any]]:
        from burdenshift.domain.sources import figures_for_area

        return [f.as_dict() for f in figures_for_area(world, area)]

    # -- long work as jobs: progress and cancel -------------------------------------------
    jobs: dict[str, dict[str, Any]] = {}
    """Running and finished plan/risk jobs: state, progress in [0, 1], result or error."""

    @app.post("/api/jobs/risk")
    def start_risk(req: RiskRequest) -> dict[str, Any]:
        scenario_of(req)  # bad input fails now, not in the background
        job = new_job()

        def step(n: int) -> None:
            if job["cancel"]:
                raise Cancelled
            job["done"] += n
            job["progress"] = min(job["done"] / req.draws, 1.0)

        return launch(job, lambda: risk_payload(req, step))

    @app.post("/api/jobs/plan")
    def start_plan(req: PlanRequest) -> dict[str, Any]:
        scenario_of(req)
        from burdenshift.engine.plan import Watch

        job = new_job()
        watch = Watch(
            progress=lambda done: job.update(progress=done), cancelled=lambda: job["cancel"]
        )
        return launch(job, lambda: plan_payload(req, watch))

    @app.get("/api/jobs/{job_id}")
    def job_status(job_id: str) -> dict[str, Any]:
        job = jobs.get(job_id)
        if job is None:
            raise InputError(f"no job '{job_id}'", field="job_id", fix="start one first")
        return {k: job[k] for k in ("id", "state", "progress", "result", "error")}

    @app.delete("/api/jobs/{job_id}")
    def cancel_job(job_id: str) -> dict[str, Any]:
        job = jobs.get(job_id)
        if job is None:
            raise InputError(f"no job '{job_id}'", field="job_id", fix="start one first")
        job["cancel"] = True
        return {"id": job_id, "state": "cancelling" if job["state"] == "running" else job["state"]}

    def new_job() -> dict[str, Any]:
        import secrets

        if len(jobs) > 64:  # forget the oldest finished jobs
            for old in [k for k, j in jobs.items() if j["state"] != "running"][:32]:
                jobs.pop(old)
        job = {
            "id": secrets.token_hex(6),
            "state": "running",
            "progress": 0.0,
            "done": 0,
            "result": None,
            "error": None,
            "cancel": False,
        }
        jobs[job["id"]] = job
        return job

    def launch(job: dict[str, Any], work: Any) -> dict[str, Any]:
        import threading

        def target() -> None:
            try:
                job["result"] = work()
                job["state"], job["progress"] = "done", 1.0
            except Cancelled:
                job["state"] = "cancelled"
            except InputError as exc:
                job["state"], job["error"] = "failed", exc.message
            except Exception as exc:  # reported to the page; the server keeps running
                job["state"], job["error"] = "failed", f"internal error: {exc!r}"

        thread = threading.Thread(target=target, daemon=True)
        job["thread"] = thread
        thread.start()
        return {"id": job["id"], "state": "running"}

    @atexit.register
    def stop_jobs() -> None:
        """Cancel running jobs and let them stop: a solver killed mid-solve at exit aborts
        the whole process."""
        for job in list(jobs.values()):
            job["cancel"] = True
        for job in list(jobs.values()):
            if "thread" in job:
                job["thread"].join(timeout=30)

    # -- runs --------------------------------------------------------------------------------
    @app.get("/api/runs")
    def runs() -> list[dict[str, Any]]:
        return store.runs() if store.path.exists() else []

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
        from burdenshift.report.measures import compare as run

        return run(
            {**store.run(a), "result": store.payload(a)},
            {**store.run(b), "result": store.payload(b)},
        )

    # -- the page ----------------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page() -> str:
        return (STATIC / "index.html").read_text(encoding="utf-8")

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

    return app
