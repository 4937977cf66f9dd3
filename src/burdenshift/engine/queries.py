"""Queries analysts ask: thin functions over the engines, one answer each.

- `time_to_stock`: the years until an ally's (or Europe's) stock of a system reaches a number at
  a given pace of deliveries, with retirements and the yearly draw (transfers to Ukraine,
  training use), and "never" when the pace cannot get there;
- `cost_of_list`: the one-off cost of a shopping list, line by line, and whether the money goes
  to European or to US industry;
- `spending_needed`: the defence spending (% of GDP) in the deadline year at which an area first
  holds its target by the deadline, under `simulate` and under `plan`, side by side.

Each is a pure function over a World (as the scenario applies it) and a Scenario; the CLI
(`burdenshift query …`), the Python API (`burdenshift.api`) and the JSON API
(`POST /api/query/…`) call these same functions and print `payload(result, …)`.
Definitions come from `engine/counting.py`, never re-derived here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

from burdenshift.domain.world import World
from burdenshift.engine import counting, runinfo
from burdenshift.errors import InputError
from burdenshift.scenario.schema import Scenario

EUROPE = "Europe"
MAX_YEARS = 500
"""How far `time_to_stock` looks ahead before it says "not within this many years"."""
SPEND_MAX = 10.0
"""Spending searched, % of GDP: 0 to this."""
SPEND_STEP = 0.05
"""Precision of the spending search, percentage points of GDP."""
PLAN_SHORTFALL_TOL = 1e-6
"""The plan holds an area when its shortfall in the deadline year is at most this."""
MAX_PLAN_SOLVES = 8
"""Plans solved at most by one `spending_needed` search."""
ENGINES = ("simulate", "plan")

Engine = Literal["simulate", "plan"]


# -- input checks ------------------------------------------------------------------------------
def _positive(value: float, name: str) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise InputError(f"{value!r} is not a number", field=name, fix="give a number above 0")
    if not math.isfinite(value) or value <= 0:
        raise InputError(
            f"{value:g} is not a positive number", field=name, fix="give a number above 0"
        )
    return float(value)


def _system(world: World, system: str, name: str = "system") -> int:
    if system not in world.systems:
        raise InputError(
            f"unknown system '{system}'", field=name, fix=f"use one of: {', '.join(world.systems)}"
        )
    return world.systems.index(system)


def _area(world: World, area: str) -> int:
    if area not in world.areas:
        raise InputError(
            f"unknown area '{area}'", field="area", fix=f"use one of: {', '.join(world.areas)}"
        )
    return world.areas.index(area)


def _ally(world: World, scenario: Scenario, ally: str) -> int:
    europe = world.europe_mask(scenario.europe_includes_canada)
    names = [a for a, e in zip(world.allies, europe, strict=True) if e]
    if ally not in world.allies:
        raise InputError(
            f"unknown ally '{ally}'", field="ally", fix=f"use one of: {', '.join(names)}"
        )
    i = world.allies.index(ally)
    if not europe[i]:
        raise InputError(
            f"'{ally}' is not one of the European allies this scenario counts",
            field="ally",
            fix=f"use one of: {', '.join(names)}",
        )
    return i


def european_output(world: World, system: int) -> float:
    """Items a year today's European lines make of a system for European allies (today's
    capacity × the share of output available to Europe)."""
    lines = (world.line_system == system) & ~world.line_is_us
    return float((world.capacity_per_year * world.europe_share)[lines].sum())


# -- time to stock -----------------------------------------------------------------------------
@dataclass(frozen=True)
class TimeToStock:
    system: str
    system_name: str
    holder: str
    """An ally's id, or "Europe"."""
    target: float
    """Items the stock is to reach."""
    stock_now: float
    """Items held in the base year."""
    pace: float
    """Items delivered a year."""
    pace_basis: str
    share: float
    """The holder's share of Europe's stock today: its part of the default pace and the draw."""
    service_life_years: float
    draw_per_year: dict[str, float]
    """Items drawn a year (transfers to Ukraine and training use), by the year it changes."""
    limit: float
    """The stock the pace converges to: (pace − the lasting draw) × service life."""
    reached: bool
    year: int | None
    years: int | None
    path: list[dict[str, float]]
    answer: str
    query: str = "time-to-stock"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def time_to_stock(
    world: World,
    scenario: Scenario,
    system: str,
    target: float,
    ally: str | None = None,
    pace: float | None = None,
) -> TimeToStock:
    """The first year the holder's stock of `system` reaches `target` items.

    stock[t] = max(stock[t−1] · (1 − 1/life) + pace − draw[t], 0) from the base year's holdings,
    deliveries from the year after (as in every engine). The draw is Europe's yearly draw
    (`counting.yearly_draw`) times the holder's share of Europe's stock today; the default pace
    is that share of today's European line output for the system. The stock converges to
    (pace − lasting draw) × life, so a target at or above that is never reached.
    """
    s = _system(world, system)
    goal = _positive(target, "target")
    rate = _positive(pace, "pace") if pace is not None else None
    europe = world.europe_mask(scenario.europe_includes_canada)
    held = world.holdings[:, s] * europe
    total = float(held.sum())
    if ally is None:
        holder, share, stock0 = EUROPE, 1.0, total
    else:
        i = _ally(world, scenario, ally)
        holder, stock0 = ally, float(held[i])
        if total > 0:
            share = stock0 / total
        else:  # nobody in Europe holds it: new buyers share by GDP
            gdp = world.gdp_usd_bn * europe
            share = float(gdp[i] / gdp.sum())
    years = np.arange(world.base_year, world.base_year + MAX_YEARS + 1)
    draw = counting.yearly_draw(world, scenario, years)[s] * share
    output = european_output(world, s)
    if rate is None:
        rate = share * output
        basis = (
            f"today's European line output for the system ({_num(output)} a year)"
            if ally is None
            else f"{ally}'s share of today's European line output for the system: {share:.1%} "
            f"(its share of Europe's stock) of {_num(output)} a year"
        )
    else:
        basis = "given"
    life = float(world.service_life_years[s])
    keep = 1.0 - 1.0 / life
    lasting = float(draw[-1])
    limit = max(rate - lasting, 0.0) * life
    stock = np.zeros(len(years))
    stock[0] = stock0
    for t in range(1, len(years)):
        stock[t] = max(stock[t - 1] * keep + rate - draw[t], 0.0)
    hit = np.flatnonzero(stock >= goal - 1e-9 * max(goal, 1.0))
    reached = bool(hit.size)
    if reached:
        end = int(hit[0])
    else:  # show the path until it has settled near its limit (at least the horizon)
        near = np.abs(stock - limit) <= 0.01 * max(limit, 1.0)
        horizon_end = max(scenario.horizon[1] - world.base_year, 1)
        settled = np.flatnonzero(near & (np.arange(len(years)) >= horizon_end))
        end = int(settled[0]) if settled.size else len(years) - 1
    path = [{"year": int(years[t]), "stock": round(float(stock[t]), 6)} for t in range(end + 1)]
    changes = {
        str(int(years[t])): round(float(draw[t]), 6)
        for t in range(1, len(years))
        if t == 1 or draw[t] != draw[t - 1]
    }
    who = "Europe's" if ally is None else f"{ally}'s"
    name = world.system_names[s]
    n = _num
    if reached and end == 0:
        answer = f"{who} stock of {name} ({n(stock0)}) is already at or above {n(goal)}"
    elif reached:
        answer = (
            f"{who} stock of {name} reaches {n(goal)} in {int(years[end])}, after {end} "
            f"year{'s' * (end != 1)}, at {n(rate)} delivered a year"
        )
    elif goal >= limit:
        why = (
            f"converges to (pace − draw) × service life = ({n(rate)} − {n(lasting)}) × {life:g} "
            f"= {n(limit)}"
            if rate > lasting
            else f"runs down to 0 (the pace does not cover the {n(lasting)} drawn a year)"
        )
        answer = (
            f"never: at {n(rate)} delivered a year, with 1/{life:g} retiring a year and "
            f"{n(lasting)} a year drawn in the long run, {who} stock of {name} {why}, "
            f"below {n(goal)}"
        )
    else:
        answer = f"not within {MAX_YEARS} years: the stock creeps toward {n(limit)}"
    return TimeToStock(
        system=system,
        system_name=name,
        holder=holder,
        target=goal,
        stock_now=stock0,
        pace=float(rate),
        pace_basis=basis,
        share=share,
        service_life_years=life,
        draw_per_year=changes,
        limit=limit,
        reached=reached,
        year=int(years[end]) if reached else None,
        years=end if reached else None,
        path=path,
        answer=answer,
    )


