"""The server as a hostile client sees it: a request cannot make it read a file, a page
elsewhere cannot reach it through DNS rebinding, the body limit holds for chunked uploads,
NaN and Infinity are refused by name, and no error reply carries a server path, a Python
repr, the input echoed back or a CLI flag."""

from __future__ import annotations

import json
import select
import socket
import time
from urllib.parse import quote, urlsplit

import pytest
from fastapi.testclient import TestClient

from burdenshift.errors import InputError
from burdenshift.web.app import MAX_BODY, create_app
from burdenshift.web.errors import describe
from burdenshift.web.guards import BodyLimit, host_of
from tests.test_web_jobs import running_server

SECRET = "name: SECRET-planted-scenario\ndescription: the contents of a file on the server\n"
SCENARIO_ENDPOINTS = [
    "/api/validate",
    "/api/assess",
    "/api/simulate",
    "/api/plan",
    "/api/risk",
    "/api/jobs/risk",
    "/api/jobs/plan",
]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    db = tmp_path_factory.mktemp("security") / "runs.duckdb"
    app = create_app(db, allowed_hosts=["testserver"])
    with TestClient(app) as c:
        yield c
        app.state.pool.cancel_all()


def _refused_by_name(res, endpoint: str) -> dict:
    """The reply to a request naming a file as its scenario: a 4xx naming the field."""
    if endpoint == "/api/validate":  # 200 either way, the error in the body
        assert res.status_code == 200 and res.json()["valid"] is False
        error = res.json()["error"]
        assert error["field"] == "scenario"
        return error
    assert res.status_code == 422, res.text
    (detail,) = res.json()["detail"]
    assert detail["loc"] == ["body", "scenario"]
    return detail


@pytest.mark.parametrize("endpoint", SCENARIO_ENDPOINTS)
def test_a_scenario_name_never_reads_a_file(client, tmp_path, endpoint):
    planted = tmp_path / "planted.yaml"
    before = client.post(endpoint, json={"scenario": str(planted)})  # not there yet
    planted.write_text(SECRET)
    after = client.post(endpoint, json={"scenario": str(planted)})
    # the same reply whether the file exists or not: nothing about it leaks
    assert before.status_code == after.status_code and before.json() == after.json()
    _refused_by_name(after, endpoint)
    assert "SECRET" not in after.text and "contents" not in after.text
    for name in ("/etc/passwd", str(tmp_path), "../../../../etc/passwd", "./planted.yaml"):
        res = client.post(endpoint, json={"scenario": name})
        _refused_by_name(res, endpoint)
        for leak in ("root:", "mapping", "not a directory", "cannot be read", "exist"):
            assert leak not in res.text, (name, res.text)


def test_shipped_scenarios_by_name_only(client, tmp_path):
    (tmp_path / "x.yaml").write_text(SECRET)
    for name in (quote(str(tmp_path / "x.yaml"), safe=""), "..%2F..%2Fetc%2Fpasswd", "x"):
        res = client.get(f"/api/scenarios/{name}")
        assert (
            res.status_code in (404, 422) and "SECRET" not in res.text and "root:" not in res.text
        )
    listed = client.get("/api/scenarios").json()
    assert all("/" not in s["name"] for s in listed)
    ok = client.post("/api/validate", json={"scenario": "phased-2030"}).json()
    assert ok["valid"] is True and ok["scenario"]["deadline"] == 2030
    uploaded = client.post("/api/validate", json={"yaml": SECRET}).json()
    assert uploaded["scenario"]["name"] == "SECRET-planted-scenario"  # text is the way in


# -- the Host header -----------------------------------------------------------------------


def test_host_header_must_name_the_server(tmp_path):
    app = create_app(tmp_path / "runs.duckdb")  # the default: this machine's loopback only
    for base, status in (
        ("http://testserver", 400),
        ("http://evil.example", 400),
        ("http://localhost.evil.example", 400),
        ("http://127.0.0.1.nip.io:8000", 400),
        ("http://localhost:8000", 200),
        ("http://127.0.0.1:8000", 200),
        ("http://[::1]:8000", 200),
    ):
        with TestClient(app, base_url=base) as c:
            res = c.get("/api/scenarios")
            assert res.status_code == status, base
            if status == 400:
                (detail,) = res.json()["detail"]
                assert detail["loc"] == ["header", "host"] and "Host" in detail["msg"]
    anyone = create_app(tmp_path / "runs.duckdb", allowed_hosts=["*"])
    with TestClient(anyone, base_url="http://evil.example") as c:
        assert c.get("/api/scenarios").status_code == 200


def test_host_of():
    assert host_of("localhost:8000") == "localhost"
    assert host_of("[::1]:8000") == "::1" and host_of("[::1]") == "::1"
    assert host_of("LOCALHOST.") == "localhost"
    for bad in (None, "", "a b", "x:y", "[::1", "[::1]x", "evil.example/x", "u@host"):
        assert host_of(bad) is None, bad


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("real") / "runs.duckdb") as (url, _):
        yield url


