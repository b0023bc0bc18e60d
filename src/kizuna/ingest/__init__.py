"""Ingestion: files and API batches into customers, interactions and feedback."""
