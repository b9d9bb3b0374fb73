"""Source readers: one module per publisher source, each with the same small shape.

Each says where its data comes from (publisher, licence, geography), how its headers map to
our names in each release (:class:`ingest._tables.Release`), and how to read it strictly. The
plumbing they share (HTTP, tables, errors) and the discover, download, build and store steps
stay in :mod:`ingest`.
"""
