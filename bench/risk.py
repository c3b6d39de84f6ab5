"""The risk watch list and the built-before-approval list on a generated population with known
bad actors (ecohub.enterprise.population): precision at 20 and 50 of the watch list, and the
unapproved list's precision and recall. Every score is also recomputed from its factors.

Files and the store go to a temporary folder under /tmp. ``--write`` puts the figures into
docs/benchmarks.md (the load average is printed beside them: this machine is shared).

    PYTHONPATH=src .venv/bin/python bench/risk.py [--sources 1000] [--seed 7] [--write]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ecohub.access.principal import SYSTEM
from ecohub.enterprise import measured, unapproved, watchlist
from ecohub.enterprise.risk import scored
from ecohub.enterprise.scope import month_of
from ecohub.enterprise.tables import factors
from ecohub.store.db import connect


def measure(n: int, seed: int, noise: float) -> list[str]:
    """Build one population in a temporary store; the figures as lines of text."""
    with tempfile.TemporaryDirectory(dir="/tmp", prefix="ecohub-risk-") as tmp:
        con = connect(Path(tmp) / "bench.duckdb")
        t0 = time.perf_counter()
        pop = measured.build(con, Path(tmp) / "files", n=n, seed=seed, noise=noise)
        t_build = time.perf_counter() - t0
        bad = pop.bad()
        t1 = time.perf_counter()
        items = watchlist(con, SYSTEM, region=pop.region, month=pop.month, limit=1000)["items"]
        t_watch = time.perf_counter() - t1
        codes = [i["source_code"] for i in items]
        p20 = sum(c in bad for c in codes[:20]) / 20
        p50 = sum(c in bad for c in codes[:50]) / 50
        recall_list = len(set(codes) & bad) / len(bad)
        t2 = time.perf_counter()
        got = {r["source_code"] for r in unapproved(con, SYSTEM, region=pop.region)}
        t_unap = time.perf_counter() - t2
        truth = pop.unapproved()
        prec = len(got & truth) / len(got) if got else 1.0
        rec = len(got & truth) / len(truth) if truth else 1.0
        linked = con.execute(
            "SELECT count(*) FILTER (WHERE source_code IN (SELECT source_code FROM source_record "
            "WHERE system = 'permit')) / count(*) FROM source_record "
            "WHERE system IN ('enforcement', 'eia_approval')"
        ).fetchone()
        # Reproducibility: every score equals the sum of weight × min(raw, cap) of its factors.
        spec = {f.factor: f for f in factors()}
        worst = 0.0
        for r in scored(con, SYSTEM, month_of(pop.month), pop.region):
            again = sum(spec[f["factor"]].weight * min(f["raw"], spec[f["factor"]].cap or f["raw"])
                        for f in r["factors"])  # fmt: skip
            worst = max(worst, abs(again - r["score"]))
        con.close()
    load = os.getloadavg()
    return [
        f"**noise {noise:.1f}** (share of case and approval rows without a credit code and of "
        f"names with a homophone typo): {n} sources (seed {seed}), {len(bad)} bad actors, "
        f"{len(truth)} built before approval or without one; month {pop.month}; "
        f"{(linked[0] if linked else 0):.3f} of case and approval records linked to a listed "
        "source",
        f"watch list: {len(codes)} sources; precision@20 {p20:.2f}, precision@50 {p50:.2f}, "
        f"recall of bad actors on the whole list {recall_list:.2f}",
        f"unapproved list: {len(got)} sources; precision {prec:.2f}, recall {rec:.2f}",
        f"largest |score - Σ weight × min(raw, cap)|: {worst:.2e}",
        f"time: build (write, load, link, measured rows) {t_build:.1f} s, watch list "
        f"{t_watch:.2f} s, unapproved list {t_unap:.2f} s; load average "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (2 shared cores)",
    ]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sources", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--noise", type=float, nargs="+", default=[0.2, 0.6])
    ap.add_argument("--write", action="store_true", help="write docs/benchmarks.md")
    args = ap.parse_args()
    blocks = []
    for noise in args.noise:
        lines = measure(args.sources, args.seed, noise)
        print("\n".join(lines), flush=True)
        blocks.append("\n".join(f"- {line}" for line in lines))
    if args.write:
        from _report import write_section

        noises = " ".join(f"{x:g}" for x in args.noise)
        body = (
            "`PYTHONPATH=src .venv/bin/python bench/risk.py --sources "
            f"{args.sources} --seed {args.seed} --noise {noises} --write` "
            "(ecohub.enterprise.population: cases and approvals loaded from files and linked "
            "through the registry; exceedances, anomalies, device hours, permit dates and "
            "complaint links written as rows). Taken on a shared machine under load: the times "
            "are indicative only.\n\n"
            + "\n\n".join(blocks)
            + "\n\nThe population is generated with the factors in mind, so these figures "
            "show that the score and the lists do what they say on data whose truth is known, "
            "and how linkage noise in cases and approvals carries through to them; they do not "
            "say how well the weights would rank real enterprises."
        )
        write_section("Risk watch list and built before approval (bench/risk.py)", body)


if __name__ == "__main__":
    main()
