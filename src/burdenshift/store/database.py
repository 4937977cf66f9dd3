"""The run store: one DuckDB file. The only module that imports duckdb.

Tables (schema version in `meta`):
  runs(run_id, engine, created_at, version, scenario, scenario_hash, applied_json, data_hash,
       seed, status, wall_time_s, task_id)
  results(run_id, area, ally, system, line, year, metric, value, unit)   -- long
  payloads(run_id, json)                                                 -- the full output

Each run is written in one transaction: a failure part-way leaves no trace of it. DuckDB lets
one process write a file at a time; a second writer waits and retries, then gives up with a
clear message. A file that is not a burdenshift store (not DuckDB, another program's database)
or is damaged is refused with an InputError naming it, and nothing is written into it.
"""

from __future__ import annotations

import json
import os
import secrets
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from burdenshift.errors import InputError
from burdenshift.store.records import rows_for

SCHEMA_VERSION = 1
DEFAULT_PATH = "burdenshift.duckdb"
ENV = "BURDENSHIFT_DB"
WAIT_SECONDS = 30.0

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    """CREATE TABLE IF NOT EXISTS runs (
        run_id VARCHAR PRIMARY KEY, engine VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL,
        version VARCHAR, scenario VARCHAR, scenario_hash VARCHAR, applied_json VARCHAR,
        data_hash VARCHAR, seed BIGINT, status VARCHAR, wall_time_s DOUBLE, task_id VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS results (
        run_id VARCHAR NOT NULL, area VARCHAR, ally VARCHAR, system VARCHAR, line VARCHAR,
        year INTEGER, metric VARCHAR NOT NULL, value DOUBLE, unit VARCHAR)""",
    "CREATE TABLE IF NOT EXISTS payloads (run_id VARCHAR PRIMARY KEY, json VARCHAR NOT NULL)",
]


@dataclass(frozen=True)
class NewRun:
    """A run to store: the engine's JSON payload and how long it took."""

    engine: str
    payload: dict[str, Any]
    wall_time_s: float
    status: str = "ok"
    task_id: str | None = None


RESULT_COLUMNS = ["run_id", "area", "ally", "system", "line", "year", "metric", "value", "unit"]
MIGRATIONS: dict[int, list[str]] = {}
"""Statements that bring a file from version v to v + 1."""


def db_path(option: Path | None) -> Path:
    return option or Path(os.environ.get(ENV, DEFAULT_PATH))


DUCKDB_MAGIC = b"DUCK"
"""Bytes 8–12 of every DuckDB file: checked before DuckDB opens a file, because DuckDB would
otherwise try to download an extension to read a SQLite file."""

TABLES: dict[str, set[str]] = {
    "meta": {"key", "value"},
    "runs": {
        "run_id", "engine", "created_at", "version", "scenario", "scenario_hash",
        "applied_json", "data_hash", "seed", "status", "wall_time_s", "task_id",
    },
    "results": set(RESULT_COLUMNS),
    "payloads": {"run_id", "json"},
}  # fmt: skip
"""What a store at SCHEMA_VERSION holds: checked on every open, so a damaged file is named as
such instead of failing in the middle of a query."""

_SCHEMA_LOCK = threading.Lock()
"""Creating or migrating the schema from two threads at once is a catalog write-write conflict
in DuckDB: one thread at a time, and the second finds the work done."""

DAMAGED_FIX = (
    "restore the file from a backup, or move it aside and keep new runs in a new file "
    "(--db PATH or $BURDENSHIFT_DB)"
)


def _sql_string(text: str) -> str:
    """A SQL string literal: DuckDB has no backslash escapes in '…', so doubling quotes is all
    it takes (COPY … TO takes no bound parameter for its path in every DuckDB we support)."""
    return "'" + text.replace("'", "''") + "'"


def _looks_like_text(head: bytes) -> bool:
    for cut in range(4):  # the 64 bytes read may end inside a character
        try:
            text = head[: len(head) - cut].decode("utf-8")
            break
        except UnicodeDecodeError:
            continue
    else:
        return False
    return all(c.isprintable() or c in "\t\r\n" for c in text)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


