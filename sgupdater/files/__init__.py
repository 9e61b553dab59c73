"""The files sgupdater writes and reads back, one module per file: plan files (plan) and journals
(journal), each with its schema, writer and checked reader; the change records both share
(changes), the checked-field helpers (fields) and safe creation (safe).
"""