def _num(x: float) -> str:
    """A count in words: 600,600 rather than 6.006e+05; 0.666667 for fractions."""
    return f"{x:,.0f}" if abs(x) >= 1e4 else f"{x:,.6g}"


# -- cost of a list ----------------------------------------------------------------------------
@dataclass(frozen=True)
class CostLine:
    system: str
    system_name: str
    quantity: float
    unit_cost_musd: float
    price_factor: float
    """1 in national mode; pooled: the learning discount of one longer run."""
    cost_musd: float
    industry: str
    """"Europe", "US" or "no line": whose industry the money goes to."""
    line: str | None
    producer: str | None
    country: str | None
    output_per_year: float | None
    """Items the line makes for European allies a year today (0: a line still to be built or
    ramped up)."""
    us_content_share: float | None
    """Share of the line's content under US control (ITAR): part of "European" money may
    still need a US licence."""


@dataclass(frozen=True)
class CostOfList:
    mode: str
    lines: list[CostLine]
    total_musd: float
    by_industry: dict[str, float]
    unit: str = "USD_m (constant 2025)"
    query: str = "cost-of-list"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def cost_of_list(
    world: World, scenario: Scenario, items: Mapping[str, float], mode: str | None = None
) -> CostOfList:
    """Unit price × quantity per system (`unit_cost_musd`), bought from the cheapest line that
    makes it: a European one if any exists, else a US one, else none ("no line"; priced at the
    unit cost). Pooled mode applies the learning discount of one longer run
    (`counting.pooled_price_factor`) as `simulate` and `plan` do; no variant or capital cost."""
    chosen = mode or scenario.procurement
    if chosen not in ("national", "pooled"):
        raise InputError(f"unknown mode '{mode}'", field="mode", fix="use national or pooled")
    if not items:
        raise InputError(
            "the shopping list is empty", field="items", fix="give at least one system=quantity"
        )
    europe = world.europe_mask(scenario.europe_includes_canada)
    factor = (
        counting.pooled_price_factor(world, europe)
        if chosen == "pooled"
        else np.ones(len(world.lines))
    )
    out = []
    for name, qty in items.items():
        s = _system(world, name, "items")
        q = _positive(qty, f"items.{name}")
        unit = float(world.unit_cost_musd[s])
        makes = np.flatnonzero(world.line_system == s)
        european = makes[~world.line_is_us[makes]]
        pick = european if european.size else makes
        if pick.size:
            # the cheapest; among equals the one that makes most for Europe, then by id
            best = min(
                pick,
                key=lambda i: (
                    unit * factor[i],
                    -world.capacity_per_year[i] * world.europe_share[i],
                    world.lines[i],
                ),
            )
            f = float(factor[best])
            industry = "Europe" if european.size else "US"
            line, producer = world.lines[best], world.line_producer[best]
            country: str | None = world.allies[world.line_country[best]]
            output: float | None = float(world.capacity_per_year[best] * world.europe_share[best])
            content: float | None = float(world.us_content_share[best])
        else:
            f, industry, line, producer, country = 1.0, "no line", None, None, None
            output = content = None
        out.append(
            CostLine(
                system=name,
                system_name=world.system_names[s],
                quantity=q,
                unit_cost_musd=unit,
                price_factor=f,
                cost_musd=unit * f * q,
                industry=industry,
                line=line,
                producer=producer,
                country=country,
                output_per_year=output,
                us_content_share=content,
            )
        )
    by: dict[str, float] = {}
    for c in out:
        by[c.industry] = by.get(c.industry, 0.0) + c.cost_musd
    return CostOfList(
        mode=chosen, lines=out, total_musd=sum(c.cost_musd for c in out), by_industry=by
    )


