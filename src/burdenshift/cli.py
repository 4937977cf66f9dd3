"""The command line: a thin layer over the API. Heavy imports stay inside the commands."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from burdenshift.errors import InputError

if TYPE_CHECKING:
    from burdenshift.store.database import Store


def _flags_without_type() -> None:
    """Typer prints `<bool>` beside every on/off flag, which reads as if it took a value."""
    from typer.core import TyperOption

    shown = TyperOption.display_type_rich

    def display(self: TyperOption, ctx: Any) -> str | None:
        return None if self.is_flag else shown(self, ctx)

    TyperOption.display_type_rich = display  # type: ignore[method-assign]


_flags_without_type()

START = """Start here (each runs on the embedded data):

* `burdenshift assess` — can Europe hold 50 % of each capability by 2027? (the headline)
* `burdenshift plan --mode both` — the cheapest phased plan, national against pooled buying
* `burdenshift risk` — how likely each area makes it, with the data's own uncertainty
* `burdenshift data weakest --area munitions` — the figures to check first
* `burdenshift serve` — the same on an interactive page at http://127.0.0.1:8000

`burdenshift COMMAND --help` explains each; `--json` gives any result as one JSON object."""

HELP = {"rich_markup_mode": "markdown", "no_args_is_help": True}
"""Help in Markdown: a docstring's line breaks do not break the help mid-phrase."""

app = typer.Typer(
    add_completion=False,
    help="Can Europe's NATO allies carry the majority of each conventional capability by the US "
    "deadline? Sourced data, closed-form assessment and simulation.",
    epilog=START,
    **HELP,  # type: ignore[arg-type]
)
data_app = typer.Typer(help="The data set: sources and validation.", **HELP)  # type: ignore[arg-type]
app.add_typer(data_app, name="data")
runs_app = typer.Typer(help="Kept runs: list, show, export, delete.", **HELP)  # type: ignore[arg-type]
app.add_typer(runs_app, name="runs")
query_app = typer.Typer(
    help="Queries analysts ask: the time to a stock, the cost of a list, the spending needed.",
    **HELP,  # type: ignore[arg-type]
)
app.add_typer(query_app, name="query")

ScenarioOpt = Annotated[
    str | None, typer.Option("--scenario", "-s", help="A shipped scenario name or a YAML file.")
]
DataOpt = Annotated[
    Path | None, typer.Option("--data", help="Your own data folder (default: the embedded data).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")]
DbOpt = Annotated[
    Path | None,
    typer.Option("--db", help="Run store (default ./burdenshift.duckdb or $BURDENSHIFT_DB)."),
]
NoStoreOpt = Annotated[bool, typer.Option("--no-store", help="Do not keep this run.")]


def _prepare(
    scenario: str | None, data: Path | None, deadline: int | None = None
) -> tuple[Any, Any]:
    from burdenshift.domain.load import load_world
    from burdenshift.scenario.apply import applied_world
    from burdenshift.scenario.loader import load_scenario, with_deadline

    sc = with_deadline(load_scenario(scenario), deadline, field="--deadline")
    world = load_world(data)
    return applied_world(world, sc), sc


@app.command()
def assess(
    scenario: ScenarioOpt = None,
    deadline: Annotated[int | None, typer.Option(help="Override the scenario's deadline.")] = None,
    data: DataOpt = None,
    as_json: JsonOpt = False,
    db: DbOpt = None,
    no_store: NoStoreOpt = False,
) -> None:
    """Per area: where Europe stands today and whether it can hold the target by the deadline."""
    from burdenshift.engine.assess import assess as run
    from burdenshift.engine.runinfo import run_info
    from burdenshift.output import assessment_json

    store = _store_for(db, no_store, check=False)
    started = time.perf_counter()
    world, sc = _prepare(scenario, data, deadline)
    result = run(world, sc)
    payload = assessment_json(result, run_info("assess", world, sc))
    _keep(store, "assess", [(payload, "ok")], started)
    if as_json:
        _print_json(payload)
        return
    from burdenshift.tables import print_assessment, print_next

    print_assessment(payload)
    print_next(
        "Next: `burdenshift plan --mode both` (the cheapest phased plan), `burdenshift risk` "
        "(how likely, with the data's uncertainty) or `burdenshift serve` (the page)."
    )


