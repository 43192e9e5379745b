"""Relationship exploration: how two resources are connected, and what surrounds one, with the report's
words on every edge. Read through the engine interface, like the linked-data pages.

    relations.py     the entity-to-entity relations (no types, labels, evidence or figure plumbing), the
                     edges around a set of resources, and each edge's evidence or curation note
    paths.py         the shortest connecting paths between two resources, bounded in hops, size and time
    neighbourhood.py one resource's neighbours, and the ready-made views (platforms, policies)
"""