# -- spending needed ---------------------------------------------------------------------------
HOLDS = {
    "simulate": "the area holds its target when its coverage in the deadline year reaches it",
    "plan": "the area holds its target when the plan's shortfall there in the deadline year "
    f"(target − the plan's benchmark coverage) is at most {PLAN_SHORTFALL_TOL:g}",
}
"""When each engine's answer counts the area as holding its target."""


def assumes(engine: str) -> str:
    """The engine's label (`runinfo.engine_label`, the one place that says what each engine
    assumes) and the query's test of holding the target."""
    return f"{runinfo.engine_label(engine)}; {HOLDS[engine]}"


@dataclass(frozen=True)
class SpendingAnswer:
    engine: str
    assumes: str
    reachable: bool
    pct_gdp: float | None
    """The least spending found at which the area holds its target (a multiple of the step)."""
    holds_below: float | None
    """The highest spending tried at which it does not hold (None: none tried)."""
    precision_pp: float | None
    """pct_gdp − holds_below: the search's precision (the step when it is pinned down)."""
    coverage_at_answer: float | None
    """The area's coverage in the deadline year at `pct_gdp` (at 10 % when not reachable)."""
    evaluations: int
    tried: list[dict[str, Any]]
    """Each spending tried, in order: {"pct_gdp", "holds", "coverage"[, "status"]}."""
    answer: str


