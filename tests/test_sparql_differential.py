"""The server's SPARQL parser reads SERVICE and LOAD as the engine does: a differential test.

Thousands of generated queries and updates (tests/sparql_variants.py) are given to pyoxigraph for real,
in this process, on an in-memory store, with every SERVICE and LOAD target on a loopback canary: what the
engine contacted is what the canary logged. The same texts go to ``parse_query``/``parse_update``. For every
text the engine accepts, the parser must accept it too and must have read every target the engine
contacted; where the variant was built so that evaluation reaches every SERVICE and LOAD, the parser's
outermost targets must be exactly those the engine contacted. Texts the engine refuses may go either way
(the counts are in the summary). The engine's reading is the one that matters: it is what would connect.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

import pyoxigraph as ox
import pytest

from sparql_variants import Canary, DATA_TRIG, Variant, known_bypasses, known_load_bypasses, normalized, variants
from zgckg.errors import QuerySyntaxError, QueryTooComplex
from zgckg.kg.sparql import parse_query, parse_update

COUNT = 2400
SHOWN = 25  # failing texts listed in full in an assertion message


@dataclass
class Observation:
    variant: Variant
    engine_accepted: bool = False
    engine_error: str | None = None
    """The engine's error: its syntax error when it refused the text, or an evaluation error."""
    contacted: set[str] = field(default_factory=set)
    ours_accepted: bool = False
    our_error: str | None = None
    crashed: bool = False
    """The parser failed with something other than QuerySyntaxError or QueryTooComplex."""
    ours_all: set[str] = field(default_factory=set)
    ours_outer: set[str] = field(default_factory=set)
    """What the engine would contact if evaluation reached it: outermost SERVICE targets, LOAD sources."""
    variable_target: bool = False
    seconds: float = 0.0

    def show(self) -> str:
        v = self.variant
        extra = "".join(f" {name}={value!r}" for name, value in
                        (("prefixes", dict(v.prefixes)), ("base_iri", v.base_iri)) if value)
        return (f"#{v.number} {v.kind} [{v.family}]{extra}\n  text: {v.text!r}\n  engine: "
                f"{'accepted' if self.engine_accepted else 'refused'} {self.engine_error or ''}\n"
                f"  contacted: {sorted(self.contacted)}\n  ours: {'accepted' if self.ours_accepted else 'refused'} "
                f"{self.our_error or ''} all={sorted(self.ours_all)} outer={sorted(self.ours_outer)}")


def _target(iri: str) -> str:
    try:
        return normalized(iri)
    except ValueError:  # not a URL Python can split (an odd authority): compared as written
        return iri


def _consume(result) -> None:
    if isinstance(result, ox.QueryBoolean):
        bool(result)
    else:
        for _ in result:
            pass


def _data_store() -> ox.Store:
    store = ox.Store()
    store.load(DATA_TRIG.encode(), ox.RdfFormat.TRIG)
    return store


def observe(variant: Variant, canary: Canary, query_store: ox.Store) -> Observation:
    seen = Observation(variant)
    prefixes = dict(variant.prefixes) or None
    started = time.monotonic()
    canary.take()
    try:
        if variant.kind == "query":
            _consume(query_store.query(variant.text, prefixes=prefixes, base_iri=variant.base_iri))
        else:
            _data_store().update(variant.text, prefixes=prefixes, base_iri=variant.base_iri)
        seen.engine_accepted = True
    except SyntaxError as exc:
        seen.engine_error = f"SyntaxError: {exc}"
    except Exception as exc:  # an evaluation error: the engine read the text
        seen.engine_accepted = True
        seen.engine_error = f"{type(exc).__name__}: {exc}"
    seen.contacted = {_target(hit.url) for hit in canary.take()}
    parse = parse_query if variant.kind == "query" else parse_update
    try:
        reading = parse(variant.text, prefixes=prefixes, base_iri=variant.base_iri)
    except (QuerySyntaxError, QueryTooComplex) as exc:
        seen.our_error = f"{type(exc).__name__}: {exc}"
    except Exception as exc:
        seen.crashed = True
        seen.our_error = f"{type(exc).__name__}: {exc}"
    else:
        seen.ours_accepted = True
        for service in reading.services:
            if service.iri is None:
                seen.variable_target = True
                continue
            seen.ours_all.add(_target(service.iri))
            if not service.inner:
                seen.ours_outer.add(_target(service.iri))
        for load in reading.loads:
            seen.ours_all.add(_target(load.iri))
            seen.ours_outer.add(_target(load.iri))
    seen.seconds = time.monotonic() - started
    return seen


@pytest.fixture(scope="module")
def canary():
    served = Canary()
    yield served
    served.close()


@pytest.fixture(scope="module")
def observations(canary) -> list[Observation]:
    store = _data_store()
    return [observe(variant, canary, store) for variant in variants(canary.base, COUNT)]


