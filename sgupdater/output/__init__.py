"""What every output is made of (rows) and how it is rendered: table, TSV, JSON (report)."""
