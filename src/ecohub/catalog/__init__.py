"""The resource catalog: every table and data product of the store as an information resource.

Modules, by what they do: :mod:`~ecohub.catalog.resources` (the resource model and the built-in
definitions from ``data/``), :mod:`~ecohub.catalog.coverage` (row counts, temporal and spatial
coverage, kept current), :mod:`~ecohub.catalog.lineage` (what made each version: files, devices,
runs, jobs), :mod:`~ecohub.catalog.search` (full text, Chinese and English),
:mod:`~ecohub.catalog.grants` (conditional sharing), :mod:`~ecohub.catalog.dcat` (DCAT-AP 3
export) and :mod:`~ecohub.catalog.service` (what the CLI and the API call).
"""

from ecohub.catalog.errors import Conflict

__all__ = ["Conflict"]