def test_rebinding_is_refused_by_a_real_server(server):
    """A page on evil.example whose name now resolves to 127.0.0.1 sends its own Host."""
    import httpx2 as httpx

    with httpx.Client(base_url=server, timeout=30) as c:
        assert c.get("/api/scenarios").status_code == 200
        res = c.post(
            "/api/validate", json={"scenario": "phased-2030"}, headers={"Host": "evil.example"}
        )
        assert res.status_code == 400 and "Host" in res.text
        assert c.head("/").status_code == 200


# -- the body limit ------------------------------------------------------------------------


def test_oversized_chunked_body_is_refused_without_reading_it():
    """ASGI level: the limit middleware stops asking for chunks once past the limit."""
    import asyncio

    chunk = b"x" * 16_384
    total = 1024 * 1024 // len(chunk)
    pulled = 0

    async def receive():
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": chunk, "more_body": pulled < total}

    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    async def app(scope, receive, send):  # the app behind the limit must never run
        raise AssertionError("the app was called")

    scope = {"type": "http", "method": "POST", "path": "/api/assess", "headers": []}
    asyncio.run(BodyLimit(app, MAX_BODY)(scope, receive, send))
    assert sent[0]["status"] == 422
    body = json.loads(sent[1]["body"])
    assert "limit" in body["detail"][0]["msg"]
    assert pulled == MAX_BODY // len(chunk) + 1 < total  # not one chunk more than needed


def test_small_bodies_reach_the_app_whole(client):
    yaml = "deadline: 2029\n# " + "x" * 200_000 + "\n"
    res = client.post("/api/validate", json={"yaml": yaml[:99_000]})
    assert res.status_code == 200 and res.json()["valid"] is True

    def chunks():
        body = json.dumps({"yaml": "deadline: 2031\n"}).encode()
        for i in range(0, len(body), 5):
            yield body[i : i + 5]

    res = client.post(
        "/api/validate", content=chunks(), headers={"content-type": "application/json"}
    )
    assert res.status_code == 200 and res.json()["scenario"]["deadline"] == 2031


def test_chunked_upload_is_cut_short_by_a_real_server(server):
    """A chunked 1 MB upload, chunk by chunk: the refusal comes long before the body ends."""
    parts = urlsplit(server)
    chunk = b"x" * 16_384
    sent = 0
    reply = b""
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as s:
        s.sendall(
            f"POST /api/assess HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
        )
        while sent < 1024 * 1024:
            try:
                s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
            if select.select([s], [], [], 0.02)[0]:
                break
        deadline = time.time() + 10
        while b"\r\n\r\n" not in reply or b"}]}" not in reply:
            assert time.time() < deadline, reply
            data = s.recv(65536)
            if not data:
                break
            reply += data
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 422"), head
    assert f"{MAX_BODY}-byte limit".encode() in body
    assert sent < 512 * 1024, sent  # refused soon after 256 KB: the rest was never read


def test_declared_length_over_the_limit(client):
    res = client.post(
        "/api/assess",
        content=b"{" + b" " * (MAX_BODY + 10) + b"}",
        headers={"content-type": "application/json"},
    )
    assert res.status_code == 422 and f"{MAX_BODY}-byte limit" in res.text


# -- NaN, Infinity and whole numbers -------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/plan", '{"time_limit": NaN}', "time_limit"),
        ("/api/plan", '{"time_limit": Infinity}', "time_limit"),
        ("/api/risk", '{"draws": NaN}', "draws"),
        ("/api/jobs/risk", '{"draws": Infinity}', "draws"),
        ("/api/assess", '{"levers": {"target_share": NaN}}', "levers.target_share"),
        ("/api/simulate", '{"levers": {"target_share": -Infinity}}', "levers.target_share"),
        (
            "/api/simulate",
            '{"levers": {"budget_pct_gdp_2030_by_ally": {"DEU": Infinity}}}',
            "levers.budget_pct_gdp_2030_by_ally.DEU",
        ),
        ("/api/assess", '{"levers": {"deadline": 2045.5}}', "levers.deadline"),
        ("/api/assess", '{"levers": {"deadline": "2045"}}', "levers.deadline"),
        ("/api/assess", '{"levers": {"coordination_stays": 1}}', "levers.coordination_stays"),
    ],
)
def test_non_finite_and_non_integral_numbers_are_refused_by_name(client, path, body, field):
    res = client.post(path, content=body, headers={"content-type": "application/json"})
    assert res.status_code == 422, res.text
    detail = res.json()["detail"][0]
    assert set(detail) == {"loc", "msg", "type", "fix"}  # no input echoed, no links
    assert ".".join(str(p) for p in detail["loc"][1:]) == field
    assert f"field '{field}'" in detail["msg"] and detail["fix"]
    assert "pydantic" not in res.text and "input" not in detail


def test_integral_floats_are_whole_numbers(client):
    res = client.post("/api/assess", json={"levers": {"deadline": 2045.0}})
    assert res.status_code == 200 and res.json()["deadline"] == 2045
    res = client.post("/api/risk", json={"draws": 100.0, "seed": 7.0})
    assert res.status_code == 200 and res.json()["draws"] == 100 and res.json()["seed"] == 7


