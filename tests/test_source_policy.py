"""The source policy (domain/source_policy.py): every rejected class is refused with an error
that names the file, the row and the fix; reputable sources and look-alikes pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from burdenshift.domain.checks import check_all
from burdenshift.domain.reader import read_folder
from burdenshift.domain.source_policy import BANNED, UNNAMED_KIND, breach

from .conftest import run_cli

REJECTED = {
    "https://tass.com/world/2001131": 0,
    "TASS, 3 May 2025": 0,
    "RIA Novosti report": 0,
    "https://ria.ru/20250101/x.html": 0,
    "https://www.rt.com/news/1234": 0,
    "https://sputnikglobe.com/20161129/europe-army": 0,
    "https://noticiabrasil.net.br/20250101/x.html": 0,
    "https://de.news-pravda.com/world/2025/x.html": 0,
    "https://pravda-fr.com/x": 0,
    "https://gamrconnect.vgchartz.com/thread.php?id=1": 1,
    "https://egg.5ch.net/test/read.cgi/x": 1,
    "https://www.reddit.com/r/WarCollege/comments/x": 1,
    "https://forum.militaryparitet.com/viewtopic.php?id=1": 1,
    "https://defencehub.live/threads/a400m.128/post-34911": 1,
    "https://www.key.aero/forum/modern-military-aviation/x": 1,
    "/work/shared/design/METHOD.md (capability-unit examples)": 2,
    "see shared/design/notes": 2,
    "METHOD.md": 2,
    "docs/method.md, section 3": 2,
    "reference file (/data/reference/holdings_more.csv)": 2,
    "https://www.defensenews.com/global/europe/2025/01/02/x/": 3,
    "Reuters, 'Title', 3 Aug 2013, read at https://www.reuters.com/x ; https://example.org/y": 3,
}
KINDS = [rule.kind for rule in BANNED] + [UNNAMED_KIND]

ALLOWED = [
    "Reuters, 'Spain aims to resell half A400M fleet', 3 Aug 2013, read at https://www.tumbit.com/x",
    "Ukrainska Pravda, 12 Jan 2025, https://www.pravda.com.ua/eng/news/2025/01/12/1/",
    "Defense News, 'Title', 2 Jan 2025, https://www.defensenews.com/global/europe/2025/01/02/x/",
    "IISS, The Military Balance 2025 (London: Routledge/IISS, Feb 2025)",
    "Munich Security Conference, Munich Security Report 2017",
    "Smart, 'About us', undated, read at https://www.smart.com/en/about",
    "NATO, 'Defence Expenditure', Jul 2026, read at https://www.nato.int/x ; IMF, 'WEO', Apr 2026",
    "modelling assumption: the IISS force list (May 2025)",
]


@pytest.mark.parametrize("source", sorted(REJECTED))
def test_every_rejected_class_is_caught(source):
    found = breach(source)
    assert found is not None, source
    assert found[0] == KINDS[REJECTED[source]]


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
    source = next(s for s, k in REJECTED.items() if k == kind)
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