def listing(found: list[Observation]) -> str:
    shown = "\n".join(o.show() for o in found[:SHOWN])
    more = f"\n… and {len(found) - SHOWN} more" if len(found) > SHOWN else ""
    return f"{len(found)} variants:\n{shown}{more}"


def summary(observations: list[Observation]) -> dict[str, int | float]:
    accepted = [o for o in observations if o.engine_accepted]
    refused = [o for o in observations if not o.engine_accepted]
    return {
        "variants": len(observations),
        "queries": sum(o.variant.kind == "query" for o in observations),
        "updates": sum(o.variant.kind == "update" for o in observations),
        "corrupted": sum(o.variant.corrupted for o in observations),
        "engine accepted": len(accepted),
        "engine accepted, parser accepted": sum(o.ours_accepted for o in accepted),
        "engine accepted, evaluated without error": sum(o.engine_error is None for o in accepted),
        "engine contacted the canary": sum(bool(o.contacted) for o in observations),
        "targets contacted": sum(len(o.contacted) for o in observations),
        "contacted targets the parser read": sum(len(o.contacted & o.ours_all) for o in observations),
        "contacted targets in texts the parser refused (400 at the server)":
            sum(len(o.contacted) for o in observations if not o.ours_accepted),
        "checked for equality (evaluation reaches all)": len(exactly_checked(observations)),
        "engine refused (syntax)": len(refused),
        "engine refused, parser accepted": sum(o.ours_accepted for o in refused),
        "engine refused, parser refused": sum(not o.ours_accepted for o in refused),
        "parser crashed": sum(o.crashed for o in observations),
        "seconds": round(sum(o.seconds for o in observations), 2),
        "slowest variant, seconds": round(max(o.seconds for o in observations), 3),
    }


def exactly_checked(observations: list[Observation]) -> list[Observation]:
    return [o for o in observations if o.variant.reaches_all and o.engine_accepted and o.engine_error is None
            and o.ours_accepted and not o.variable_target]


def test_summary_and_the_test_is_not_vacuous(observations, capsys):
    numbers = summary(observations)
    families = Counter(f for o in observations for f in o.variant.family.split("+"))
    with capsys.disabled():
        print("\nSPARQL differential summary:")
        for name, value in numbers.items():
            print(f"  {name}: {value}")
        print("  families: " + ", ".join(f"{name} {n}" for name, n in sorted(families.items())))
    assert numbers["variants"] >= 1000
    assert numbers["engine accepted"] > 600
    assert numbers["engine refused (syntax)"] > 100
    assert numbers["engine contacted the canary"] > 400  # the canary sees the engine's requests
    assert numbers["checked for equality (evaluation reaches all)"] > 300


def test_every_text_the_engine_accepts_the_parser_accepts(observations):
    found = [o for o in observations if o.engine_accepted and not o.ours_accepted]
    assert not found, "the engine accepts, the parser refuses: " + listing(found)


def test_every_target_the_engine_contacts_is_one_the_parser_read(observations):
    # a SERVICE with a variable target stands for any target: the server refuses such a request outright
    found = [o for o in observations
             if o.ours_accepted and not o.variable_target and not o.contacted <= o.ours_all]
    assert not found, "the engine contacted a target the parser did not read: " + listing(found)


def test_where_evaluation_reaches_every_target_the_engine_contacts_exactly_those_the_parser_read(observations):
    found = [o for o in exactly_checked(observations) if o.contacted != o.ours_outer]
    assert not found, "contacted targets and the parser's outermost targets differ: " + listing(found)


def test_the_parser_fails_only_with_its_own_errors(observations):
    found = [o for o in observations if o.crashed]
    assert not found, "the parser raised something else than a syntax error: " + listing(found)


@pytest.mark.parametrize("name", list(known_bypasses("http://h")))
def test_the_known_query_bypasses_are_read_as_the_engine_reads_them(canary, name):
    text = known_bypasses(canary.base)[name]
    seen = observe(Variant(-1, "query", name, text, True), canary, _data_store())
    assert seen.engine_accepted and seen.engine_error is None, seen.show()
    assert seen.contacted and seen.contacted == seen.ours_outer == seen.ours_all, seen.show()


@pytest.mark.parametrize("name", list(known_load_bypasses("http://h")))
def test_the_known_tricks_around_load_are_read_as_the_engine_reads_them(canary, name):
    text = known_load_bypasses(canary.base)[name]
    seen = observe(Variant(-1, "update", name, text, True), canary, _data_store())
    assert seen.engine_accepted and seen.engine_error is None, seen.show()
    assert seen.contacted and seen.contacted == seen.ours_outer == seen.ours_all, seen.show()


def test_no_text_the_engine_reaches_out_from_passes_the_token_scan(observations):
    # the server skips the grammar only for texts the scan passes: none of them may reach anything
    from zgckg.kg.sparql import scan

    reached = [o for o in observations if o.variant.kind == "query" and o.contacted]
    assert len(reached) > 300
    assert not [o for o in reached if scan(o.variant.text).acts_on_nothing]
