"""Benchmarks of the page and the API: time from a lever change to updated table and charts in
headless chromium (p50, p95), and API latency with 50 concurrent clients for 60 s."""

from __future__ import annotations

import asyncio
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.test_report import ARGS
from tests.test_web_load import _load


def _serve() -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    db = Path(tempfile.mkdtemp()) / "runs.duckdb"
    proc = subprocess.Popen(
        [sys.executable, "-m", "burdenshift", "serve", "--port", str(port), "--db", str(db)],
        stderr=subprocess.DEVNULL,
    )
    for _ in range(300):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.1)
    return proc, f"http://127.0.0.1:{port}"


def lever_latency(url: str, changes: int = 40) -> list[float]:
    from playwright.sync_api import sync_playwright

    out = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url + "/")
        page.wait_for_selector("#area-table table")
        for i in range(changes):
            year = 2027 + (i % 9)
            target = [0.5, 0.6][i % 2]
            page.fill("#target", str(target))
            page.fill("#deadline", str(year))
            start = time.perf_counter()
            page.dispatch_event("#deadline", "change")
            page.wait_for_function(
                f"document.querySelector('#verdict').textContent.includes('by {year}') && "
                "document.querySelector('#status').textContent === ''"
            )
            out.append(time.perf_counter() - start)
        browser.close()
    return out


def main() -> None:
    proc, url = _serve()
    try:
        lat = lever_latency(url)
        q = statistics.quantiles(lat, n=20)
        p50, p95 = statistics.median(lat) * 1000, q[18] * 1000
        print(
            f"| lever change → updated table and charts (assess + simulate), {len(lat)} changes "
            f"| p50 {p50:.0f} ms | p95 {p95:.0f} ms | goal p95 < 300 ms |"
        )
        latencies, errors = asyncio.run(_load(url))
        q = statistics.quantiles(latencies, n=100)
        print(
            f"| API, 50 clients × 60 s on assess and simulate: {len(latencies):,} requests, "
            f"{len(errors)} errors | p50 {q[49] * 1000:.0f} ms | p95 {q[94] * 1000:.0f} ms, "
            f"p99 {q[98] * 1000:.0f} ms | goal p99 < 1 s |"
        )
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    main()
