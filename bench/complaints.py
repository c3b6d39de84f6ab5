"""12369 complaints: classification accuracy and hot-spot detection, written to docs/benchmarks.md.

* Classification: accuracy per category and topic on the hand-labelled set
  ``tests/complaints/data/labelled.csv`` (written apart from the rules), with the confusion
  matrix of categories; and throughput of the classifier.
* Hot spots: generated sets (ecohub.complaints.generate) with planted bursts around known
  sources, loaded through the real loader into a temporary store and analysed. A planted hot
  spot is *found* when one detected hot spot holds at least half of its complaints; it is
  *attributed* when that hot spot's first candidate is the planted source. A detected hot spot
  with less than half of its complaints planted is *false*. Decoys (too few, or spread in time)
  must not be in any hot spot.

    PYTHONPATH=src .venv/bin/python bench/complaints.py [--seeds 3] [--scale 1 5] [--no-write]
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import write_section
from ecohub.complaints.analyse import analyse
from ecohub.complaints.classify import CATEGORIES, classify
from ecohub.complaints.generate import generate, sample_sources, write_csv
from ecohub.complaints.load import load_complaints
from ecohub.store.db import connect

LABELLED = Path(__file__).resolve().parent.parent / "tests" / "complaints" / "data" / "labelled.csv"


def classification() -> tuple[str, dict[str, float]]:
    with LABELLED.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    t0 = time.perf_counter()
    got = [classify(r["text"]) for r in rows]
    first = time.perf_counter() - t0  # includes loading jieba's dictionary
    texts = [r["text"] + str(i) for i in range(5) for r in rows]  # distinct texts, warm
    t1 = time.perf_counter()
    for t in texts:
        classify(t)
    rate = len(texts) / (time.perf_counter() - t1)
    n = len(rows)
    cat_ok = sum(g.category == r["category"] for g, r in zip(got, rows, strict=True))
    top_ok = sum(g.topic == r["topic"] for g, r in zip(got, rows, strict=True))
    confusion: Counter[tuple[str, str]] = Counter(
        (r["category"], g.category) for g, r in zip(got, rows, strict=True)
    )
    lines = [
        f"Labelled set: {n} complaints. Category accuracy **{cat_ok / n:.3f}** "
        f"({cat_ok}/{n}), topic accuracy **{top_ok / n:.3f}** ({top_ok}/{n}). "
        f"Classifier: {rate:,.0f} texts/s warm (first call with jieba's dictionary load: "
        f"{first:.1f} s for the {n}).",
        "",
        "| category | n | recall | precision | topic accuracy |",
        "|---|---:|---:|---:|---:|",
    ]
    for c in CATEGORIES:
        truth = [i for i, r in enumerate(rows) if r["category"] == c]
        pred = [i for i, g in enumerate(got) if g.category == c]
        hit = sum(1 for i in truth if got[i].category == c)
        topic_hit = sum(1 for i in truth if got[i].topic == rows[i]["topic"])
        prec = hit / len(pred) if pred else float("nan")
        lines.append(f"| {c} | {len(truth)} | {hit / len(truth):.2f} | {prec:.2f} | "
                     f"{topic_hit / len(truth):.2f} |")  # fmt: skip
    lines += ["", "Confusion (rows: label, columns: classified):", "",
              "| label \\ got | " + " | ".join(CATEGORIES) + " |",
              "|---|" + "---:|" * len(CATEGORIES)]  # fmt: skip
    for c in CATEGORIES:
        lines.append(f"| {c} | " + " | ".join(str(confusion[(c, g)] or "·") for g in CATEGORIES)
                     + " |")  # fmt: skip
    return "\n".join(lines), {"category": cat_ok / n, "topic": top_ok / n}


def _sources(con, scale: int) -> None:  # type: ignore[no-untyped-def]
    rows = []
    for k in range(scale):
        for s in sample_sources():
            rows.append([s["source_code"] + (f"-{k}" if k else ""), s["name"], s["industry"],
                         float(s["lon"]) + 0.2 * k, float(s["lat"]) - 0.1 * k])  # fmt: skip
    con.executemany(
        "INSERT INTO source (source_code, name, industry, lon, lat) VALUES (?, ?, ?, ?, ?)", rows
    )


def hotspots(seed: int, scale: int, folder: Path, background: int = 600) -> dict[str, float]:
    gen = generate(seed=seed, scale=scale, background=background)
    path = write_csv(gen, folder / f"gen-{seed}-{scale}-{background}.csv")
    con = connect(":memory:")
    _sources(con, scale)
    t0 = time.perf_counter()
    report = load_complaints(con, path, write_rejects=False)
    t1 = time.perf_counter()
    summary = analyse(con)
    t2 = time.perf_counter()
    # Row positions → stored ids: the loader keeps file order, ids by (time, text, address).
    ids = [
        r[0]
        for r in con.execute(
            "SELECT complaint_id FROM complaint ORDER BY received_at, complaint_id"
        ).fetchall()
    ]
    by_row = _ids_by_row(con, gen)
    spot_of = dict(con.execute("SELECT complaint_id, hotspot_id FROM complaint").fetchall())
    top = dict(con.execute("SELECT hotspot_id, source_code FROM complaint_hotspot_source "
                           "WHERE rank = 1").fetchall())  # fmt: skip
    sizes = Counter(v for v in spot_of.values() if v)
    planted_ids: set[str] = set()
    found = attributed = 0
    for p in gen.planted:
        members = [by_row[i] for i in p.rows]
        planted_ids.update(members)
        spots = Counter(spot_of[m] for m in members if spot_of[m])
        if spots and spots.most_common(1)[0][1] * 2 >= len(members):
            found += 1
            code = top.get(spots.most_common(1)[0][0], "")
            attributed += code.split("-")[0] == p.source_code
    false = 0
    for hid, n in sizes.items():
        planted_in = sum(1 for cid, h in spot_of.items() if h == hid and cid in planted_ids)
        false += planted_in * 2 < n
    decoys_hit = sum(1 for d in gen.decoys for i in d if spot_of[by_row[i]])
    con.close()
    assert report.rejected == 0 and len(ids) == report.new
    return {"complaints": report.new, "planted": len(gen.planted), "found": found,
            "attributed": attributed, "detected": len(sizes), "false": false,
            "decoy_complaints_in_spots": decoys_hit, "load_s": t1 - t0, "analyse_s": t2 - t1,
            "repeats": summary["repeats"]}  # fmt: skip


def _ids_by_row(con, gen) -> dict[int, str]:  # type: ignore[no-untyped-def]
    from datetime import datetime

    import pandas as pd

    from ecohub.complaints.records import derived_id
    from ecohub.cst import CST

    out = {}
    for i, r in enumerate(gen.rows):
        ts = pd.Timestamp(
            datetime.strptime(str(r["投诉时间"]), "%Y-%m-%d %H:%M").replace(tzinfo=CST)
        )
        out[i] = derived_id(ts, str(r["投诉内容"]), str(r["事发地址"]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--scale", type=int, nargs="+", default=[1, 5])
    ap.add_argument(
        "--dense",
        type=int,
        nargs="+",
        default=[6000, 60000],
        help="backgrounds of the dense runs (first seed only)",
    )
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    load = os.getloadavg()
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    text, _ = classification()
    print(text)
    rows = ["| seed | scale | background | complaints | planted | found | attributed | "
            "hot spots | false | decoy complaints in hot spots | repeats | load s | analyse s |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="ecohub-cbench-") as tmp:
        runs = [(s, 600 * s, args.seeds) for s in args.scale]
        runs += [(1, b, 1) for b in args.dense]
        for scale, background, seeds in runs:
            for seed in range(12369, 12369 + seeds):
                m = hotspots(seed, scale, Path(tmp), background // scale)
                print(seed, scale, background, m)
                rows.append(
                    f"| {seed} | {scale} | {background:,} | {m['complaints']:,} | "
                    f"{m['planted']} | {m['found']} | "
                    f"{m['attributed']} | {m['detected']} | {m['false']} | "
                    f"{m['decoy_complaints_in_spots']} | {m['repeats']} | {m['load_s']:.1f} | "
                    f"{m['analyse_s']:.1f} |"
                )
    body = "\n".join([
        "`bench/complaints.py` (docs/complaints.md). Taken under load on the shared 2-core "
        f"machine: load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (`{uptime}`).",
        "", "### Classification (jieba + rules)", "", text, "",
        "### Hot spots on generated sets", "",
        "Planted bursts of 8-14 complaints within ~150 m (σ) of a demo source over ten days, "
        "background complaints over six months and the city (600 per scale unit; the last runs "
        "10 and 100 times denser, first seed only), decoys (three close complaints; one "
        "complaint a month at one plant). DBSCAN eps 500 m, min_samples 4, 14-day windows "
        "starting every Monday 00:00 CST (fixed calendar positions). The "
        "generated bursts are dense and the normal background sparse, so these runs show that "
        "the pipeline finds and attributes what is there; the dense runs show where chance "
        "clusters of the background start to count as hot spots.", "", *rows,
    ])  # fmt: skip
    if not args.no_write:
        write_section("12369 complaints", body)


if __name__ == "__main__":
    main()