@dataclass(frozen=True)
class SpendingNeeded:
    area: str
    area_name: str
    who: str
    """An ally's id, or "Europe" (every European ally at the same % of GDP)."""
    deadline: int
    target: float
    pct_gdp_today: float
    """Spending today, % of GDP (Europe: GDP-weighted)."""
    pct_gdp_scenario: float
    """The scenario's own spending in the deadline year, % of GDP (Europe: GDP-weighted)."""
    answers: list[SpendingAnswer]
    search: str
    query: str = "spending-needed"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Probe:
    """One engine's test: does the area hold at x % of GDP? Remembers what it tried."""

    test: Callable[[float], tuple[bool, float, str | None]]
    tried: list[dict[str, Any]] = field(default_factory=list)
    known: dict[int, bool] = field(default_factory=dict)
    coverage: dict[int, float] = field(default_factory=dict)

    def __call__(self, k: int) -> bool:
        if k not in self.known:
            x = round(k * SPEND_STEP, 10)
            holds, cov, status = self.test(x)
            row: dict[str, Any] = {"pct_gdp": x, "holds": holds, "coverage": round(cov, 6)}
            if status is not None:
                row["status"] = status
            self.tried.append(row)
            self.known[k], self.coverage[k] = holds, cov
        return self.known[k]


def _search(probe: _Probe, budget: int, hint: int | None = None) -> tuple[int | None, int]:
    """The least k in 0…K (x = k · step) at which the probe holds, by bisection, assuming more
    money never loses the area; `hint` (another engine's answer) is tried first. Returns (k, or
    None when it fails at K; the highest k tried at which it fails, or −1 when none failed)."""
    top = round(SPEND_MAX / SPEND_STEP)
    lo, hi = -1, None
    if hint is not None:
        if probe(hint):
            hi = hint
        else:
            lo = hint
    if hi is None:
        if not probe(top):
            return None, top
        hi = top
    while hi - lo > 1 and len(probe.tried) < budget:
        mid = (lo + hi) // 2
        if probe(mid):
            hi = mid
        else:
            lo = mid
    return hi, lo


