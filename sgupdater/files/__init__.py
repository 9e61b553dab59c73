"""The files sgupdater writes and reads back: plan files and journals (records, plan, plan_read,
journal, journal_read), the checked-field helpers (fields) and safe creation (safe).
"""
