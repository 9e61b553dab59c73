"""The pipeline's stages: targets, scan (runner, workers), plan (planner, migrate), verify,
apply (applier, apply_run, sending, truth) and rollback. No command line here, no file formats.
"""
