"""The web console: static files served at ``/`` and its read models (:mod:`.service`)."""
