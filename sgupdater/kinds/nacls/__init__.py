"""Network ACL entries, replaced in place by number."""
