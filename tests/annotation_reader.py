"""A small Web Annotation reader, written from the W3C Web Annotation Data Model (§3.1, §4.1, §4.2.4,
§4.2.6) and nothing of this project: it dereferences IRIs over HTTP as a linked-data client does, and
knows only the ``oa:`` vocabulary.

Given an annotation's IRI it follows ``oa:hasTarget`` to specific resources, their ``oa:hasSource`` and
``oa:hasSelector``, fetches the source as text, and returns the segment each selector picks out:

* ``oa:TextQuoteSelector``: the one place where ``prefix + exact + suffix`` occurs in the text (the data
  model says the prefix and suffix are there to tell repeated words apart, so more than one match is an
  error, and so is none);
* ``oa:TextPositionSelector``: the characters from ``start`` (inclusive) to ``end`` (exclusive), counting
  Unicode code points as the model prescribes.
"""

from __future__ import annotations

from dataclasses import dataclass

import rdflib
import requests

OA = rdflib.Namespace("http://www.w3.org/ns/oa#")


class AnnotationError(ValueError):
    """The annotation cannot be followed to words in its source."""


@dataclass(frozen=True)
class Segment:
    target: str
    source: str
    selector: str
    kind: str
    text: str


class Reader:
    def __init__(self, session: requests.Session, rewrite=lambda iri: iri):
        self.session = session
        self.rewrite = rewrite
        """Where to fetch an IRI (a test server stands in for the IRIs' own host)."""
        self._graphs: dict[str, rdflib.Graph] = {}
        self._texts: dict[str, str] = {}

    def graph(self, iri: str) -> rdflib.Graph:
        if iri not in self._graphs:
            answer = self.session.get(self.rewrite(iri), headers={"Accept": "text/turtle"})
            if answer.status_code != 200:
                raise AnnotationError(f"{iri} does not dereference: {answer.status_code}")
            self._graphs[iri] = rdflib.Graph().parse(data=answer.text, format="turtle")
        return self._graphs[iri]

    def about(self, iri: str, predicate) -> list:
        """The values of a property of an IRI, from the documents already read, else from its own."""
        node = rdflib.URIRef(iri)
        for graph in self._graphs.values():
            found = list(graph.objects(node, predicate))
            if found:
                return found
        return list(self.graph(iri).objects(node, predicate))

    def text(self, iri: str) -> str:
        if iri not in self._texts:
            answer = self.session.get(self.rewrite(iri), headers={"Accept": "text/plain"})
            if answer.status_code != 200 or not answer.headers["Content-Type"].startswith("text/plain"):
                raise AnnotationError(f"source {iri} is not text: {answer.status_code} {answer.headers.get('Content-Type')}")
            answer.encoding = "utf-8"
            self._texts[iri] = answer.text
        return self._texts[iri]

    def segments(self, annotation: str) -> list[Segment]:
        if OA.Annotation not in self.about(annotation, rdflib.RDF.type):
            raise AnnotationError(f"{annotation} is not an oa:Annotation")
        targets = self.about(annotation, OA.hasTarget)
        if not targets:
            raise AnnotationError(f"{annotation} has no oa:hasTarget")
        found = []
        for target in map(str, targets):
            (source,) = self.about(target, OA.hasSource) or (None,)
            if source is None:
                raise AnnotationError(f"target {target} is not a specific resource with oa:hasSource")
            text = self.text(str(source))
            selectors = self.about(target, OA.hasSelector)
            if not selectors:
                raise AnnotationError(f"target {target} has no oa:hasSelector")
            for selector in map(str, selectors):
                found.append(self._select(target, str(source), selector, text))
        return found

    def _select(self, target: str, source: str, selector: str, text: str) -> Segment:
        kinds = set(self.about(selector, rdflib.RDF.type))
        if OA.TextQuoteSelector in kinds:
            exact = self._one(selector, OA.exact)
            prefix = self._one(selector, OA.prefix, default="")
            suffix = self._one(selector, OA.suffix, default="")
            whole = prefix + exact + suffix
            starts = [i for i in range(len(text)) if text.startswith(whole, i)]
            if len(starts) != 1:
                raise AnnotationError(f"{selector}: prefix+exact+suffix occurs {len(starts)} times in {source}")
            at = starts[0] + len(prefix)
            return Segment(target, source, selector, "quote", text[at:at + len(exact)])
        if OA.TextPositionSelector in kinds:
            start, end = int(self._one(selector, OA.start)), int(self._one(selector, OA.end))
            if not 0 <= start <= end <= len(text):
                raise AnnotationError(f"{selector}: {start}–{end} is outside the {len(text)} characters of {source}")
            return Segment(target, source, selector, "position", text[start:end])
        raise AnnotationError(f"{selector}: a selector this reader does not know: {sorted(kinds)}")

    def _one(self, selector: str, predicate, default: str | None = None) -> str:
        values = self.about(selector, predicate)
        if len(values) > 1:
            raise AnnotationError(f"{selector} has {len(values)} values of {predicate}")
        if not values:
            if default is None:
                raise AnnotationError(f"{selector} has no {predicate}")
            return default
        return str(values[0])
