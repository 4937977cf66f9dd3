"""The source policy (domain/source_policy.py): every rejected class is refused with an error
that names the file, the row and the fix; reputable sources and look-alikes pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from burdenshift.domain.checks import check_all
from burdenshift.domain.reader import read_folder
from burdenshift.domain.source_policy import BANNED, UNNAMED_KIND, breach

from .conftest import run_cli

ADVERSARY, FORUM, PATH = (
    "a state-controlled outlet of an adversary",
    "a forum or board",
    "a file path or design note",
)
REJECTED = {
    "https://tass.com/world/2001131": ADVERSARY,
    "TASS, 3 May 2025": ADVERSARY,
    "ТАСС, 3 May 2025": ADVERSARY,
    "RIA Novosti report": ADVERSARY,
    "РИА Новости, 2 May 2025": ADVERSARY,
    "RIA, 2 May 2025": ADVERSARY,
    "https://ria.ru/20250101/x.html": ADVERSARY,
    "https://www.rt.com/news/1234": ADVERSARY,
    "RT, 2 May 2025": ADVERSARY,
    "RT Arabic, 'Title', 2024": ADVERSARY,
    "https://sputnikglobe.com/20161129/europe-army": ADVERSARY,
    "Спутник Армения, 2025": ADVERSARY,
    "https://noticiabrasil.net.br/20250101/x.html": ADVERSARY,
    "https://de.news-pravda.com/world/2025/x.html": ADVERSARY,
    "https://pravda-fr.com/x": ADVERSARY,
    "https://gamrconnect.vgchartz.com/thread.php?id=1": FORUM,
    "https://egg.5ch.net/test/read.cgi/x": FORUM,
    "https://www.reddit.com/r/WarCollege/comments/x": FORUM,
    "https://forum.militaryparitet.com/viewtopic.php?id=1": FORUM,
    "https://defencehub.live/threads/a400m.128/post-34911": FORUM,
    "https://www.key.aero/forum/modern-military-aviation/x": FORUM,
    "/work/shared/design/METHOD.md (capability-unit examples)": PATH,
    "see shared/design/notes": PATH,
    "METHOD.md": PATH,
    "docs/method.md, section 3": PATH,
    "reference file (/data/reference/holdings_more.csv)": PATH,
    "notes/issue13.md, 2025": PATH,
    "./notes/x.md, 2025": PATH,
    "~/x/y.md, 2025": PATH,
    "C:\\data\\x.csv, 2025": PATH,
    "file:///home/x/a.md, 2025": PATH,
    "see the method, 2025": PATH,
    "the design note on tiers, 2025": PATH,
    "https://www.defensenews.com/global/europe/2025/01/02/x/": UNNAMED_KIND,
    "Reuters, 'Title', 3 Aug 2013, read at https://www.reuters.com/x ; https://example.org/y": (
        UNNAMED_KIND
    ),
}
KINDS = list(dict.fromkeys(REJECTED.values()))
assert {rule.kind.split(" (")[0] for rule in BANNED} | {UNNAMED_KIND} == set(KINDS)

ALLOWED = [
    "Reuters, 'Spain aims to resell half A400M fleet', 3 Aug 2013, read at https://www.tumbit.com/x",
    "Ukrainska Pravda, 12 Jan 2025, https://www.pravda.com.ua/eng/news/2025/01/12/1/",
    "Defense News, 'Title', 2 Jan 2025, https://www.defensenews.com/global/europe/2025/01/02/x/",
    "IISS, The Military Balance 2025 (London: Routledge/IISS, Feb 2025)",
    "Munich Security Conference, Munich Security Report 2017",
    "Smart, 'About us', undated, read at https://www.smart.com/en/about",
    "NATO, 'Defence Expenditure', Jul 2026, read at https://www.nato.int/x ; IMF, 'WEO', Apr 2026",
    "modelling assumption: the IISS force list (May 2025)",
    "RTX, 'Raytheon to build more SM-6', 12 Feb 2026, read at https://www.rtx.com/news/x",
    "Defense News, 2025, read at https://www.defensenews.com/a/b/report.json",
    "Airbus, 'Annual report 2024', read at https://www.airbus.com/en/x/report.pdf",
]


@pytest.mark.parametrize("source", sorted(REJECTED))
def test_every_rejected_class_is_caught(source):
    found = breach(source)
    assert found is not None, source
    assert found[0].startswith(REJECTED[source])


@pytest.mark.parametrize("source", ALLOWED)
def test_reputable_sources_and_look_alikes_pass(source):
    assert breach(source) is None


def _cite(folder: Path, source: str) -> int:
    """Make the FRA tanker holding cite `source`; its line."""
    path = folder / "holdings.csv"
    lines = path.read_text().splitlines()
    hit = next(i for i, line in enumerate(lines) if line.startswith("FRA:tanker,quantity"))
    lines[hit] = f'FRA:tanker,quantity,4,items,2026,"{source}",high,,,'
    path.write_text("\n".join(lines) + "\n")
    return hit + 1


@pytest.mark.parametrize("kind", range(len(KINDS)))
def test_a_banned_source_is_one_error_naming_the_row(tiny_copy, kind):
    source = next(s for s, k in REJECTED.items() if k == KINDS[kind])
    line = _cite(tiny_copy, source)
    problems = check_all(read_folder(tiny_copy))
    assert len(problems) == 1, [p.message for p in problems]
    p = problems[0]
    assert p.file.endswith("holdings.csv") and p.line == line
    assert "FRA:tanker" in p.message and KINDS[kind] in p.message
    assert "original publisher" in p.fix
    proc = run_cli("data", "validate", str(tiny_copy))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"holdings.csv, line {line}" in proc.stderr


def test_a_banned_source_in_the_uncertainty_file_is_refused(tiny_copy, tmp_path):
    (tiny_copy / "uncertainty.yaml").write_text(
        "cost_overrun:\n"
        "  dist: uniform\n"
        "  low: 1.0\n"
        "  high: 1.2\n"
        "  source: https://tass.com/economy/1\n"
    )
    problems = check_all(read_folder(tiny_copy))
    assert len(problems) == 1, [p.message for p in problems]
    p = problems[0]
    assert p.file.endswith("uncertainty.yaml") and p.line == 5 and "state-controlled" in p.message


def test_the_shipped_data_keeps_the_policy():
    from burdenshift.domain.load import load_raw

    raw = load_raw()
    assert not [f for f in raw.figures if breach(f.source)]


@pytest.mark.parametrize("confidence", ["high", "medium", "low"])
def test_a_sourced_figure_without_a_date_is_one_error_naming_the_row(tiny_copy, confidence):
    """'Reuters' alone names no title or date: a figure read in a source must date it, or
    say why it cannot ("undated (no date on the page)"); an assumption's reasoning need not."""
    path = tiny_copy / "holdings.csv"
    lines = path.read_text().splitlines()
    hit = next(i for i, line in enumerate(lines) if line.startswith("FRA:tanker,quantity"))
    lines[hit] = f"FRA:tanker,quantity,4,items,2026,Reuters,{confidence},why,2,6"
    path.write_text("\n".join(lines) + "\n")
    problems = check_all(read_folder(tiny_copy))
    assert len(problems) == 1, [p.message for p in problems]
    p = problems[0]
    assert p.line == hit + 1 and "FRA:tanker" in p.message and "no date" in p.message
    assert "undated (no date on the page)" in p.fix
    lines[hit] = "FRA:tanker,quantity,4,items,2026,Reuters (undated: no date on the page),high,,,"
    path.write_text("\n".join(lines) + "\n")
    assert check_all(read_folder(tiny_copy)) == []
    lines[hit] = (
        "FRA:tanker,quantity,4,items,2026,modelling assumption: fleet plans,assumption,x,2,6"
    )
    path.write_text("\n".join(lines) + "\n")
    assert check_all(read_folder(tiny_copy)) == []
