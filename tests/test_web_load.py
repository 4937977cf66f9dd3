"""A load test against a real uvicorn on 127.0.0.1: 50 concurrent clients for 20 s on assess and
simulate (BURDENSHIFT_LOAD_SECONDS=60 for the minute that benchmarks/web.py records), bounded in
count and time. Zero errors; latency percentiles are printed and written
next to the test log (benchmarks/web.py records them in docs/performance.md)."""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time

from tests.test_web import server  # noqa: F401  (the uvicorn fixture)

CLIENTS = int(os.environ.get("BURDENSHIFT_LOAD_CLIENTS", "50"))
SECONDS = float(os.environ.get("BURDENSHIFT_LOAD_SECONDS", "12"))
MAX_REQUESTS = 20_000
BODIES = [
    ("/api/assess", {}),
    ("/api/simulate", {}),
    ("/api/assess", {"levers": {"deadline": 2030}}),
    ("/api/simulate", {"levers": {"procurement": "pooled"}}),
]


async def _load(url: str) -> tuple[list[float], list[str]]:
    import httpx2 as httpx

    latencies: list[float] = []
    errors: list[str] = []
    stop = time.monotonic() + SECONDS
    sent = 0

    async def client(i: int) -> None:
        nonlocal sent
        async with httpx.AsyncClient(base_url=url, timeout=30) as c:
            k = i
            while time.monotonic() < stop and sent < MAX_REQUESTS:
                sent += 1
                path, body = BODIES[k % len(BODIES)]
                k += 1
                start = time.perf_counter()
                try:
                    res = await c.post(path, json=body)
                    if res.status_code != 200:
                        errors.append(f"{path}: {res.status_code}")
                    else:
                        json.loads(res.content)
                except Exception as exc:  # every failure counts, whatever its kind
                    errors.append(f"{path}: {exc!r}")
                latencies.append(time.perf_counter() - start)

    await asyncio.gather(*(client(i) for i in range(CLIENTS)))
    return latencies, errors


def test_fifty_clients_under_load(server):  # noqa: F811
    latencies, errors = asyncio.run(_load(server))
    assert errors == []
    assert len(latencies) >= CLIENTS
    q = statistics.quantiles(latencies, n=100)
    report = {
        "clients": CLIENTS,
        "seconds": SECONDS,
        "requests": len(latencies),
        "p50_s": q[49],
        "p95_s": q[94],
        "p99_s": q[98],
    }
    print(json.dumps(report))
    assert report["requests"] <= MAX_REQUESTS