class Store:
    """The run store at `path`. Each call opens its own connection, so threads may share one
    Store; a file that is not a burdenshift store is refused before anything is written."""

    def __init__(self, path: Path, wait: float = WAIT_SECONDS) -> None:
        self.path = path
        self.wait = wait

    # -- opening ---------------------------------------------------------------------------
    def _error(self, problem: str, fix: str = DAMAGED_FIX) -> InputError:
        return InputError(problem, file=str(self.path), fix=fix)

    def _sniff(self) -> str:
        """'missing', 'empty' or 'duckdb'; any other file is refused here, unopened."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            parent = self.path.parent
            if not parent.is_dir():
                raise self._error(
                    "the folder for the run store does not exist",
                    fix="create the folder, or give another path with --db PATH",
                ) from None
            return "missing"
        except OSError as exc:
            raise self._error(
                f"the run store cannot be read ({exc.strerror})",
                fix="check the path and its permissions, or give another path with --db PATH",
            ) from None
        if stat.S_ISDIR(st.st_mode):
            raise self._error("is a folder, not a run store", fix="give a file path with --db PATH")
        if st.st_size == 0:
            return "empty"
        try:
            with open(self.path, "rb") as fh:
                head = fh.read(64)
        except OSError as exc:
            raise self._error(
                f"the run store cannot be read ({exc.strerror})",
                fix="check the file's permissions, or give another path with --db PATH",
            ) from None
        if head[8:12] != DUCKDB_MAGIC:
            if head.startswith(b"SQLite format 3\0"):
                what = "a SQLite database"
            elif _looks_like_text(head):
                what = "a text file"
            elif len(head) < 12:
                what = f"only {len(head)} bytes long: a damaged store or another kind of file"
            else:
                what = "its header is not DuckDB's: a damaged store or another kind of file"
            raise self._error(
                f"is not a burdenshift run store (not a DuckDB file; {what})",
                fix="give the path of a store written by burdenshift, or of a new file, with "
                "--db PATH or $BURDENSHIFT_DB; if this was your store, restore it from a backup",
            )
        return "duckdb"

    def _open(self) -> Any:
        """A connection, waiting while another process holds the file's lock."""
        import duckdb

        deadline = time.monotonic() + self.wait
        delay = 0.05
        while True:
            try:
                # always read-write: DuckDB refuses a second connection to the same file with
                # another configuration in one process (a web server reads and writes at once)
                return duckdb.connect(str(self.path))
            except duckdb.Error as exc:
                reason = _first_line(exc)
                if "could not set lock" not in reason.lower():
                    raise self._failure(exc) from None
                if time.monotonic() > deadline:
                    raise self._error(
                        f"the run store is busy: another process holds it ({reason})",
                        fix="wait for the other burdenshift process to finish, or use --db "
                        "with another file",
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 1.0)

    def _failure(self, exc: BaseException) -> InputError:
        """A DuckDB error as the user's problem: the disk, permissions or a damaged file."""
        reason = _first_line(exc)
        low = reason.lower()
        if any(k in low for k in ("no space left", "permission denied", "read-only file")):
            return self._error(
                f"the run store cannot be written ({reason})",
                fix="free disk space or check the permissions, or keep runs elsewhere with "
                "--db PATH",
            )
        if "version number" in low or "newer" in low:
            return self._error(
                f"the run store was written by another DuckDB version ({reason})",
                fix="upgrade burdenshift, or keep new runs in a new file with --db PATH",
            )
        return self._error(f"the run store is damaged or unreadable ({reason})")

    def _tables(self, con: Any) -> dict[str, set[str]]:
        rows = con.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_catalog = current_database() AND table_schema = 'main'"
        ).fetchall()
        tables: dict[str, set[str]] = {}
        for table, column in rows:
            tables.setdefault(table, set()).add(column)
        return tables

    def _version(self, con: Any) -> int | None:
        """The file's schema version; None for a new file. Refuses other programs' databases."""
        tables = self._tables(con)
        ours = set(TABLES) - {"meta"}
        meta_rows = (
            con.execute("SELECT key, value FROM meta").fetchall() if "meta" in tables else []
        )
        if not tables or (set(tables) == {"meta"} and not meta_rows):
            return None  # a new DuckDB file, or one whose creation never committed
        values = [v for k, v in meta_rows if k == "schema_version"]
        if not values:
            if ours <= set(tables):
                raise self._error("the run store is damaged: its schema_version is missing")
            names = ", ".join(sorted(tables)[:6]) + (", …" if len(tables) > 6 else "")
            raise self._error(
                f"is a DuckDB database of another program (tables {names}), not a burdenshift "
                "run store; burdenshift does not write into it",
                fix="give the path of a store written by burdenshift, or of a new file, with "
                "--db PATH or $BURDENSHIFT_DB",
            )
        try:
            version = int(str(values[0]).strip())
        except ValueError:
            raise self._error(
                f"the run store is damaged: its schema_version is {str(values[0])[:40]!r}, "
                "not a number"
            ) from None
        if version > SCHEMA_VERSION or (version < SCHEMA_VERSION and version not in MIGRATIONS):
            self._refuse(version)
        return version

    def _check_tables(self, con: Any) -> None:
        tables = self._tables(con)
        missing = [t for t in TABLES if t not in tables]
        if missing:
            raise self._error(
                f"the run store is damaged: its table(s) {', '.join(missing)} are missing"
            )
        for table, columns in TABLES.items():
            lost = sorted(columns - tables[table])
            if lost:
                raise self._error(
                    f"the run store is damaged: table {table} lacks column(s) {', '.join(lost)}"
                )

    def _create(self, con: Any) -> None:
        con.execute("BEGIN TRANSACTION")
        for stmt in SCHEMA:
            con.execute(stmt)
        con.execute(
            "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
        )
        con.execute("COMMIT")

    def _migrate(self, con: Any, version: int) -> None:
        while version < SCHEMA_VERSION:
            con.execute("BEGIN TRANSACTION")
            for stmt in MIGRATIONS[version]:
                con.execute(stmt)
            version += 1
            con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(version)])
            con.execute("COMMIT")

    def _replace_empty(self) -> None:
        """An empty file (`touch store.duckdb`) becomes a new store: DuckDB cannot open a
        zero-byte file, so a new store is built beside it and renamed over it if it is still
        empty (a concurrent first writer may have got there first)."""
        import duckdb

        tmp = self.path.with_name(f".{self.path.name}.{secrets.token_hex(6)}.new")
        try:
            con = duckdb.connect(str(tmp))
            try:
                self._create(con)
            finally:
                con.close()
            if self.path.exists() and self.path.stat().st_size == 0:
                os.replace(tmp, self.path)
        except duckdb.Error as exc:
            raise self._failure(exc) from None
        except OSError as exc:
            raise self._error(
                f"the run store cannot be written ({exc.strerror})",
                fix="check the folder's permissions, or keep runs elsewhere with --db PATH",
            ) from None
        finally:
            tmp.unlink(missing_ok=True)
            tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)

    def _none_yet(self) -> InputError:
        return self._error(
            "the run store does not exist yet"
            if not self.path.exists()
            else "the run store holds no runs yet",
            fix="run an engine first (e.g. `burdenshift assess`) or give --db PATH",
        )

    @contextmanager
    def _connect(self, read_only: bool = False, new_ok: bool = False) -> Iterator[Any]:
        """A checked connection: a burdenshift store at this version (migrated if need be),
        created if writing to a missing or empty file. Reading a store that does not exist
        raises, or yields None with `new_ok`. DuckDB errors become InputErrors naming the
        file and the fix."""
        import duckdb

        kind = self._sniff()
        if not read_only:
            self._creatable(kind)
        if read_only and kind != "duckdb":
            if new_ok:
                yield None
                return
            raise self._none_yet()
        if kind == "empty":
            self._replace_empty()
        con = self._open()
        try:
            try:
                version = self._version(con)
                if version is None and read_only:
                    if new_ok:
                        yield None
                        return
                    raise self._none_yet()
                if version is None or version < SCHEMA_VERSION:
                    with _SCHEMA_LOCK:  # threads of one process share the file's catalog
                        version = self._version(con)
                        if version is None:
                            self._create(con)
                        elif version < SCHEMA_VERSION:
                            self._migrate(con, version)
                self._check_tables(con)
            except duckdb.Error as exc:
                raise self._failure(exc) from None
            try:
                yield con
            except duckdb.Error as exc:
                raise self._failure(exc) from None
        finally:
            con.close()

    def _creatable(self, kind: str) -> None:
        if kind == "missing" and not os.access(self.path.parent, os.W_OK):
            raise self._error(
                "the run store cannot be created (the folder is not writable)",
                fix="check the folder's permissions, or keep runs elsewhere with --db PATH",
            )

    def check(self) -> None:
        """Raise the InputError that keeping a run here would raise, without writing: so a
        command can refuse a bad --db before it spends time on an engine."""
        import duckdb

        kind = self._sniff()
        self._creatable(kind)
        if kind != "duckdb":
            return
        con = self._open()
        try:
            try:
                if self._version(con) is not None:
                    self._check_tables(con)
            except duckdb.Error as exc:
                raise self._failure(exc) from None
        finally:
            con.close()

    def _refuse(self, version: int) -> None:
        newer = version > SCHEMA_VERSION
        raise InputError(
            f"the run store has schema version {version}; this burdenshift reads version "
            f"{SCHEMA_VERSION}",
            file=str(self.path),
            fix="upgrade burdenshift"
            if newer
            else "export the old runs with the burdenshift "
            "that wrote them, or start a new store with --db PATH",
        )

    def _json(self, text: Any, run_id: str, what: str) -> Any:
        """Stored JSON, or the InputError saying which run is damaged and how to be rid of it."""
        try:
            value = json.loads(text)
        except (TypeError, ValueError, RecursionError):
            value = None
        if not isinstance(value, dict):
            raise self._error(
                f"the run store is damaged: the stored {what} of run {run_id!r} cannot be read "
                "(not a JSON object)",
                fix=f"delete the run (`burdenshift runs delete {run_id}`) and make it again, or "
                "restore the file from a backup",
            )
        return value

    # -- writing ---------------------------------------------------------------------------
    def save(
        self,
        engine: str,
        payload: dict[str, Any],
        wall_time_s: float,
        status: str = "ok",
        task_id: str | None = None,
        _fail_after_results: bool = False,
    ) -> str:
        """Store one run atomically; returns its id."""
        new = NewRun(engine, payload, wall_time_s, status, task_id)
        return self.save_many([new], _fail_after_results)[0]

    def save_many(self, new: list[NewRun], _fail_after_results: bool = False) -> list[str]:
        """Store runs in one transaction, all or none; returns their ids. A sweep keeps the
        tasks that finished together in one write."""

        stamp = datetime.now(UTC)
        ids = [stamp.strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3) for _ in new]
        runs, rows = [], []
        for run_id, r in zip(ids, new, strict=True):
            info = r.payload.get("run", {})
            runs.append(
                [
                    run_id,
                    r.engine,
                    stamp.replace(tzinfo=None),
                    info.get("version"),
                    info.get("scenario"),
                    info.get("scenario_hash"),
                    json.dumps(info.get("applied", {}), sort_keys=True),
                    info.get("data_hash"),
                    info.get("seed"),
                    r.status,
                    r.wall_time_s,
                    r.task_id,
                ]
            )
            rows += [(run_id, *row.as_tuple()) for row in rows_for(r.engine, r.payload)]
        with self._connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                con.executemany(
                    "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", runs
                )
                if rows:
                    # one bulk insert from columns (None is NULL): row-by-row inserts cost
                    # seconds per run, and numpy columns spare the commands that store a run
                    # the import of pandas
                    new_rows = {
                        name: np.array(column, dtype=object)
                        for name, column in zip(
                            RESULT_COLUMNS, zip(*rows, strict=True), strict=True
                        )
                    }
                    con.register("new_rows", new_rows)
                    con.execute("INSERT INTO results SELECT * FROM new_rows")
                    con.unregister("new_rows")
                if _fail_after_results:
                    raise RuntimeError("simulated crash in the middle of a write")
                con.executemany(
                    "INSERT INTO payloads VALUES (?, ?)",
                    [[i, json.dumps(r.payload)] for i, r in zip(ids, new, strict=True)],
                )
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        return ids

    def delete(self, run_id: str) -> None:
        with self._connect() as con:
            self._require(con, run_id)
            con.execute("BEGIN TRANSACTION")
            for table in ("results", "payloads", "runs"):
                con.execute(f"DELETE FROM {table} WHERE run_id = ?", [run_id])
            con.execute("COMMIT")

    # -- reading ---------------------------------------------------------------------------
    def runs(self) -> list[dict[str, Any]]:
        with self._connect(read_only=True) as con:
            cur = con.execute(
                "SELECT run_id, engine, created_at, version, scenario, data_hash, seed, status, "
                "wall_time_s, task_id FROM runs ORDER BY created_at, run_id"
            )
            cols = [d[0] for d in cur.description]
            return [
                {
                    k: (v.isoformat() if hasattr(v, "isoformat") else v)
                    for k, v in zip(cols, r, strict=True)
                }
                for r in cur.fetchall()
            ]

    def _require(self, con: Any, run_id: str) -> None:
        if con.execute("SELECT 1 FROM runs WHERE run_id = ?", [run_id]).fetchone() is None:
            raise InputError(
                f"no run {run_id!r} in the store",
                file=str(self.path),
                fix="see `burdenshift runs list` for the ids",
            )

    def payload(self, run_id: str) -> dict[str, Any]:
        with self._connect(read_only=True) as con:
            self._require(con, run_id)
            row = con.execute("SELECT json FROM payloads WHERE run_id = ?", [run_id]).fetchone()
        return self._json(row[0] if row else None, run_id, "result")

    def run(self, run_id: str) -> dict[str, Any]:
        with self._connect(read_only=True) as con:
            self._require(con, run_id)
            cur = con.execute("SELECT * FROM runs WHERE run_id = ?", [run_id])
            cols = [d[0] for d in cur.description]
            row = dict(zip(cols, cur.fetchone(), strict=True))
            n = con.execute("SELECT count(*) FROM results WHERE run_id = ?", [run_id]).fetchone()
        row["created_at"] = row["created_at"].isoformat()
        row["applied"] = self._json(row.pop("applied_json") or "{}", run_id, "applied levers")
        row["result_rows"] = int(n[0])
        return row

    def results(self, run_id: str) -> list[tuple[Any, ...]]:
        with self._connect(read_only=True) as con:
            self._require(con, run_id)
            return con.execute(
                "SELECT area, ally, system, line, year, metric, value, unit FROM results "
                "WHERE run_id = ? ORDER BY metric, area, ally, system, line, year",
                [run_id],
            ).fetchall()

    def export(self, run_id: str, path: Path, fmt: str) -> None:
        """The run's long results to Parquet or CSV, written to a temporary file first; Parquet
        carries the run's row (engine, scenario, data hash, version, seed) as key-value
        metadata under `burdenshift`."""
        if not path.parent.is_dir():
            raise InputError("the folder does not exist", file=str(path), fix="create it first")
        if path.is_dir():
            raise InputError("is a folder", file=str(path), fix="give a file name")
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        options = "(FORMAT CSV, HEADER)"
        if fmt == "parquet":
            meta = json.dumps(self.run(run_id), default=str)
            options = f"(FORMAT PARQUET, KV_METADATA {{burdenshift: {_sql_string(meta)}}})"
        try:
            with self._connect(read_only=True) as con:
                self._require(con, run_id)
                con.execute(
                    "COPY (SELECT r.run_id, r.area, r.ally, r.system, r.line, r.year, r.metric, "
                    "r.value, r.unit FROM results r WHERE r.run_id = ? "
                    "ORDER BY metric, area, ally, system, line, year) "
                    f"TO {_sql_string(str(tmp))} {options}",
                    [run_id],
                )
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)

    def task_results(self, task_ids: set[str]) -> dict[str, dict[str, Any]]:
        """Payloads of finished sweep tasks, by task id (none for a store not made yet)."""
        if not task_ids:
            return {}
        with self._connect(read_only=True, new_ok=True) as con:
            if con is None:
                return {}
            rows = con.execute(
                "SELECT r.run_id, r.task_id, p.json FROM runs r JOIN payloads p USING (run_id) "
                "WHERE r.task_id IS NOT NULL"
            ).fetchall()
        return {t: self._json(j, i, "result") for i, t, j in rows if t in task_ids}
