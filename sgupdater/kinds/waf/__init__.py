"""WAFv2 IP sets, and what the rules that reference them use them for (use)."""