@app.command()
def threat(
    scenario: ScenarioOpt = None,
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The race against Russia: per metric and year, Europe's and Russia's stock and output,
    their ratio, and the year Europe's output overtakes Russia's."""
    from burdenshift.engine.runinfo import run_info
    from burdenshift.engine.threat import race
    from burdenshift.output import race_json

    world, sc = _prepare(scenario, data)
    payload = race_json(race(world, sc), run_info("threat", world, sc))
    if as_json:
        _print_json(payload)
        return
    from burdenshift.tables import print_race

    print_race(payload)


@app.command()
def simulate(
    scenario: ScenarioOpt = None,
    deadline: Annotated[int | None, typer.Option(help="Override the scenario's deadline.")] = None,
    data: DataOpt = None,
    as_json: JsonOpt = False,
    csv: Annotated[Path | None, typer.Option(help="Write the long results table here.")] = None,
    db: DbOpt = None,
    no_store: NoStoreOpt = False,
) -> None:
    """Year by year: budgets, orders, lines, deliveries, stocks, shares and the deterrence gap."""
    from burdenshift.engine.runinfo import run_info
    from burdenshift.engine.simulate import simulate as run
    from burdenshift.output import simulation_json, simulation_rows

    store = _store_for(db, no_store)
    _writable(csv, "--csv", store)
    started = time.perf_counter()
    world, sc = _prepare(scenario, data, deadline)
    sim = run(world, sc)
    payload = simulation_json(sim, run_info("simulate", world, sc))

    def write(ids: list[str]) -> None:
        if csv is not None:
            rows = simulation_rows(sim, [world.areas[i] for i in world.metric_area])
            _write_csv(csv, rows, payload["run"], ids[0] if ids else None)

    _keep(store, "simulate", [(payload, "ok")], started, then=write)
    if as_json:
        _print_json(payload)
        return
    from burdenshift.tables import print_simulation

    print_simulation(payload)


@app.command()
def plan(
    scenario: ScenarioOpt = None,
    deadline: Annotated[int | None, typer.Option(help="Override the scenario's deadline.")] = None,
    mode: Annotated[
        str | None,
        typer.Option(help="national, pooled or both (default: the scenario's procurement mode)."),
    ] = None,
    time_limit: Annotated[
        float,
        typer.Option(
            "--time-limit",
            help="Seconds each of the plan's three solver stages may take (the least shortfall, "
            "the least cost holding it, the duals' LP). The default world's slowest stage takes "
            "about 5 s (15 s on a busy machine): 300 s leaves 20 times that. A stage stopped by "
            "a limit returns the best plan found, status time_limit, with its MIP gap.",
        ),
    ] = 300.0,
    total_time_limit: Annotated[
        float,
        typer.Option(
            "--total-time-limit",
            help="Seconds the whole plan may take, building included (per mode with --mode "
            "both): two stages at their limit. The default world plans in 5–15 s.",
        ),
    ] = 600.0,
    mip_gap: Annotated[
        float, typer.Option("--mip-gap", help="Relative MIP gap at which a stage stops.")
    ] = 1e-4,
    data: DataOpt = None,
    as_json: JsonOpt = False,
    db: DbOpt = None,
    no_store: NoStoreOpt = False,
) -> None:
    """The cheapest phased plan to the target: expansions, production, purchases, yearly
    benchmarks, and the bottlenecks that bind (linopy + HiGHS).

    Before building, the model's memory is estimated from the data's size; a model that would
    not fit in the memory available (MemAvailable) is refused. BURDENSHIFT_PLAN_MEMORY_MB sets
    the MB a plan may use instead."""
    chosen = mode or None
    if chosen not in (None, "national", "pooled", "both"):
        raise InputError(
            f"unknown mode '{mode}'", field="--mode", fix="use national, pooled or both"
        )
    for option, seconds in (("--time-limit", time_limit), ("--total-time-limit", total_time_limit)):
        if not seconds > 0:
            raise InputError(
                f"time limit {seconds} is not positive", field=option, fix="give seconds > 0"
            )
    from burdenshift.engine.plan import SolveOptions
    from burdenshift.engine.plan import plan as run
    from burdenshift.engine.runinfo import run_info

    store = _store_for(db, no_store)
    started = time.perf_counter()
    world, sc = _prepare(scenario, data, deadline)
    options = SolveOptions(time_limit, mip_gap, total_time_limit)
    modes = ["national", "pooled"] if chosen == "both" else [chosen or sc.procurement]
    from burdenshift.output import with_plan_money

    results = {
        m: with_plan_money(run(world, sc, m, options).as_dict(), world, sc)  # type: ignore[arg-type]
        for m in modes
    }
    for m, r in results.items():
        if r["status"] in ("infeasible", "unbounded"):
            raise InputError(
                f"the {m} plan is {r['status']}; involved: " + "; ".join(r["diagnosis"]),
                fix="correct the figures named above (targets and budgets are soft, so only "
                "inconsistent data can make the plan infeasible)",
            )
    info = run_info("plan", world, sc).as_dict()
    kept = [
        ({**r, "run": {**info, "scenario": f"{sc.name} [{m}]"}}, r["status"])
        for m, r in results.items()
    ]
    _keep(store, "plan", kept, started)  # both modes in one transaction: both or neither
    if chosen == "both":
        payload: dict[str, Any] = {**results, "difference": _difference(results), "run": info}
    else:
        payload = {**results[modes[0]], "run": info}
    if as_json:
        _print_json(payload)
        return
    from burdenshift.tables import print_plan

    shown: list[Any] = []
    for m in modes:
        # the same bottlenecks under both modes are printed once, with a line saying so
        same = [_binds(results[m])] == shown[-1:]
        print_plan({**results[m], "run": info}, bottlenecks=not same)
        if same:
            typer.echo(f"What binds under {m} procurement: the same as above.")
        shown.append(_binds(results[m]))
    if chosen == "both":
        from burdenshift.tables import print_plan_difference

        print_plan_difference(payload["difference"])


def _binds(result: dict[str, Any]) -> list[tuple[str, str]]:
    return [(b["constraint"], b["where"]) for b in result["bottlenecks"][:10]]


def _difference(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Pooled minus national, in the cost vocabulary: each money term, the saving in discounted
    cost (the plan's objective), the shortfall and the earliest year per area."""
    from burdenshift.output import COSTS, money_block, money_key

    nat, poo = results["national"], results["pooled"]
    years = {}
    for a, b in zip(nat["areas"], poo["areas"], strict=True):
        y_n, y_p = a["earliest_year"], b["earliest_year"]
        years[a["area"]] = {
            "national": y_n,
            "pooled": y_p,
            "years_earlier": (y_n - y_p) if y_n is not None and y_p is not None else None,
        }
    terms = [t for t in COSTS if nat["money"].get(money_key(t)) is not None]
    money = money_block(
        {t: (poo["money"][money_key(t)] - nat["money"][money_key(t)]) * 1000 for t in terms}
    )
    base = nat["objective"]["cost_musd"]
    return {
        "money": money,
        "discounted_cost_saving_share": 1 - poo["objective"]["cost_musd"] / base if base else 0.0,
        "shortfall": poo["objective"]["shortfall"] - nat["objective"]["shortfall"],
        "earliest_year": years,
    }


@app.command()
def risk(
    scenario: ScenarioOpt = None,
    draws: Annotated[int, typer.Option(help="Monte Carlo draws.", min=1)] = 10_000,
    seed: Annotated[int, typer.Option(help="Seed of the random generator.", min=0)] = 2027,
    deadline: Annotated[int | None, typer.Option(help="Override the scenario's deadline.")] = None,
    data: DataOpt = None,
    as_json: JsonOpt = False,
    db: DbOpt = None,
    no_store: NoStoreOpt = False,
) -> None:
    """Probability per area that Europe holds the target by the deadline, with its standard
    error; quantiles of the year it does, of the deterrence gap and of cost (Monte Carlo)."""
    from burdenshift.engine.risk import risk as run
    from burdenshift.engine.runinfo import run_info

    store = _store_for(db, no_store)
    started = time.perf_counter()
    world, sc = _prepare(scenario, data, deadline)
    with _progress(draws, "draws", quiet=as_json) as step:
        result = run(world, sc, draws, seed, progress=step)
    payload = {**result.as_dict(), "run": run_info("risk", world, sc, seed).as_dict()}
    _keep(store, "risk", [(payload, "ok")], started)
    if as_json:
        _print_json(payload)
        return
    from burdenshift.tables import print_risk

    print_risk(payload)


@app.command()
def sensitivity(
    scenario: ScenarioOpt = None,
    n: Annotated[int, typer.Option(help="Base sample size (a power of two).", min=8)] = 1024,
    seed: Annotated[int, typer.Option(help="Seed of the Sobol sequence scrambling.", min=0)] = 2027,
    deadline: Annotated[int | None, typer.Option(help="Override the scenario's deadline.")] = None,
    data: DataOpt = None,
    as_json: JsonOpt = False,
    db: DbOpt = None,
    no_store: NoStoreOpt = False,
) -> None:
    """Sobol indices (SALib) of each area's share at the deadline, the deterrence gap and cost:
    which uncertain levers matter most."""
    if n & (n - 1):
        below = 1 << (n.bit_length() - 1)
        raise InputError(
            f"n = {n} is not a power of two",
            field="--n",
            fix=f"use {below} or {2 * below} (any power of two from 8; 1024 or more gives stable "
            "ranks: Sobol sequences balance only at powers of two)",
        )
    from burdenshift.engine import draws
    from burdenshift.engine.runinfo import run_info
    from burdenshift.engine.sensitivity import sensitivity as run

    store = _store_for(db, no_store)
    started = time.perf_counter()
    world, sc = _prepare(scenario, data, deadline)
    total = n * (len(draws.space(world, sc).parameters) + 2)
    with _progress(total, "evaluations", quiet=as_json) as step:
        result = run(world, sc, n, seed, progress=step)
    payload = {**result.as_dict(), "run": run_info("sensitivity", world, sc, seed).as_dict()}
    _keep(store, "sensitivity", [(payload, "ok")], started)
    if as_json:
        _print_json(payload)
        return
    from burdenshift.tables import print_sensitivity

    print_sensitivity(payload)


@app.command()
def sweep(
    file: Annotated[Path, typer.Argument(help="The sweep file (YAML).")],
    workers: Annotated[
        int, typer.Option(help="Local Dask workers; 0 runs in this process.", min=0, max=256)
    ] = 2,
    scheduler: Annotated[
        str | None, typer.Option(help="An existing Dask scheduler, e.g. tcp://HOST:8786.")
    ] = None,
    data: DataOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Many scenarios × engines on Dask. Each finished task is kept in the run store at once;
    rerunning the same command resumes, skipping finished work."""
    from burdenshift.domain.load import load_world
    from burdenshift.store.database import Store, db_path
    from burdenshift.sweep.runner import SweepFailed, run_sweep
    from burdenshift.sweep.spec import PROGRESS_CASES, expand, read_sweep
    from burdenshift.sweep.summary import sweep_payload

    # everything is checked before the store is opened: a bad case stores nothing
    source = read_sweep(file)
    world = load_world(data)
    with _progress(source.cases, "checking cases", quiet=as_json, minimum=PROGRESS_CASES) as step:
        tasks = expand(source, world, progress=step)
    store = Store(db_path(db))
    skipped = len(store.task_results({t.id for t in tasks}))
    try:
        with _progress(len(tasks), "tasks", quiet=as_json, minimum=1) as step:
            results = run_sweep(
                tasks, store, workers, scheduler, str(data) if data else None, progress=step
            )
    except SweepFailed as exc:
        first = exc.failures[0]
        others = len(exc.failures) - 1
        told = (
            f"task {first['index']} (case '{first['case']}', engine {first['engine']}) failed: "
            f"{first['problem']}"
        )
        rest = (
            f"; {others} other task{'s' * (others > 1)} failed too" if others else ""
        ) + f"; {exc.stored} of {exc.total} tasks are stored and a rerun skips them"
        if exc.input_only:
            raise InputError(
                told + rest,
                file=str(file),
                line=first["line"],
                field=first["field"],
                fix=(first["fix"] or "correct the case") + ", then rerun the same command",
            ) from None
        fix = first["fix"] or (
            "this is a defect in burdenshift, not in your sweep file: please report it with "
            "the sweep file and the data folder"
        )
        label = "error" if first["kind"] == "memory" else "internal error"
        typer.echo(
            f"{label}: {file}: {told}{rest}. {fix[0].upper()}{fix[1:]}; then rerun the "
            "same command to resume.",
            err=True,
        )
        raise typer.Exit(1) from None
    payload = sweep_payload(source.sweep.name, tasks, results, skipped, str(store.path))
    if as_json:
        _print_json(payload)
        return
    from burdenshift.tables import print_sweep

    print_sweep(payload)


@contextlib.contextmanager
def _progress(
    total: int, what: str, quiet: bool, minimum: int = 5_000
) -> Iterator[Callable[[int], None]]:
    """A Rich progress bar on stderr for long runs; silent for --json or short runs."""
    if quiet or total < minimum:
        yield lambda _n: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("elapsed,"),
        TimeRemainingColumn(),
        TextColumn("left"),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(what, total=total, rate="")

        def step(n: int) -> None:
            bar.advance(task, n)
            speed = bar.tasks[task].speed
            bar.update(task, rate=f"{speed:,.1f} {what}/s" if speed else "")

        yield step


@app.command()
def scenarios() -> None:
    """List the shipped scenarios."""
    from burdenshift.scenario.loader import library, load_scenario
    from burdenshift.tables import print_scenarios

    print_scenarios([(name, load_scenario(name)) for name in library()])


@data_app.command("sources")
def data_sources(
    area: Annotated[str | None, typer.Option(help="Only figures behind this area.")] = None,
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Every figure with its source, year and confidence."""
    from burdenshift.domain.load import load_world
    from burdenshift.domain.sources import figures_for_area
    from burdenshift.output import source_rows

    world = load_world(data)
    rows = source_rows(world, figures_for_area(world, area))
    if as_json:
        _print_json(rows)
        return
    from burdenshift.tables import print_sources

    print_sources(rows)


@data_app.command("weakest")
def data_weakest(
    area: Annotated[str | None, typer.Option(help="Rank by this area's share only.")] = None,
    top: Annotated[int, typer.Option(help="How many figures to list.", min=1)] = 15,
    scenario: ScenarioOpt = None,
    deadline: Annotated[int | None, typer.Option(help="Override the scenario's deadline.")] = None,
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The figures to check first: those whose range moves an area's share at the deadline most
    under the buying rule (simulate), one figure at a time, with value, range and source."""
    from burdenshift.engine.data_draws import weakest_payload
    from burdenshift.engine.runinfo import run_info

    world, sc = _prepare(scenario, data, deadline)
    if area is not None and area not in world.areas:
        raise InputError(
            f"unknown area '{area}'", field="--area", fix=f"use one of: {', '.join(world.areas)}"
        )
    payload = {
        **weakest_payload(world, sc, area, top),
        "run": run_info("weakest", world, sc).as_dict(),
    }
    if as_json:
        _print_json(payload)
        return
    from burdenshift.tables import print_weakest

    print_weakest(payload)


@data_app.command("validate")
def data_validate(
    folder: Annotated[Path, typer.Argument(help="The data folder to check.")],
) -> None:
    """Check a data folder with the same rules as the embedded data."""
    from burdenshift.domain.checks import check_all
    from burdenshift.domain.reader import read_folder

    problems = check_all(read_folder(folder))
    if not problems:
        typer.echo(f"{folder}: all figures pass.")
        return
    for p in problems:
        typer.echo(f"- {p.message}", err=True)
    typer.echo(f"{folder}: {len(problems)} problem(s).", err=True)
    raise typer.Exit(2)


@app.command()
def report(
    run_ids: Annotated[list[str], typer.Argument(help="One or more run ids.", metavar="RUN...")],
    html: Annotated[Path, typer.Option("--html", help="Write the HTML page here.")],
    md: Annotated[Path | None, typer.Option("--md", help="Also write Markdown here.")] = None,
    png: Annotated[
        Path | None, typer.Option("--png", help="Also write the charts as PNG here.")
    ] = None,
    xlsx: Annotated[
        Path | None,
        typer.Option("--xlsx", help="Also write every table to an Excel workbook here."),
    ] = None,
    threat: Annotated[
        bool,
        typer.Option("--threat", help="Add the race against Russia for the first run's scenario."),
    ] = False,
    db: DbOpt = None,
) -> None:
    """One self-contained HTML page (opens offline) with the verdict, tables, charts, the
    assumptions and a data-sources appendix."""
    from burdenshift.domain.load import load_world
    from burdenshift.files import write_atomic
    from burdenshift.report.page import render_runs, write_pngs
    from burdenshift.store.database import Store, db_path

    store = Store(db_path(db))
    _writable(html, "--html", store)
    _writable(md, "--md", store)
    _writable(png, "--png", store, folder=True)
    _writable(xlsx, "--xlsx", store)
    runs = [{**store.run(r), "result": store.payload(r)} for r in run_ids]
    world = load_world()
    sources, weakest = None, None
    same_data = [r for r in runs if r["data_hash"] == world.data_hash]
    if same_data:
        from burdenshift.output import source_rows

        sources = source_rows(world, world.figures)
        weakest = _weakest_for(world, same_data[0])
    race = _race_for(world, runs[0]) if threat and runs else None
    page, markdown, figs = render_runs(runs, sources, race=race, weakest=weakest)
    write_atomic(html, page)
    if md is not None:
        write_atomic(md, markdown)
    wrote = f"wrote {html}" + (f", {md}" if md else "")
    if xlsx is not None:
        from burdenshift.report.workbook import write_workbook

        sheets = write_workbook(runs, sources, xlsx)
        wrote += f", {xlsx} ({len(sheets)} sheets)"
    if png is not None:
        # PNG export (a browser) is what fails most: the page is written first, and the PNGs
        # are staged so a failure leaves none half-written
        import shutil
        import tempfile

        base = png
        while not base.exists():
            base = base.parent
        tmp = Path(tempfile.mkdtemp(prefix=".burdenshift-png-", dir=base))
        try:
            with _progress(len(figs), "charts as PNG", quiet=False, minimum=1) as step:
                staged = write_pngs(figs, tmp, progress=step)
            png.mkdir(parents=True, exist_ok=True)
            for f in staged:
                os.replace(f, png / f.name)
        except InputError as exc:
            exc.problem = f"{wrote}, but {exc.problem}"
            raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        wrote += f", {len(figs)} PNG in {png}"
    typer.echo(wrote)


def _weakest_for(world: Any, run: dict[str, Any]) -> dict[str, Any] | None:
    """The figures to check first for a kept run's scenario as applied, on the embedded data."""
    from burdenshift.engine.data_draws import weakest_payload
    from burdenshift.scenario.apply import applied_world
    from burdenshift.scenario.schema import Scenario

    applied = run["result"].get("run", {}).get("applied")
    if applied is None:
        return None
    sc = Scenario.model_validate(applied)
    return weakest_payload(applied_world(world, sc), sc, top=10)


def _race_for(world: Any, run: dict[str, Any]) -> dict[str, Any]:
    """The race against Russia on the embedded data for a kept run's scenario as applied."""
    from burdenshift.engine.runinfo import run_info
    from burdenshift.engine.threat import race
    from burdenshift.output import race_json
    from burdenshift.scenario.apply import applied_world
    from burdenshift.scenario.schema import Scenario

    sc = Scenario.model_validate(run["result"]["run"]["applied"])
    w = applied_world(world, sc)
    return race_json(race(w, sc), run_info("threat", w, sc))


@app.command()
def compare(
    run_a: Annotated[str, typer.Argument(help="Run A (the reference).")],
    run_b: Annotated[str, typer.Argument(help="Run B.")],
    html: Annotated[Path | None, typer.Option("--html", help="Write an HTML page here.")] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Side by side per area: share at the deadline, earliest year, probability, and cost
    (B minus A)."""
    from burdenshift.files import write_atomic
    from burdenshift.report.page import render_compare
    from burdenshift.store.database import Store, db_path

    store = Store(db_path(db))
    _writable(html, "--html", store)
    a, b = ({**store.run(r), "result": store.payload(r)} for r in (run_a, run_b))
    cmp, page = render_compare(a, b)
    if html is not None:
        write_atomic(html, page)
    if as_json:
        _print_json(cmp)
        return
    from burdenshift.tables import print_compare

    print_compare(cmp)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.", min=1, max=65535)] = 8000,
    db: DbOpt = None,
    data: DataOpt = None,
    allow_host: Annotated[
        list[str] | None,
        typer.Option(
            help="Another name clients may use for this server in their Host header (repeat "
            "for more; '*.example.org' for a domain). Requests naming any other host get 400, "
            "so a web page elsewhere cannot reach the server through DNS rebinding. Allowed "
            "without it: the --host address (on 127.0.0.1 also localhost and ::1). On 0.0.0.0 "
            "or :: without it, any Host is accepted, with a warning.",
        ),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            help="Plan and risk runs at once (default: half the cores, at most 4).", min=1, max=64
        ),
    ] = None,
    queue: Annotated[
        int,
        typer.Option(help="Plan and risk runs that may wait; more get 429.", min=0, max=1000),
    ] = 8,
) -> None:
    """The analyst's page and its JSON API (OpenAPI at /docs), on this machine by default."""
    import uvicorn

    from burdenshift.web.app import LOCAL_HOSTS, create_app

    extra = list(allow_host or [])
    bare = host.strip("[]").lower()
    if bare in LOCAL_HOSTS:
        allowed = [*LOCAL_HOSTS, *extra]
    elif bare in ("0.0.0.0", "::", ""):
        allowed = [*LOCAL_HOSTS, *extra] if extra else ["*"]
    else:
        allowed = [bare, *extra]
    if bare not in LOCAL_HOSTS:
        typer.echo(
            f"warning: listening on {host}: anyone who can reach this address can use the page "
            "and start runs. Use the default 127.0.0.1 unless you mean to share it.",
            err=True,
        )
    if allowed == ["*"]:
        typer.echo(
            "warning: any Host header is accepted (a web page elsewhere could reach the server "
            "through DNS rebinding); name the server's own names with --allow-host.",
            err=True,
        )
    # bad data fails here, before the server starts
    app = create_app(db, data, allowed_hosts=allowed, workers=jobs, queue=queue)
    typer.echo(f"burdenshift at http://{host}:{port}/ (API docs at /docs)", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


@runs_app.command("list")
def runs_list(db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Every kept run, oldest first."""
    from burdenshift.store.database import Store, db_path

    rows = Store(db_path(db)).runs()
    if as_json:
        _print_json(rows)
        return
    from burdenshift.tables import print_runs

    print_runs(rows)


@runs_app.command("show")
def runs_show(
    run_id: Annotated[str, typer.Argument(help="A run id from `runs list`.")],
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One run: how it was made, and its result."""
    from burdenshift.store.database import Store, db_path

    store = Store(db_path(db))
    info = {**store.run(run_id), "result": store.payload(run_id)}
    if as_json:
        _print_json(info)
        return
    from burdenshift.tables import print_run

    print_run(info)


@runs_app.command("export")
def runs_export(
    run_id: Annotated[str, typer.Argument(help="A run id from `runs list`.")],
    parquet: Annotated[Path | None, typer.Option(help="Write Parquet here.")] = None,
    csv: Annotated[Path | None, typer.Option(help="Write CSV here.")] = None,
    xlsx: Annotated[
        Path | None, typer.Option(help="Write an Excel workbook here: one sheet per table.")
    ] = None,
    db: DbOpt = None,
) -> None:
    """The run's long results table, for pandas, R or a spreadsheet; or its tables as an Excel
    workbook (with the sources of the figures when the run used the embedded data)."""
    from burdenshift.store.database import Store, db_path

    given = [(p, f) for p, f in ((parquet, "parquet"), (csv, "csv"), (xlsx, "xlsx")) if p]
    if len(given) != 1:
        raise InputError(
            "give exactly one of --parquet, --csv or --xlsx",
            field="--parquet/--csv/--xlsx",
            fix="e.g. `burdenshift runs export RUN --parquet run.parquet`",
        )
    target, fmt = given[0]
    store = Store(db_path(db))
    _writable(target, f"--{fmt}", store)
    if fmt == "xlsx":
        from burdenshift.domain.load import load_world
        from burdenshift.report.workbook import write_workbook

        run = {**store.run(run_id), "result": store.payload(run_id)}
        world = load_world()
        from burdenshift.output import source_rows

        same = run["data_hash"] == world.data_hash
        sources = source_rows(world, world.figures) if same else None
        sheets = write_workbook([run], sources, target)
        typer.echo(f"wrote {target} ({len(sheets)} sheets: {', '.join(sheets)})")
        return
    if fmt == "csv":
        from burdenshift.files import write_atomic
        from burdenshift.store.database import RESULT_COLUMNS

        meta = {**store.run(run_id), "columns": RESULT_COLUMNS, "units": "per row, in `unit`"}
        write_atomic(sidecar_path(target), json.dumps(meta, indent=2, default=str) + "\n")
    store.export(run_id, target, fmt)
    typer.echo(f"wrote {target}" + (f" and {sidecar_path(target)}" if fmt == "csv" else ""))


@runs_app.command("delete")
def runs_delete(
    run_id: Annotated[str, typer.Argument(help="A run id from `runs list`.")], db: DbOpt = None
) -> None:
    """Remove a run and its results."""
    from burdenshift.store.database import Store, db_path

    Store(db_path(db)).delete(run_id)
    typer.echo(f"deleted run {run_id}")


@query_app.command("time-to-stock")
def query_time_to_stock(
    system: Annotated[str, typer.Option(help="The system (ids as in `data sources`).")],
    target: Annotated[float, typer.Option(help="The stock to reach, items.")],
    ally: Annotated[
        str | None, typer.Option(help="One European ally (default: Europe as a whole).")
    ] = None,
    pace: Annotated[
        float | None,
        typer.Option(
            help="Items delivered a year (default: the holder's share of today's European "
            "line output for the system)."
        ),
    ] = None,
    scenario: ScenarioOpt = None,
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Years until a stock reaches a number at a pace of deliveries, with retirements and
    transfers to Ukraine; "never" when the pace cannot get there."""
    from burdenshift.engine import queries

    world, sc = _prepare(scenario, data)
    with _query_fields(
        {"system": "--system", "target": "--target", "ally": "--ally", "pace": "--pace"}
    ):
        result = queries.time_to_stock(world, sc, system, target, ally, pace)
    payload = queries.payload(result, world, sc)
    if as_json:
        _print_json(payload)
        return
    typer.echo(
        f"Time to stock: {result.holder}'s {result.system_name} ({result.system}), "
        f"{queries._num(result.stock_now)} held in {result.path[0]['year']}, target "
        f"{queries._num(result.target)}"
    )
    draws = ", ".join(f"{queries._num(v)} a year from {y}" for y, v in result.draw_per_year.items())
    if not any(result.draw_per_year.values()):
        draws = "none"
    typer.echo(
        f"  pace {queries._num(result.pace)} a year: {result.pace_basis}; retiring 1/"
        f"{result.service_life_years:g} a year; drawn for Ukraine and training: {draws}"
    )
    typer.echo(
        f"  the stock converges to {queries._num(result.limit)} "
        "(pace less the long-run draw, times the service life)"
    )
    typer.echo(f"  {result.answer}")
    rows = result.path
    shown = rows if len(rows) <= 15 else [*rows[:10], None, *rows[-3:]]
    for r in shown:
        typer.echo("    …" if r is None else f"    {r['year']}  {queries._num(r['stock'])}")


@query_app.command("cost-of-list")
def query_cost_of_list(
    items: Annotated[
        list[str],
        typer.Argument(help="SYSTEM=QUANTITY pairs, e.g. tanker=3 hq=2.", metavar="ITEMS..."),
    ],
    mode: Annotated[
        str | None,
        typer.Option(help="national or pooled (default: the scenario's procurement mode)."),
    ] = None,
    scenario: ScenarioOpt = None,
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One-off cost of a shopping list (USD m, constant 2025), line by line, and whether the
    money goes to European or to US industry."""
    from burdenshift.engine import queries

    wanted: dict[str, float] = {}
    for item in items:
        name, sep, qty = item.partition("=")
        if not sep or not name.strip():
            raise InputError(
                f"'{item}' is not SYSTEM=QUANTITY", field="ITEMS", fix="write e.g. tanker=3"
            )
        name = name.strip()
        if name in wanted:
            raise InputError(
                f"'{name}' is listed twice", field="ITEMS", fix="give each system once"
            )
        try:
            wanted[name] = float(qty)
        except ValueError:
            raise InputError(
                f"'{qty}' is not a number", field=f"ITEMS ({name}=…)", fix="give a number above 0"
            ) from None
    world, sc = _prepare(scenario, data)
    fields = {
        "items": "ITEMS",
        "mode": "--mode",
        **{f"items.{n}": f"ITEMS ({n}=…)" for n in wanted},
    }
    with _query_fields(fields):
        result = queries.cost_of_list(world, sc, wanted, mode)
    payload = queries.payload(result, world, sc)
    if as_json:
        _print_json(payload)
        return
    typer.echo(f"Cost of the list ({result.mode} procurement; {result.unit}):")
    n = queries._num
    for c in result.lines:
        made = "no line makes it"
        if c.line:
            made = (
                f"{c.industry} industry: {c.line}, {c.country}; makes {n(c.output_per_year or 0)}"
                " a year for Europe today"
                + (
                    f"; US-controlled content {c.us_content_share:.0%}"
                    if c.us_content_share
                    else ""
                )
            )
        discount = f" × {c.price_factor:.3f} pooled" if c.price_factor != 1 else ""
        typer.echo(
            f"  {c.system_name} ({c.system}): {n(c.quantity)} × {n(c.unit_cost_musd)}"
            f"{discount} = {c.cost_musd:,.1f}  → {made}"
        )
    split = ", ".join(f"{k} {v:,.1f}" for k, v in result.by_industry.items())
    typer.echo(f"  total {result.total_musd:,.1f} ({split})")


@query_app.command("spending-needed")
def query_spending_needed(
    area: Annotated[str, typer.Option(help="The capability area (ids as in `assess`).")],
    ally: Annotated[
        str | None,
        typer.Option(help="Only this ally's spending moves (default: every European ally)."),
    ] = None,
    engine: Annotated[str, typer.Option(help="simulate, plan or both.")] = "both",
    deadline: Annotated[int | None, typer.Option(help="Override the scenario's deadline.")] = None,
    time_limit: Annotated[
        float, typer.Option("--time-limit", help="Seconds each plan stage may take.")
    ] = 30.0,
    max_solves: Annotated[
        int, typer.Option("--max-solves", help="Plans solved at most by the search.")
    ] = 8,
    scenario: ScenarioOpt = None,
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The spending (% of GDP in the deadline year) at which an area first holds its target by
    the deadline, under simulate and under plan, side by side."""
    from burdenshift.engine import queries

    if engine not in ("simulate", "plan", "both"):
        raise InputError(
            f"unknown engine '{engine}'", field="--engine", fix="use simulate, plan or both"
        )
    engines = list(queries.ENGINES) if engine == "both" else [engine]
    world, sc = _prepare(scenario, data, deadline)
    fields = {
        "area": "--area",
        "ally": "--ally",
        "engine": "--engine",
        "time_limit": "--time-limit",
        "max_plan_solves": "--max-solves",
    }
    with _query_fields(fields):
        result = queries.spending_needed(world, sc, area, ally, engines, time_limit, max_solves)
    payload = queries.payload(result, world, sc)
    if as_json:
        _print_json(payload)
        return
    typer.echo(
        f"Spending needed for {result.area_name} ({result.area}) to hold {result.target:.0%} in "
        f"{result.deadline} — {result.who}; today {result.pct_gdp_today:.2f} % of GDP, the "
        f"scenario {result.pct_gdp_scenario:.2f} % in {result.deadline}"
    )
    for a in result.answers:
        typer.echo(f"  {a.answer}  [{a.evaluations} runs]")
    for a in result.answers:
        typer.echo(f"  ({a.assumes})")
    typer.echo(f"  Search: {result.search}.")


@contextlib.contextmanager
def _query_fields(names: dict[str, str]) -> Iterator[None]:
    """A query's user error names the option or argument it came from."""
    try:
        yield
    except InputError as exc:
        if exc.field in names:
            raise InputError(
                exc.problem, file=exc.file, line=exc.line, field=names[exc.field], fix=exc.fix
            ) from None
        raise


def _store_for(db: Path | None, no_store: bool, check: bool = True) -> Store | None:
    """The store this command keeps its run in, checked before any engine runs (None with
    --no-store): a damaged or foreign file fails now, not after minutes of work. A command
    that keeps its run before it writes or prints anything passes `check=False`: the keeping
    raises the same error, and the check would open the file twice for nothing."""
    if no_store:
        return None
    from burdenshift.store.database import Store, db_path

    store = Store(db_path(db))
    if check:
        store.check()
    return store


def _writable(path: Path | None, option: str, store: Store | None, folder: bool = False) -> None:
    """Refuse an output path before anything runs or is kept, so that an exit-2 command leaves
    no stored run and no file: the folder must exist (for --png, a folder is created inside
    the nearest existing one) and be writable, and the path must not be the run store."""
    if path is None:
        return
    where = path
    if folder:
        if path.exists() and not path.is_dir():
            raise InputError(
                "is a file, not a folder", file=str(path), field=option, fix="give a folder"
            )
        while not where.exists():
            where = where.parent
    else:
        if path.is_dir():
            raise InputError(
                "is a folder", file=str(path), field=option, fix="give a file name inside it"
            )
        where = path.parent
        if not where.is_dir():
            raise InputError(
                "the folder does not exist",
                file=str(path),
                field=option,
                fix="create the folder or choose another path",
            )
    if not where.is_dir() or not os.access(where, os.W_OK | os.X_OK):
        raise InputError(
            f"the folder {where} is not writable",
            file=str(path),
            field=option,
            fix="choose a folder you can write to",
        )
    if store is not None and path.resolve() == store.path.resolve():
        raise InputError(
            "is the run store itself",
            file=str(path),
            field=option,
            fix="choose another file name",
        )


def _keep(
    store: Store | None,
    engine: str,
    runs: list[tuple[dict[str, Any], str]],
    started: float,
    then: Callable[[list[str]], None] | None = None,
) -> None:
    """Store the runs (payload, status) in one transaction, then do `then(run ids)` (write the
    files asked for); if that fails the runs are deleted again, so an error leaves nothing stored.
    Says where on stderr, so JSON output stays clean."""
    ids: list[str] = []
    if store is not None:
        from burdenshift.store.database import NewRun

        wall = time.perf_counter() - started
        ids = store.save_many([NewRun(engine, p, wall, status) for p, status in runs])
    try:
        if then is not None:
            then(ids)
    except BaseException:
        for run_id in ids if store is not None else []:
            with contextlib.suppress(InputError):
                store.delete(run_id)
        raise
    if store is not None:
        from burdenshift.tables import clean

        for run_id in ids:
            typer.echo(f"kept as run {run_id} in {clean(store.path)}", err=True)


def _print_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")


def _write_csv(path: Path, rows: list[tuple], run: dict, run_id: str | None) -> None:
    """The long results in the store's columns, as `runs export --csv` writes them, with the
    run's metadata in a sidecar (`PATH.meta.json`) so the CSV itself loads as it is."""
    import csv as csvmod
    import io

    from burdenshift.files import write_atomic
    from burdenshift.store.database import RESULT_COLUMNS

    buf = io.StringIO()
    writer = csvmod.writer(buf, lineterminator="\n")
    writer.writerow(RESULT_COLUMNS)
    writer.writerows((run_id, *row) for row in rows)
    write_atomic(sidecar_path(path), json.dumps({"run_id": run_id, **run}, indent=2) + "\n")
    write_atomic(path, buf.getvalue())


def sidecar_path(path: Path) -> Path:
    """Where a CSV export's metadata goes: beside it, `NAME.meta.json`."""
    return path.with_name(path.name + ".meta.json")


def main() -> None:
    import warnings

    # arithmetic that overflows or divides by zero in burdenshift's own code would print a
    # warning with a source path and go on to a wrong number: stop with the internal-error line
    warnings.filterwarnings("error", category=RuntimeWarning, module=r"burdenshift(\.|$)")
    if len(sys.argv) == 1:  # a first run: the commands to start with, and no error code
        sys.argv.append("--help")
    try:
        code = app(standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except InputError as exc:
        from burdenshift.tables import clean

        # a message may quote a path, key or name from the input: never let it act on the terminal
        typer.echo(f"error: {clean(exc.message)}", err=True)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(1)
    except Exception as exc:
        # usage errors (a bad option value): click's, or the copy of click newer Typer ships
        if callable(getattr(exc, "show", None)) and hasattr(exc, "exit_code"):
            exc.show()
            sys.exit(2)
        if os.environ.get("BURDENSHIFT_DEBUG"):
            raise
        # a bug, not the user's input: one line that says so, the traceback on request
        typer.echo(
            f"error: internal error ({type(exc).__name__}); this is a fault in burdenshift, not "
            "in your input: please report the command and its files. Set BURDENSHIFT_DEBUG=1 "
            "to see the traceback.",
            err=True,
        )
        sys.exit(1)
