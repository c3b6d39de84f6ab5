"""Server-side jobs: long work (file loads, registry link, air compute) in a worker thread.

:mod:`ecohub.jobs.kinds` says what each kind accepts and runs; :mod:`ecohub.jobs.runner` queues,
runs and records them in the ``job`` table (migration 009).
"""