def _spend(scenario: Scenario, ally: str | None, x: float) -> Scenario:
    data = scenario.model_dump()
    point = {scenario.deadline: x}
    if ally is None:  # every European ally: one point for all, no ally's own path in the way
        data["budget"]["pct_gdp"] = point
        data["budget"]["by_ally"] = {}
    else:
        data["budget"]["by_ally"] = {**data["budget"]["by_ally"], ally: point}
    return Scenario.model_validate(data)


def check_spending(
    world: World,
    scenario: Scenario,
    area: str,
    ally: str | None = None,
    engines: Sequence[str] = ENGINES,
    time_limit: float | None = None,
    max_plan_solves: int = MAX_PLAN_SOLVES,
) -> tuple[int, list[str]]:
    """`spending_needed`'s input checks alone (the web checks before it queues the work):
    the area's index and the engines chosen, in order."""
    a = _area(world, area)
    if ally is not None:
        _ally(world, scenario, ally)
    chosen = list(dict.fromkeys(engines))
    for e in chosen:
        if e not in ENGINES:
            raise InputError(
                f"unknown engine '{e}'", field="engine", fix="use simulate, plan or both"
            )
    if not chosen:
        raise InputError("no engine chosen", field="engine", fix="use simulate, plan or both")
    if time_limit is not None:
        _positive(time_limit, "time_limit")
    if max_plan_solves < 1:
        raise InputError(
            f"{max_plan_solves} plan solves", field="max_plan_solves", fix="allow at least 1"
        )
    return a, chosen


def spending_needed(
    world: World,
    scenario: Scenario,
    area: str,
    ally: str | None = None,
    engines: Sequence[str] = ENGINES,
    time_limit: float | None = None,
    max_plan_solves: int = MAX_PLAN_SOLVES,
    watch: Any = None,
) -> SpendingNeeded:
    """The least defence spending in the deadline year (% of GDP; the scenario's
    `budget.pct_gdp` replaced by the one point {deadline: x}, linear from today's figure and
    flat after; or `budget.by_ally[ally]` for one ally) at which `area` holds its target in the
    deadline year, searched by bisection over 0–10 % in steps of 0.05 pp under each engine.
    `plan` starts from `simulate`'s answer and solves at most `max_plan_solves` plans, each
    stage within `time_limit` seconds; when the solves run out before the step is reached the
    answer says to what precision it is known. `watch` (a plan `Watch`) can cancel the solves."""
    from burdenshift.engine.simulate import simulate

    a, chosen = check_spending(world, scenario, area, ally, engines, time_limit, max_plan_solves)
    target = float(counting.targets(world, scenario)[a])
    deadline = scenario.deadline
    years = list(scenario.years)
    dl = years.index(deadline)

    def by_simulate(x: float) -> tuple[bool, float, str | None]:
        sim = simulate(world, _spend(scenario, ally, x), detail=False)
        cov = float(sim.europe_share[0, a, dl])
        return cov >= target - 1e-9, cov, None

    solver: list[Any] = []

    def by_plan(x: float) -> tuple[bool, float, str | None]:
        from burdenshift.engine.plan import PlanSolver, PlanStatus, SolveOptions, plan

        if not solver:
            solver.append(PlanSolver())
        p = plan(
            world,
            _spend(scenario, ally, x),
            scenario.procurement,
            SolveOptions(time_limit=time_limit),
            solver=solver[0],
            watch=watch,
        )
        if p.status in (PlanStatus.INFEASIBLE, PlanStatus.UNBOUNDED):
            raise InputError(
                f"the plan at {x:g} % of GDP is {p.status.value}; involved: "
                + "; ".join(p.diagnosis),
                fix="correct the figures named above",
            )
        cov = float(p.benchmarks.sel(area=area, year=deadline))
        return max(0.0, target - cov) <= PLAN_SHORTFALL_TOL, cov, p.status.value

    answers: list[SpendingAnswer] = []
    hint: int | None = None
    unlimited = round(SPEND_MAX / SPEND_STEP) + 2
    for engine in ENGINES:
        if engine not in chosen:
            continue
        probe = _Probe(by_simulate if engine == "simulate" else by_plan)
        budget = unlimited if engine == "simulate" else max_plan_solves
        k, below = _search(probe, budget, hint if engine == "plan" else None)
        if engine == "simulate":
            hint = k
        answers.append(_answer(engine, probe, k, below, target, world.area_names[a], ally))
    if ally is None:
        weights = world.gdp_usd_bn * world.europe_mask(scenario.europe_includes_canada)
    else:
        weights = np.array([name == ally for name in world.allies], dtype=float)
    weights = weights / weights.sum()  # GDP grows alike for every ally: today's weights hold
    path = counting.defence_pct_path(world, scenario, np.array(years))[:, dl]
    return SpendingNeeded(
        area=area,
        area_name=world.area_names[a],
        who=EUROPE if ally is None else ally,
        deadline=deadline,
        target=target,
        pct_gdp_today=float(weights @ world.defence_pct_gdp),
        pct_gdp_scenario=float(weights @ path),
        answers=answers,
        search=(
            f"bisection over the deadline year's spending, 0–{SPEND_MAX:g} % of GDP in steps of "
            f"{SPEND_STEP:g} pp ({'every European ally alike' if ally is None else ally + ' only'}"
            f"; linear from today's figure to the deadline, flat after)"
            + (
                f"; plan: at most {max_plan_solves} solves"
                + (", starting from simulate's answer" if "simulate" in chosen else "")
                if "plan" in chosen
                else ""
            )
        ),
    )


