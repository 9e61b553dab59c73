"""Infrastructure-as-code sources that own the ranges: found, rewritten as a reviewed diff."""
