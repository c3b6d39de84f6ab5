"""ecohub: an open ecological-environment big-data platform."""

__version__ = "0.1.0"
