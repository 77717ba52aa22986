"""Shared fixtures: the stand-in LINE API, databases (SQLite and the machine's PostgreSQL),
and the real app served over HTTP."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from bot.config import Settings
from bot.sim.standin import LineStandIn
from bot.store.db import make_url
from bot.web.app import create_app
from bot.wiring import Core, build_core
from tests.helpers import SECRET, TOKEN, AppServer, postgres_problem

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = (
    os.environ.get("HITOBAN_REQUIRE_POSTGRES") == "1" or os.environ.get("CI") == "true"
)


@pytest.fixture(scope="session")
def postgres_base() -> str:
    problem = postgres_problem(POSTGRES_URL)
    if problem:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL required in CI but unreachable at {POSTGRES_URL}: {problem}")
        pytest.skip(f"PostgreSQL not reachable ({problem})")
    return POSTGRES_URL


@pytest.fixture
def postgres_url(postgres_base: str) -> Iterator[str]:
    """A fresh schema per test, dropped afterwards: tests never see each other's rows."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(make_url(postgres_base))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in postgres_base else "?"
    yield f"{postgres_base}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hitoban.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def line() -> Iterator[LineStandIn]:
    with LineStandIn(access_token=TOKEN) as standin:
        yield standin


def make_settings(line: LineStandIn | None, database_url: str, **extra: object) -> Settings:
    return Settings(
        line_channel_secret=SECRET,
        line_channel_access_token=TOKEN,
        line_api_base_url=line.base_url if line else "http://127.0.0.1:9",
        database_url=database_url,
        _env_file=None,
        **extra,
    )


@pytest.fixture
def settings(line: LineStandIn, tmp_path) -> Settings:
    return make_settings(line, f"sqlite:///{tmp_path / 'hitoban.db'}")


@pytest.fixture
def core(settings: Settings) -> Iterator[Core]:
    c = build_core(settings)
    yield c
    c.close()


@pytest.fixture
def server(settings: Settings, core: Core) -> Iterator[AppServer]:
    app = create_app(settings, core=core, dispatcher=False)  # tests dispatch at chosen times
    srv = AppServer(app).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """`python -m bot sim`'s app, in this process, on a copy of content/ (tests edit it)."""
    import shutil

    from bot.config import REPO_ROOT
    from bot.sim.app import build_app, sim_settings
    from tests.helpers import free_port

    tmp = tmp_path_factory.mktemp("sim")
    shutil.copytree(REPO_ROOT / "content", tmp / "content")
    with LineStandIn(access_token="sim-token") as standin:
        base = Settings(_env_file=None, database_url=f"sqlite:///{tmp / 'sim.db'}",
                        content_dir=tmp / "content")  # fmt: skip
        settings = sim_settings(base, standin)
        port = free_port()
        server = AppServer(build_app(settings, standin, f"http://127.0.0.1:{port}/callback"),
                           port).start()  # fmt: skip
        yield server
        server.stop()


@pytest.fixture(scope="session")
def content():
    from bot.config import REPO_ROOT
    from bot.content import load_content

    return load_content(REPO_ROOT / "content")


@pytest.fixture(scope="session")
def classifier(content):
    from bot.wiring import build_classifier

    return build_classifier(content)
