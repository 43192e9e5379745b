from pathlib import Path

import pytest

from zgckg.kg.report import Report, normalise, split_sentences

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "sources" / "haidian-park-report.txt"


@pytest.mark.skipif(not SHARED.exists(), reason="the shared report is not beside this checkout")
def test_project_copy_is_byte_identical_to_the_shared_report():
    assert (ROOT / "data/source/haidian-park-report.txt").read_bytes() == SHARED.read_bytes()


@pytest.mark.parametrize(
    "cut, joined",
    [
        ("依托区域内中科院、北大、清华等院所高校和", "院所高校和央企等创新型企业"),
        ("**集成电路设计**", "集成电路设计产业聚集了大唐半导体设计"),
        ("着力降", "着力降低双创的制度性交易成本"),
    ],
    ids=["institutes-and-soes", "ic-design", "lower-costs"],
)
def test_page_break_cuts_are_joined(report, cut, joined):
    assert cut in report.raw
    assert joined in report.text


def test_bold_markers_are_removed_and_nothing_else_changes(report):
    assert "**" not in report.text
    kept = "".join(report.raw.replace("**", "").split())
    assert "".join(report.text.split()) == kept


def test_titles_stay_separate_paragraphs(report):
    assert report.text.split("\n")[:2] == ["全国科技管理系统先进集体事迹简介", "中关村科技园区海淀园事迹材料"]


def test_normalised_text_has_one_paragraph_per_line_and_no_blank_lines(report):
    lines = report.text.split("\n")
    assert lines[-1] == "" and all(lines[:-1])
    assert len(lines) - 1 == 6


def test_sentences_tile_each_paragraph_and_match_the_text(report):
    assert len({s.id for s in report.sentences}) == len(report.sentences)
    for sentence in report.sentences:
        assert report.text[sentence.start : sentence.end] == sentence.text
    covered = "".join(s.text for s in report.sentences)
    assert covered == report.text.replace("\n", "")


def test_sentence_ids_name_paragraph_and_position(report):
    first = report.sentence("p03s01")
    assert first.text.startswith("中关村科技园区海淀园（以下简称海淀园）")
    assert first.text.endswith("领头羊。")
    assert report.sentence("p04s01").text == "一、聚焦功能定位，抓服务原始创新和自主创新。"


def test_sentence_ends_after_closing_quote():
    sentences = split_sentences("他说：“好。”然后走了。\n")
    assert [s.text for s in sentences] == ["他说：“好。”", "然后走了。"]


def test_locate_finds_every_occurrence_with_its_sentence(report):
    hits = report.locate("占全市的")
    assert len(hits) > 3
    for start, end, sentence in hits:
        assert report.text[start:end] == "占全市的"
        assert sentence.start <= start < sentence.end
    assert report.locate("not in the report") == []


def test_locate_finds_text_across_a_repaired_page_break(report):
    [(start, end, sentence)] = report.locate("着力降低双创")
    assert sentence.id == "p06s04"


def test_normalise_is_idempotent(report):
    assert normalise(report.text) == report.text


def test_read_keeps_the_raw_text(tmp_path):
    path = tmp_path / "r.txt"
    path.write_text("\n\n标题\n\n" + "长" * 50 + "\n\n续。\n", encoding="utf-8")
    report = Report.read(path)
    assert report.text == "标题\n" + "长" * 50 + "续。\n"
    assert report.raw.startswith("\n\n标题")
