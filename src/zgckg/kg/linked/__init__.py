"""Linked data: what the pages, the RDF descriptions, the dumps and the dataset description say, read from
the store through the engine interface (never from a store object), so every engine serves them alike.

    select.py       run a SELECT through an engine and read its rows; a memo kept per store version
    site.py         what every page states: the dataset's title, licence and source report
    description.py  one resource: its facts in and out, evidence, curation notes, inferred facts, figures
    search.py       label search (zh and en, substring and prefix) and "did you mean" suggestions
    ontology_doc.py every class and property of the ontology, for its documentation page
    source_text.py  the report as paragraphs and sentences, and the facts drawn from each sentence
    dumps.py        downloads of the store and each graph, made once per store version
    void.py         the VoID and DCAT description of the dataset
"""
