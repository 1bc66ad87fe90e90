"""The job-layer fixtures (``job_env``, ``scenario``) live in tests/conftest.py, shared with
the other areas that run real jobs; the helpers are in ``tests.jobs.helpers``."""
