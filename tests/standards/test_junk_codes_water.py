"""Junk into every public function of water, uscc, source_codes, divisions, flue_gas.

As python-stdnum's test_robustness: whatever comes in, only a StandardsError (a
ValueError) may come out - never a TypeError, KeyError or IndexError.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable

import pytest

from ecohub.standards import divisions, flue_gas, source_codes, uscc, water
from ecohub.standards.errors import StandardsError

JUNK: list[object] = [
    None,
    "",
    " ",
    "０",
    "x" * 500,
    "\x00",
    "劣",
    "H9",
    "91130200699229617X001P\n",
    b"91130200699229617X",
    0,
    -1,
    10**30,
    1.5,
    float("nan"),
    float("inf"),
    True,
    [],
    {},
    {"COD": "x"},
    {None: 1},
    object(),
]


def _functions() -> list[pytest.param]:
    out = []
    for module in (water, uscc, source_codes, divisions, flue_gas):
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj):
                out.append(pytest.param(obj, id=f"{module.__name__.rsplit('.', 1)[1]}.{name}"))
    return out


@pytest.mark.parametrize("function", _functions())
def test_junk_raises_only_standards_errors(function: Callable[..., object]) -> None:
    params = [
        p
        for p in inspect.signature(function).parameters.values()
        if p.default is inspect.Parameter.empty
    ]
    combos = (
        itertools.product(JUNK, repeat=len(params))
        if len(params) <= 2
        else ([j] * len(params) for j in JUNK)
    )
    for args in combos:
        try:
            function(*args)
        except StandardsError:
            pass
        except ValueError as err:  # allowed by the contract, but we want StandardsError
            pytest.fail(f"{function.__name__}{args!r} raised a plain ValueError: {err}")
