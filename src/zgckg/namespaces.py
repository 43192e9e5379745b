"""Base IRIs, named-graph IRIs and shared prefixes, defined once.

Every IRI the project mints starts with ``BASE``. A deployment at another host maps its public base onto
this one when serving linked data, so the data itself never changes with the host.
"""

BASE = "https://w3id.org/zgckg/"

ONTOLOGY = BASE + "ontology#"
"""Ontology terms: hash IRIs, one document holds every term."""

INSTANCES = BASE + "id/"
"""Instances: slash IRIs with readable slugs, e.g. ``id/haidian-park``."""

GRAPH_BASE = BASE + "graph/"
GRAPH_ONTOLOGY = GRAPH_BASE + "ontology"
GRAPH_ASSERTED = GRAPH_BASE + "asserted"
GRAPH_INFERRED = GRAPH_BASE + "inferred"
GRAPH_USER = GRAPH_BASE + "user/"
"""Files loaded with ``zgckg load`` go to ``GRAPH_USER + <file name>`` unless told otherwise."""

BUILT_GRAPHS = {"ontology": GRAPH_ONTOLOGY, "asserted": GRAPH_ASSERTED, "inferred": GRAPH_INFERRED}

REPORT = INSTANCES + "report/haidian-park"
"""The source document; its sentences are ``REPORT + "/" + sentence id``."""

SHAPES = BASE + "shapes#"
"""SHACL shapes (``ontology/shapes.ttl``)."""

PREFIXES = {
    "zgo": ONTOLOGY,
    "zg": INSTANCES,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "oa": "http://www.w3.org/ns/oa#",
    "org": "http://www.w3.org/ns/org#",
    "schema": "http://schema.org/",
    "qb": "http://purl.org/linked-data/cube#",
    "sdmx-measure": "http://purl.org/linked-data/sdmx/2009/measure#",
    "sdmx-attribute": "http://purl.org/linked-data/sdmx/2009/attribute#",
    "unit": "http://qudt.org/vocab/unit/",
    "cur": "http://qudt.org/vocab/currency/",
    "sh": "http://www.w3.org/ns/shacl#",
    "void": "http://rdfs.org/ns/void#",
    "dcat": "http://www.w3.org/ns/dcat#",
}


RDF = PREFIXES["rdf"]
RDFS = PREFIXES["rdfs"]
XSD = PREFIXES["xsd"]
DCTERMS = PREFIXES["dcterms"]
OA = PREFIXES["oa"]
VOID = PREFIXES["void"]
SD = "http://www.w3.org/ns/sparql-service-description#"
"""SPARQL 1.1 Service Description (not a data prefix: only the endpoint's description uses it)."""

_LONGEST_FIRST = sorted(PREFIXES.items(), key=lambda kv: -len(kv[1]))


def shorten(iri: str) -> str:
    """An IRI as a CURIE with the longest matching shared prefix (``zg:baidu``), else ``<iri>``."""
    for prefix, namespace in _LONGEST_FIRST:
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    return f"<{iri}>"


def sparql_prologue() -> str:
    """PREFIX lines for every shared prefix, for queries written in code."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())
