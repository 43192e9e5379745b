"""kg/bulk_load.py: a large line-based file loads in parts side by side, exactly as in one piece; blank
nodes are never cut apart; an error names the file's own line; progress is told in bytes."""

from pathlib import Path

import pyoxigraph as ox
import pytest

from zgckg.errors import DataError
from zgckg.kg import bulk_load
from zgckg.kg.build import load_user_files, user_graph_iri

G = "https://w3id.org/zgckg/graph/user/test"


@pytest.fixture
def small_parts(monkeypatch):
    monkeypatch.setattr(bulk_load, "PART_BYTES", 1024)


def n_quads(path: Path, rows: int, bnodes_from: int | None = None) -> Path:
    lines = [f"<urn:s{n}> <urn:p> \"{n}\" <urn:g{n % 3}> .\n" for n in range(rows)]
    if bnodes_from is not None:  # one blank node, named by two lines ten apart
        lines[bnodes_from] = "_:shared <urn:p> \"first\" <urn:g0> .\n"
        lines[bnodes_from + 10] = "_:shared <urn:p> \"second\" <urn:g0> .\n"
    path.write_text("".join(lines))
    return path


def loaded(path: Path, workers: int) -> ox.Store:
    store = ox.Store()
    bulk_load.load(store, path, ox.RdfFormat.N_QUADS, base_iri=path.as_uri(), graph=ox.NamedNode(G), workers=workers)
    return store


def test_a_large_file_is_cut_at_line_ends_one_part_a_worker(tmp_path, small_parts):
    path = n_quads(tmp_path / "big.nq", 1000)
    cut = bulk_load.parts(path, ox.RdfFormat.N_QUADS, workers=4)
    data = path.read_bytes()
    assert len(cut) == 4 and cut[0].start == 0 and cut[-1].end == len(data)
    for before, after in zip(cut, cut[1:]):
        assert before.end == after.start and data[after.start - 1:after.start] == b"\n"
        assert bulk_load.first_line(path, after) == data[:after.start].count(b"\n") + 1
    assert bulk_load.parts(path, ox.RdfFormat.TURTLE, workers=4) == [bulk_load.Part(0, len(data))]
    assert len(bulk_load.parts(n_quads(tmp_path / "small.nq", 5), ox.RdfFormat.N_QUADS, workers=4)) == 1


def test_parts_load_exactly_what_one_piece_loads(tmp_path, small_parts):
    path = n_quads(tmp_path / "big.nq", 1000)
    assert len(bulk_load.parts(path, ox.RdfFormat.N_QUADS, workers=3)) == 3
    assert set(loaded(path, 3)) == set(loaded(path, 1))


def test_lines_that_share_a_blank_node_stay_in_one_part(tmp_path, small_parts):
    path = n_quads(tmp_path / "bnodes.nq", 1000, bnodes_from=495)  # a cut would fall between the two lines
    data = path.read_bytes()
    first, last = data.find(b"_:"), data.rfind(b"_:")
    cut = bulk_load.parts(path, ox.RdfFormat.N_QUADS, workers=2)
    assert any(part.start <= first and last < part.end for part in cut)
    shared = {q.subject for q in loaded(path, 2) if isinstance(q.subject, ox.BlankNode)}
    assert len(shared) == 1  # one blank node with both its triples, as the file says


def test_an_error_in_a_later_part_names_the_files_own_line(mini_config, tmp_path, small_parts, monkeypatch):
    monkeypatch.setattr(bulk_load.os, "cpu_count", lambda: 4)
    path = n_quads(tmp_path / "broken.nq", 1000)
    lines = path.read_text().splitlines(keepends=True)
    lines[900] = "<urn:s> <urn:p> <urn:o <urn:g> .\n"
    path.write_text("".join(lines))
    cut = bulk_load.parts(path, ox.RdfFormat.N_QUADS)
    assert len(cut) > 1 and bulk_load.first_line(path, cut[-1]) < 901  # the error is in the last part
    with pytest.raises(DataError) as raised:
        load_user_files(mini_config, [path])
    assert raised.value.line == 901


def test_progress_is_told_in_bytes_read(tmp_path, small_parts):
    path = n_quads(tmp_path / "big.nq", 1000)
    told = []
    bulk_load.load(ox.Store(), path, ox.RdfFormat.N_QUADS, base_iri=path.as_uri(), graph=ox.NamedNode(G),
                   say=lambda read, total, seconds: told.append((read, total)), every=0.0, workers=2)
    assert told and all(total == path.stat().st_size for _, total in told)
    assert [read for read, _ in told] == sorted(read for read, _ in told) and told[-1][0] == path.stat().st_size


def test_a_load_reports_the_triples_of_the_graphs_it_wrote(mini_config, tmp_path, small_parts):
    path = n_quads(tmp_path / "big.nq", 999)
    assert load_user_files(mini_config, [path]) == {user_graph_iri(path): 0, "urn:g0": 333, "urn:g1": 333,
                                                    "urn:g2": 333}
    more = tmp_path / "more.nq"
    more.write_text('<urn:t> <urn:p> "new" <urn:g0> .\n<urn:t> <urn:p> "x" .\n')
    assert load_user_files(mini_config, [more]) == {user_graph_iri(more): 1, "urn:g0": 334}
    assert load_user_files(mini_config, [more]) == {user_graph_iri(more): 1}  # again: its own graph, as before
