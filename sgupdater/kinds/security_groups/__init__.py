"""Security-group rules: read (read), changed in the order that never cuts access (apply)."""
