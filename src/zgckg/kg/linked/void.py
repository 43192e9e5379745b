"""The dataset described in VoID and DCAT, from the store as it is: what the data says of the dataset
(title, description, licence, source, languages) and counts made by COUNT queries over the union of
every graph, each triple counted once. The web layer supplies only what it alone knows: its public URLs.

The counts cost a few queries, so they are made once per store version; the web layer keeps the
serialised documents.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...namespaces import DCTERMS, PREFIXES, RDF, RDFS, VOID, XSD
from ..formats import Format, serialize_triples
from .dumps import Dumps
from .select import PerVersion, Term, select
from .site import DATASET

if TYPE_CHECKING:
    from ..engine import Engine

DCAT = PREFIXES["dcat"]
SKOS = PREFIXES["skos"]
SPDX = "http://spdx.org/rdf/terms#"
WIKIDATA = "http://www.wikidata.org/entity/"
MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"
SPARQL_PROTOCOL = "https://www.w3.org/TR/sparql11-protocol/"

_UNION = "{ SELECT DISTINCT ?s ?p ?o WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } } }"
"""Every triple of the store once, whether or not the default graph is the union."""

_TOTALS = f"""SELECT (COUNT(*) AS ?triples) (COUNT(DISTINCT ?s) AS ?subjects) (COUNT(DISTINCT ?o) AS ?objects)
  (COUNT(DISTINCT ?p) AS ?properties) WHERE {_UNION}"""
_ENTITIES = """SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {union} FILTER(isIRI(?s) && STRSTARTS(STR(?s), {space})) }}"""
_CLASSES = f"""SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {_UNION} FILTER(?p = rdf:type) BIND(?o AS ?class) }}
GROUP BY ?class ORDER BY ?class"""
_PROPERTIES = f"SELECT ?property (COUNT(*) AS ?n) WHERE {{ {_UNION} BIND(?p AS ?property) }} GROUP BY ?property ORDER BY ?property"
_WIKIDATA_LINKS = f"""SELECT (COUNT(*) AS ?n) WHERE {{ {_UNION}
  FILTER(?p = skos:exactMatch && isIRI(?o) && STRSTARTS(STR(?o), "{WIKIDATA}")) }}"""
_COPIED = (DCTERMS + "title", DCTERMS + "description", DCTERMS + "license", DCTERMS + "source",
           DCTERMS + "language", RDFS + "label")
_FACTS = f"""SELECT DISTINCT ?p ?o WHERE {{
  {{ <{DATASET}> ?p ?o }} UNION {{ GRAPH ?g {{ <{DATASET}> ?p ?o }} }}
  VALUES ?p {{ {" ".join(f"<{p}>" for p in _COPIED)} }} }}"""


@dataclass(frozen=True)
class Statistics:
    """What the store holds, counted over the union of its graphs (each triple once)."""

    triples: int
    entities: int
    """IRIs in the URI space (``<iri_base>id/``) that are the subject of a triple."""
    subjects: int
    objects: int
    properties: int
    classes: int
    class_partition: tuple[tuple[str, int], ...]
    """(class IRI, instances) for every class that is an IRI."""
    property_partition: tuple[tuple[str, int], ...]
    """(property IRI, triples) for every property."""
    graphs: tuple[tuple[str, int], ...]
    """(named graph IRI, triples)."""
    wikidata_links: int
    facts: tuple[tuple[str, Term], ...]
    """What the data says of the dataset: (property, value) for the properties copied into the description."""

    @property
    def vocabularies(self) -> tuple[str, ...]:
        """The namespaces of the properties and classes used."""
        used = {iri for iri, _ in self.property_partition} | {iri for iri, _ in self.class_partition}
        return tuple(sorted({namespace(iri) for iri in used} - {""}))


def namespace(iri: str) -> str:
    """An IRI up to its last ``#`` or ``/``, the usual end of a vocabulary's namespace."""
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[:cut + 1] if cut > iri.find("://") + 2 else ""


_MEMO: PerVersion[Statistics] = PerVersion()