def _answer(
    engine: str,
    probe: _Probe,
    k: int | None,
    below: int,
    target: float,
    area_name: str,
    ally: str | None,
) -> SpendingAnswer:
    who = "Europe" if ally is None else ally
    top = round(SPEND_MAX / SPEND_STEP)
    if k is None:
        return SpendingAnswer(
            engine=engine,
            assumes=assumes(engine),
            reachable=False,
            pct_gdp=None,
            holds_below=None,
            precision_pp=None,
            coverage_at_answer=probe.coverage[top],
            evaluations=len(probe.tried),
            tried=probe.tried,
            answer=f"{engine}: not reachable at {SPEND_MAX:g} % of GDP ({area_name} covers "
            f"{probe.coverage[top]:.1%} against a target of {target:.0%})",
        )
    x = round(k * SPEND_STEP, 10)
    low = round(below * SPEND_STEP, 10) if below >= 0 else None
    precision = round(x - low, 10) if low is not None else (0.0 if k == 0 else x)
    if k == 0:
        text = f"{engine}: {area_name} holds {target:.0%} even at 0 % of GDP"
    else:
        known = (
            f"to {SPEND_STEP:g} pp"
            if low is not None and k - below == 1
            else f"between {low if low is not None else 0:g} and {x:g} % (the solves ran out)"
        )
        text = (
            f"{engine}: {who} must spend {x:g} % of GDP in the deadline year for {area_name} "
            f"to hold {target:.0%} ({known})"
        )
    return SpendingAnswer(
        engine=engine,
        assumes=assumes(engine),
        reachable=True,
        pct_gdp=x,
        holds_below=low,
        precision_pp=precision,
        coverage_at_answer=probe.coverage[k],
        evaluations=len(probe.tried),
        tried=probe.tried,
        answer=text,
    )


# -- the one JSON shape every front end prints -------------------------------------------------
def payload(
    result: TimeToStock | CostOfList | SpendingNeeded, world: World, scenario: Scenario
) -> dict[str, Any]:
    """The result as the CLI's --json and the JSON API return it, with its run record."""
    return {
        **result.as_dict(),
        "run": runinfo.run_info(f"query {result.query}", world, scenario).as_dict(),
    }
