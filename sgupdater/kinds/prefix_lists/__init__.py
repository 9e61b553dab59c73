"""Customer-managed prefix lists: entries read (read) and edited under their version (apply)."""