def statistics(engine: Engine, uri_space: str) -> Statistics:
    """The counts of the version ``engine`` serves now, made once per version and URI space."""
    return _MEMO.get(engine, ("statistics", uri_space), lambda: _count(engine, uri_space))


def _count(engine: Engine, uri_space: str) -> Statistics:
    totals = select(engine, _TOTALS)[0]
    space = '"' + uri_space.replace("\\", "\\\\").replace('"', '\\"') + '"'
    entities = select(engine, _ENTITIES.format(union=_UNION, space=space))[0]
    classes = [(row["class"], int(row["n"].value)) for row in select(engine, _CLASSES)]
    properties = select(engine, _PROPERTIES)
    return Statistics(
        triples=int(totals["triples"].value), entities=int(entities["n"].value),
        subjects=int(totals["subjects"].value), objects=int(totals["objects"].value),
        properties=int(totals["properties"].value), classes=len(classes),
        class_partition=tuple((c.value, n) for c, n in classes if c.is_iri),
        property_partition=tuple((row["property"].value, int(row["n"].value)) for row in properties),
        graphs=tuple(engine.graph_sizes()),
        wikidata_links=int(select(engine, _WIKIDATA_LINKS)[0]["n"].value),
        facts=tuple((row["p"].value, row["o"]) for row in select(engine, _FACTS) if row["o"].kind != "bnode"),
    )


@dataclass(frozen=True)
class Urls:
    """This server's public URLs, which only the web layer knows."""

    document: str
    """Where the description itself is served (``…/.well-known/void``)."""
    endpoint: str
    """The SPARQL endpoint."""
    dumps: str
    """Where the dump files are downloaded: a file's URL is this and its name."""

    def dump(self, name: str) -> str:
        return self.dumps + name