def test_validation_errors_do_not_echo_the_input(client):
    res = client.post("/api/assess", json={"yaml": ["x" * 90_000], "levers": {"flux": "y" * 9}})
    assert res.status_code == 422 and len(res.text) < 2_000
    assert "xxxxxxxx" not in res.text and "yyyyyyyyy" not in res.text
    bad_json = client.post(
        "/api/assess", content=b'{"levers": ', headers={"content-type": "application/json"}
    )
    assert bad_json.status_code == 422 and "not valid JSON" in bad_json.text


def test_a_scenario_sent_as_an_object_is_told_how_to_send_one(client):
    """The scenario field takes a shipped scenario's name; one's own goes as YAML text."""
    res = client.post("/api/assess", json={"scenario": {"deadline": 2030, "secret": "zz9"}})
    assert res.status_code == 422
    (entry,) = res.json()["detail"]
    assert entry["loc"] == ["body", "scenario"]
    assert "expected text, got an object" in entry["msg"] and "'yaml'" in entry["fix"]
    assert "zz9" not in res.text and "valid string" not in res.text


# -- what error replies carry --------------------------------------------------------------


def _no_leaks(text: str) -> None:
    assert "/tmp" not in text and "duckdb'" not in text and ".duckdb" not in text, text
    assert "Error(" not in text and "Traceback" not in text, text
    assert "--" not in text and "burdenshift runs" not in text, text


def test_store_errors_carry_no_server_path(client):
    for path in ("/api/runs/nope", "/api/runs/nope/export", "/api/compare?a=nope&b=nope"):
        res = client.get(path)
        assert res.status_code == 422
        _no_leaks(res.text)
    client.post("/api/assess", json={"store": True})  # the store exists now
    res = client.get("/api/runs/nope")
    assert res.status_code == 422 and "no run 'nope'" in res.text and "/api/runs" in res.text
    _no_leaks(res.text)


def test_messages_meant_for_the_cli_are_put_in_the_api_s_words():
    time_limit = InputError(
        "the solver reached its time limit before finding any plan",
        field="--time-limit",
        fix="allow more time (e.g. --time-limit 300)",
    )
    message, field, fix = describe(time_limit)
    assert field == "time_limit" and "--" not in message and "300" not in message
    assert "60" in (fix or "")
    busy = InputError(
        "the run store is busy or unreadable (IO Error: Could not set lock on file "
        '"/srv/analysts/web.duckdb": Conflicting lock is held in /usr/bin/python3.11 (PID 7))',
        file="/srv/analysts/web.duckdb",
        fix="wait for the other burdenshift process to finish, or use --db with another file",
    )
    message, _, _ = describe(busy)
    assert "/srv" not in message and "/usr" not in message and "--db" not in message
    assert message.startswith("the run store is busy")
    area = describe(InputError("unknown area 'x'", field="--area", fix="use one of: isr"))
    assert area[1] == "area" and "--" not in area[0]
    upload = InputError("unknown field", file="uploaded scenario", line=3, field="deadlin")
    assert describe(upload)[0].startswith("uploaded scenario, line 3: field 'deadlin'")


def test_sources_area_is_named_as_the_query_field(client):
    res = client.get("/api/sources", params={"area": "atlantis"})
    assert res.status_code == 422
    assert "--area" not in res.text and res.json()["detail"][0]["loc"][-1] == "area"


# -- the page and the docs -----------------------------------------------------------------


def test_head_and_docs_work_offline(client):
    assert client.head("/").status_code == 200
    for page in ("/docs", "/redoc"):
        html = client.get(page)
        assert html.status_code == 200
        assert "http://" not in html.text and "https://" not in html.text, page  # no CDN
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"):
        res = client.get(f"/static/docs/{asset}")
        assert res.status_code == 200 and len(res.content) > 50_000, asset
    assert client.get("/static/docs/..%2F__init__.py").status_code == 404
    assert client.get("/static/docs/core.py").status_code == 404


def test_an_unexpected_error_is_one_generic_reply(tmp_path, monkeypatch):
    from burdenshift.engine import assess as engine

    def broken(*args, **kwargs):
        raise KeyError("/srv/secret/holdings.csv")

    monkeypatch.setattr(engine, "assess", broken)
    app = create_app(tmp_path / "runs.duckdb", allowed_hosts=["testserver"])
    with TestClient(app, raise_server_exceptions=False) as c:
        res = c.post("/api/assess", json={"levers": {"deadline": 2033}})
    assert res.status_code == 500
    (detail,) = res.json()["detail"]
    assert detail["msg"] == "internal error; the server log has the details"
    assert "KeyError" not in res.text and "secret" not in res.text


def test_an_empty_store_file_lists_no_runs(tmp_path):
    db = tmp_path / "runs.duckdb"
    db.touch()
    with TestClient(create_app(db, allowed_hosts=["testserver"])) as c:
        assert c.get("/api/runs").json() == []
