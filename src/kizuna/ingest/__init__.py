"""Ingestion: files and API batches into customers, interactions and feedback.

`service` is the room's face (`import_file` for the CLI, `ingest_records` for the REST batch
API) and `runner` runs an import. Behind them: `readers` stream files (`arrow_csv` reads
UTF-8 CSV/TSV a chunk of columns at a time), `vocabulary` (+ vocabulary.yaml) knows headers
and codes, `values` parses cells, `fields` turns a row into columns and `columnar` (with
`arrow_dates`) a whole chunk, `block` holds a batch's rows by column, `writer` and `bulk`
write a batch, `pipeline` overlaps conversion with writing, `rejections` keeps what was
refused.
This room writes only its own tables and the rows it imports; it never touches the web.
"""
