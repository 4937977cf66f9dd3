"""The example notebook runs from top to bottom, so it never goes stale."""

from __future__ import annotations

import base64
import sys
from pathlib import Path

import numpy as np
import pytest

NOTEBOOK = Path(__file__).parents[1] / "examples" / "can-europe-take-over-by-2027.ipynb"
PLOTLY = "application/vnd.plotly.v1+json"


def _kernel() -> str:
    """A kernelspec that starts this interpreter: the venv's own python3 spec (jupyter_client
    starts a spec whose command is `python` with sys.executable), registered for the user
    only when none is found."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec("python3")
        return "python3"
    except NoSuchKernel:
        from ipykernel.kernelspec import install

        name = f"burdenshift-{sys.version_info.major}{sys.version_info.minor}"
        install(user=True, kernel_name=name)
        return name


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    import nbformat

    nb = nbformat.read(NOTEBOOK, as_version=4)
    run_in = tmp_path_factory.mktemp("notebook")  # its working folder: nothing lands in the repo
    with pytest.MonkeyPatch.context() as mp:
        # jupyter_core warns about its path migration unless told which layout to use
        mp.setenv("JUPYTER_PLATFORM_DIRS", "1")
        mp.setenv("BURDENSHIFT_DB", str(run_in / "runs.duckdb"))
        import nbclient

        client = nbclient.NotebookClient(
            nb, kernel_name=_kernel(), timeout=300, resources={"metadata": {"path": str(run_in)}}
        )
        client.execute()  # raises CellExecutionError on the first cell that fails
    return nb


def _outputs(nb, tag: str) -> list[dict]:
    cells = [c for c in nb.cells if tag in c.get("metadata", {}).get("tags", [])]
    assert cells, f"no cell tagged {tag}"
    return [o for c in cells for o in c.get("outputs", [])]


def _text(outputs: list[dict]) -> str:
    parts = []
    for o in outputs:
        parts.append(o.get("text", ""))
        parts.extend(str(v) for v in o.get("data", {}).values())
    return "\n".join(parts)


def test_the_notebook_ships_without_outputs():
    import nbformat

    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)
    assert nb.cells[0].cell_type == "markdown" and "2027" in nb.cells[0].source


def test_no_cell_errors(executed):
    errors = [
        o for c in executed.cells for o in c.get("outputs", []) if o["output_type"] == "error"
    ]
    assert errors == []
    code = [c for c in executed.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code)


def test_the_data_and_how_sure_it_is(executed):
    text = _text(_outputs(executed, "data"))
    assert "figures in" in text and "assumption" in text and "high" in text


def test_the_assessment_table_and_chart(executed):
    table = _text(_outputs(executed, "assessment"))
    assert "Air and missile defence" in table and "never" in table
    chart = _outputs(executed, "assessment-chart")
    assert any(PLOTLY in o.get("data", {}) for o in chart)
    assert "areas." in _text(chart) and "of 12 areas" in _text(chart)


def test_the_plan_its_chart_and_bottlenecks(executed):
    assert "status: optimal" in _text(_outputs(executed, "plan"))
    chart = _outputs(executed, "plan-chart")
    fig = next(o["data"][PLOTLY] for o in chart if PLOTLY in o.get("data", {}))
    assert len(fig["data"]) == 12  # one small multiple per area
    assert "constraint" in _text(_outputs(executed, "bottlenecks"))


def test_the_risk_chart(executed):
    out = _outputs(executed, "risk")
    fig = next(o["data"][PLOTLY] for o in out if PLOTLY in o.get("data", {}))
    y = fig["data"][0]["y"]
    if isinstance(y, dict):  # plotly ships numpy numbers as a typed array
        y = np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"]).tolist()
    assert len(y) == 12 and all(0 <= v <= 1 for v in y)
    assert "1,000 draws" in fig["layout"]["title"]["text"]


def test_national_against_pooled(executed):
    text = _text(_outputs(executed, "compare"))
    assert "[national]" in text and "[pooled]" in text and "spending" in text
    chart = _outputs(executed, "compare-chart")
    assert any(PLOTLY in o.get("data", {}) for o in chart)
    assert "USD bn less over the horizon" in _text(chart)
