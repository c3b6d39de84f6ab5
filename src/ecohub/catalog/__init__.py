"""The resource catalog: every table and data product of the store as an information resource.

Modules, by what they do: :mod:`~ecohub.catalog.definitions` (the built-in definitions from
``data/`` and the fields' vocabulary), :mod:`~ecohub.catalog.resources` (resources in the
store), :mod:`~ecohub.catalog.coverage` (row counts, temporal and spatial
coverage, kept current), :mod:`~ecohub.catalog.lineage` (what made each version: files, devices,
runs, jobs), :mod:`~ecohub.catalog.search` (full text, Chinese and English),
:mod:`~ecohub.catalog.grants` (conditional sharing) and
:mod:`~ecohub.catalog.applications` (reading applications), :mod:`~ecohub.catalog.dcat` (DCAT-AP 3
export, with ``dcat_terms``, ``dcat_parts`` and ``dcat_format``) and
:mod:`~ecohub.catalog.service` (what the CLI and the API call).
"""

from ecohub.catalog.errors import Conflict

__all__ = ["Conflict"]
