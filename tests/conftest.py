"""Shared fixtures."""

from pathlib import Path

import pytest

from zgckg.kg.source import Report

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def report() -> Report:
    return Report.read(ROOT / "data" / "source" / "haidian-park-report.txt")


# --- build pipeline: the tiny fixture ontology and data in tests/data/mini --------------------------------

MINI = ROOT / "tests" / "data" / "mini"


def mini_settings(store: Path, data_dir: Path = MINI / "data"):
    """A Config for the mini fixture: its own ontology and data, the real report, a store of its own."""
    from zgckg.config import Config

    return Config(
        store=store,
        ontology_dir=MINI / "ontology",
        data_dir=data_dir,
        source_file=ROOT / "data" / "source" / "haidian-park-report.txt",
    )


@pytest.fixture
def mini_config(tmp_path):
    """Settings for building the mini fixture into a fresh store (a test may build, load and break it)."""
    return mini_settings(tmp_path / "store")


@pytest.fixture(scope="session")
def mini_built(tmp_path_factory):
    """Settings of a store built once from the mini fixture; tests only read it."""
    from zgckg.kg.build import build

    config = mini_settings(tmp_path_factory.mktemp("mini") / "store")
    build(config)
    return config


@pytest.fixture(scope="session")
def project_built(tmp_path_factory):
    """Settings of a store built once from the project's own ontology, data and report; tests only read it."""
    from zgckg.config import Config
    from zgckg.kg.build import build

    config = Config(store=tmp_path_factory.mktemp("project") / "store")
    build(config)
    return config
