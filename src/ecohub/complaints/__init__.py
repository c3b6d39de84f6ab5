"""12369 environmental complaints: load, classify, geocode, repeats, hot spots, candidate sources.

Modules, dependencies pointing down: :mod:`.service` (what the API and CLI call) →
:mod:`.load` (the file loader) and :mod:`.analyse` (repeats, hot spots, candidates) →
:mod:`.records`, :mod:`.classify`, :mod:`.places`, :mod:`.repeats`, :mod:`.hotspots`,
:mod:`.linking`, :mod:`.params`; :mod:`.linked` (a source's complaints, for its profile);
:mod:`.generate` and :mod:`.sample` make the demonstration set.
docs/complaints.md describes the whole.
"""

from ecohub.complaints.analyse import analyse
from ecohub.complaints.classify import CATEGORIES, Classification, classify
from ecohub.complaints.load import load_complaints
from ecohub.complaints.service import get_complaint, hotspots, list_complaints, load

__all__ = [
    "CATEGORIES",
    "Classification",
    "analyse",
    "classify",
    "get_complaint",
    "hotspots",
    "list_complaints",
    "load",
    "load_complaints",
]
