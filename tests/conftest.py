"""Shared fixtures."""

from pathlib import Path

import pytest

from zgckg.kg.source import Report

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def report() -> Report:
    return Report.read(ROOT / "data" / "source" / "haidian-park-report.txt")
