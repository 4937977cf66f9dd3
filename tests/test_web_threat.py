"""The requirement levers, the requirement sets and the race against Russia through the JSON API
(FastAPI's test client on the default data)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from burdenshift.engine.runinfo import run_info
from burdenshift.engine.threat import race
from burdenshift.output import race_json
from burdenshift.scenario.apply import applied_world, requirement_choices
from burdenshift.scenario.loader import shipped_scenario
from burdenshift.web.app import create_app


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    db = tmp_path_factory.mktemp("web-threat") / "runs.duckdb"
    with TestClient(create_app(db, allowed_hosts=["testserver"])) as c:
        yield c


def _metric(payload: dict, metric: str) -> dict:
    return next(m for a in payload["areas"] for m in a["metrics"] if m["metric"] == metric)


def test_requirements_lists_the_sets_a_request_may_name(client, default_world):
    got = client.get("/api/requirements").json()
    assert [s["id"] for s in got["sets"]] == list(requirement_choices(default_world))
    assert got["default"] == default_world.requirement_default
    by_id = {s["id"]: s for s in got["sets"]}
    assert by_id["today"]["computed"] and by_id["ratio-to-russia"]["computed"]
    for sid, s in by_id.items():
        # each named in words, as the runs measured against it name it
        assert s["name"].startswith(sid) and len(s["name"]) > len(sid) + 3
        assert 1 <= s["campaign_days"] <= 365
        assert s["computed"] == (sid not in default_world.requirement_sets)
    run = client.post("/api/assess", json={"levers": {"requirement": "today"}}).json()
    assert run["requirement"] == by_id["today"]["name"]


def test_threat_returns_the_race_with_its_run(client, default_world):
    got = client.post("/api/threat", json={"scenario": "phased-2030"})
    assert got.status_code == 200, got.text
    r = got.json()
    sc = shipped_scenario("phased-2030")
    w = applied_world(default_world, sc)
    expected = json.loads(json.dumps(race_json(race(w, sc), run_info("threat", w, sc))))
    assert r["metrics"] == expected["metrics"] and r["years"] == expected["years"]
    assert r["run"]["engine"] == "threat" and r["run"]["scenario"] == "phased-2030"
    assert r["run"]["requirement"] and r["run"]["applied"]["deadline"] == 2030
    assert set(r["measures"]) >= {"stock_ratio", "overtakes"}
    assert r["metrics"], "the default data estimates Russia's holdings for some metrics"
    for m in r["metrics"]:
        assert len(m["europe_stock"]) == len(m["russia_stock"]) == len(r["years"])
        assert m["overtakes"] is None or m["overtakes"] in r["years"]
    # the levers move the race as they move every engine
    ended = client.post("/api/threat", json={"levers": {"deadline": 2031}}).json()
    assert ended["run"]["applied"]["deadline"] == 2031
    refused = client.post("/api/threat", json={"store": True})
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "store"]


def test_campaign_days_lever_scales_the_munition_requirement(client):
    days = client.post("/api/assess", json={}).json()["days_of_war"]
    munition = next(iter(days))
    short = client.post("/api/assess", json={"levers": {"campaign_days": 30}}).json()
    long = client.post("/api/assess", json={"levers": {"campaign_days": 90}}).json()
    assert short["campaign_days"] == 30 and long["campaign_days"] == 90
    assert _metric(long, munition)["requirement"] == pytest.approx(
        3 * _metric(short, munition)["requirement"]
    )
    assert long["run"]["scenario"].endswith("+ levers (campaign_days)")
    sim = client.post("/api/simulate", json={"levers": {"campaign_days": 90}}).json()
    assert sim["run"]["applied"]["campaign_days"] == 90


def test_requirement_lever_and_force_ratio(client, default_world):
    one = client.post("/api/assess", json={"levers": {"requirement": "ratio-to-russia"}}).json()
    two = client.post(
        "/api/assess", json={"levers": {"requirement": "ratio-to-russia", "force_ratio": 2.0}}
    ).json()
    assert one["requirement_set"] == "ratio-to-russia"
    assert one["requirement"].startswith("ratio-to-russia")
    assert two["run"]["applied"]["force_ratio"] == 2.0
    # a metric measured against Russia's holdings asks twice as much at twice the ratio
    threat = client.post("/api/threat", json={}).json()
    munitions = set(one["days_of_war"])
    held = next(
        m["metric"]
        for m in threat["metrics"]
        if m["metric"] not in munitions and m["russia_stock"][0]
    )
    assert _metric(two, held)["requirement"] == pytest.approx(2 * _metric(one, held)["requirement"])


@pytest.mark.parametrize("name", ["../../etc/passwd", "mine.csv", "/tmp/x", "a\\b", "nato.CSV"])
def test_a_path_as_requirement_is_refused_naming_the_field(client, name):
    for path in ("/api/assess", "/api/simulate", "/api/threat"):
        res = client.post(path, json={"levers": {"requirement": name}})
        assert res.status_code == 422, (path, res.text)
        detail = res.json()["detail"][0]
        assert detail["loc"] == ["body", "levers", "requirement"]
        assert "levers.requirement" in detail["msg"]


def test_unknown_set_and_bad_days_are_422_naming_the_lever(client):
    res = client.post("/api/assess", json={"levers": {"requirement": "no-such-set"}})
    assert res.status_code == 422
    detail = res.json()["detail"][0]
    assert detail["loc"] == ["body", "levers", "requirement"] and "today" in detail["fix"]
    for days in (0, 366, 30.5, "30"):
        res = client.post("/api/assess", json={"levers": {"campaign_days": days}})
        assert res.status_code == 422, days
        assert res.json()["detail"][0]["loc"] == ["body", "levers", "campaign_days"]
    assert (
        client.post("/api/assess", json={"levers": {"campaign_days": 365.0}}).json()[
            "campaign_days"
        ]
        == 365
    )


def test_an_uploaded_scenario_naming_a_file_reads_nothing(client, tmp_path):
    secret = tmp_path / "requirements.csv"
    secret.write_text("key,field,value\nsecret-marker,quantity,1\n")
    res = client.post("/api/assess", json={"yaml": f"requirement: {secret}\n"})
    assert res.status_code == 422
    assert "secret-marker" not in res.text and str(tmp_path) not in res.text
    assert res.json()["detail"][0]["loc"] == ["body", "requirement"]


def test_openapi_lists_the_new_endpoints(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert "post" in paths["/api/threat"] and "get" in paths["/api/requirements"]