def description(engine: Engine, dumps: Dumps, urls: Urls, uri_space: str) -> list:
    """The VoID and DCAT description as pyoxigraph triples."""
    import pyoxigraph as ox

    stats = statistics(engine, uri_space)
    iri, blank = ox.NamedNode, ox.BlankNode
    triples: list[ox.Triple] = []

    def add(s, p: str, o) -> None:
        triples.append(ox.Triple(s, iri(p), o))

    def count(n: int):
        return ox.Literal(str(n), datatype=iri(XSD + "integer"))

    dataset, catalog, endpoint = iri(DATASET), iri(urls.document + "#catalog"), iri(urls.endpoint)
    provenance = [(p, _term(value)) for p, value in stats.facts if p in (DCTERMS + "license", DCTERMS + "source")]

    def licensed(s) -> None:
        for p, value in provenance:
            add(s, p, value)

    add(catalog, RDF + "type", iri(DCAT + "Catalog"))
    add(catalog, DCAT + "dataset", dataset)
    add(catalog, DCAT + "service", endpoint)
    licensed(catalog)
    for p, value in stats.facts:
        if p in (DCTERMS + "title", DCTERMS + "description"):
            add(catalog, p, _term(value))

    for kind in (VOID + "Dataset", DCAT + "Dataset"):
        add(dataset, RDF + "type", iri(kind))
    for p, value in stats.facts:
        add(dataset, p, _term(value))
    add(dataset, VOID + "sparqlEndpoint", endpoint)
    add(dataset, VOID + "uriSpace", ox.Literal(uri_space))
    for p, n in ((VOID + "triples", stats.triples), (VOID + "entities", stats.entities),
                 (VOID + "distinctSubjects", stats.subjects), (VOID + "distinctObjects", stats.objects),
                 (VOID + "properties", stats.properties), (VOID + "classes", stats.classes)):
        add(dataset, p, count(n))
    for vocabulary in stats.vocabularies:
        add(dataset, VOID + "vocabulary", iri(vocabulary))
    for cls, n in stats.class_partition:
        part = blank()
        add(dataset, VOID + "classPartition", part)
        add(part, VOID + "class", iri(cls))
        add(part, VOID + "entities", count(n))
    for prop, n in stats.property_partition:
        part = blank()
        add(dataset, VOID + "propertyPartition", part)
        add(part, VOID + "property", iri(prop))
        add(part, VOID + "triples", count(n))

    for graph, n in stats.graphs:
        subset = iri(graph)
        add(dataset, VOID + "subset", subset)
        add(subset, RDF + "type", iri(VOID + "Dataset"))
        add(subset, VOID + "triples", count(n))
        add(subset, VOID + "sparqlEndpoint", endpoint)
        for file in dumps.of_graph(graph):
            add(subset, VOID + "dataDump", iri(urls.dump(file.name)))
    if stats.wikidata_links:
        linkset, wikidata = blank(), blank()
        add(dataset, VOID + "subset", linkset)
        add(linkset, RDF + "type", iri(VOID + "Linkset"))
        add(linkset, VOID + "linkPredicate", iri(SKOS + "exactMatch"))
        add(linkset, VOID + "subjectsTarget", dataset)
        add(linkset, VOID + "objectsTarget", wikidata)
        add(linkset, VOID + "triples", count(stats.wikidata_links))
        add(wikidata, RDF + "type", iri(VOID + "Dataset"))
        add(wikidata, VOID + "uriSpace", ox.Literal(WIKIDATA))
        add(wikidata, RDFS + "label", ox.Literal("Wikidata", language="en"))

    for file in dumps.files:
        url = iri(urls.dump(file.name))
        if file.graph is None:
            add(dataset, VOID + "dataDump", url)
        distribution, checksum = blank(), blank()
        add(dataset, DCAT + "distribution", distribution)
        add(distribution, RDF + "type", iri(DCAT + "Distribution"))
        add(distribution, DCTERMS + "title", ox.Literal(file.name))
        add(distribution, DCAT + "downloadURL", url)
        add(distribution, DCAT + "accessURL", url)
        add(distribution, DCAT + "mediaType", iri(MEDIA_TYPES + file.media_type))
        add(distribution, DCAT + "compressFormat", iri(MEDIA_TYPES + "application/gzip"))
        add(distribution, DCAT + "byteSize", ox.Literal(str(file.bytes), datatype=iri(XSD + "nonNegativeInteger")))
        if file.graph is not None:
            add(distribution, DCTERMS + "isPartOf", iri(file.graph))
        add(distribution, SPDX + "checksum", checksum)
        add(checksum, RDF + "type", iri(SPDX + "Checksum"))
        add(checksum, SPDX + "algorithm", iri(SPDX + "checksumAlgorithm_sha256"))
        add(checksum, SPDX + "checksumValue", ox.Literal(file.sha256, datatype=iri(XSD + "hexBinary")))
        licensed(distribution)

    access = blank()
    add(dataset, DCAT + "distribution", access)
    add(access, RDF + "type", iri(DCAT + "Distribution"))
    add(access, DCTERMS + "title", ox.Literal("SPARQL 1.1 endpoint", language="en"))
    add(access, DCAT + "accessURL", endpoint)
    add(access, DCAT + "accessService", endpoint)
    licensed(access)
    add(endpoint, RDF + "type", iri(DCAT + "DataService"))
    add(endpoint, DCAT + "endpointURL", endpoint)
    add(endpoint, DCAT + "servesDataset", dataset)
    add(endpoint, DCTERMS + "conformsTo", iri(SPARQL_PROTOCOL))
    licensed(endpoint)
    return triples


def document(engine: Engine, dumps: Dumps, urls: Urls, uri_space: str, fmt: Format) -> bytes:
    """The description in ``fmt``, with the project's prefixes and SPDX's where the syntax has prefixes."""
    return serialize_triples(description(engine, dumps, urls, uri_space), fmt, prefixes={**PREFIXES, "spdx": SPDX})


def _term(term: Term):
    import pyoxigraph as ox

    if term.is_iri:
        return ox.NamedNode(term.value)
    if term.lang:
        return ox.Literal(term.value, language=term.lang)
    return ox.Literal(term.value, datatype=ox.NamedNode(term.datatype) if term.datatype else None)
