"""Ingestion: files and API batches into customers, interactions and feedback.

`service` is the room's face (`import_file` for the CLI, `ingest_records` for the REST batch
API). Behind it: `readers` stream files, `vocabulary` (+ vocabulary.yaml) knows headers and
codes, `values` parses cells, `fields` turns a row into columns, `writer` and `bulk` write a
batch, `pipeline` overlaps conversion with writing, `rejections` keeps what was refused.
This room writes only its own tables and the rows it imports; it never touches the web.
"""
