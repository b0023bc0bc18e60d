"""Reports: metrics over the operational DB or a Parquet export, and the export itself."""
