"""The Splink model of the registry: one settings builder, one training recipe, one prediction,
on DuckDB (default) or PySpark.

Engine differences are data (``DIALECTS``): the two SQL spellings of "size of the intersection of
two lists"; opening the engine and registering the input with Splink's DuckDBAPI or SparkAPI is
the analytics backend's (store/backend.py). Everything else - blocking rules, comparisons, EM
sessions, thresholds - is the same code for both, so a small set links to the same pairs on
either engine (tests/registry/test_spark.py).

Names and addresses are compared through their character-bigram sets (Dice coefficient), not
through Levenshtein or Jaro-Winkler: DuckDB's string distances count UTF-8 *bytes* and Spark's
count characters, so a one-character typo in 华兴钢铁 would be three edits on one engine and one
on the other. Bigram sets are plain arrays of strings on both engines, and character bigrams are
what Chinese name matching conventionally uses anyway.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from ecohub.store.backend import AnalyticsBackend, duckdb_backend

__all__ = [
    "DIALECTS",
    "DIFFERENT_CODES_M",
    "LinkConfig",
    "input_frame",
    "predict_pairs",
    "settings",
]

log = logging.getLogger(__name__)

# Per-engine SQL spellings (the only engine differences in the model).
DIALECTS: dict[str, dict[str, str]] = {
    "duckdb": {"inter": "len(list_intersect({l}, {r}))"},
    "spark": {"inter": "size(array_intersect({l}, {r}))"},
}


# m of "two different valid credit codes": how often two records of one source carry two
# different codes that both pass the GB 32100 check. Our own estimate: a slip in one character
# keeps the check character right 1 time in 31, and slips in codes copied between systems are
# rarer than 1 in 30, so about 1 in 1000. Fixed, because unlabelled data cannot teach it (see
# settings()). Whatever the model says, such a pair is never linked without a person's
# decision (cluster.py): this only keeps the model's probability honest for the review band.
DIFFERENT_CODES_M = 1e-3


@dataclass(frozen=True)
class LinkConfig:
    """Thresholds and training sizes. ``auto_accept``: pairs at or above it are links;
    ``review_low`` ≤ p < ``auto_accept``: the review band, stored for people to decide."""

    auto_accept: float = 0.9
    review_low: float = 0.5
    u_max_pairs: float = 3e6
    em_max_pairs: float | None = 2e6
    seed: int = 7
    prior_recall: float = 0.6


# Input columns Splink needs, derived in DuckDB from source_record (both engines get them as
# data, so no normalisation runs twice or differs by engine).
_INPUT_SQL = r"""
WITH base AS (
    SELECT
        system || '|' || record_id AS unique_id,
        system, record_id, name_norm, name_core, uscc_norm, uscc_body,
        nullif(upper(regexp_replace(coalesce(uscc, ''), '[\s\-_/.]', '', 'g')), '') AS uscc_any,
        region_code,
        substr(region_code, 1, 4) AS region4,
        address_norm,
        nullif(regexp_extract(address_norm,
            '([\x{4e00}-\x{9fff}]{1,10}(?:路|街|大道|道|巷|胡同|村)[0-9]+号?)', 1), '') AS addr_key,
        nullif(lower(regexp_replace(coalesce(legal_rep, ''), '\s', '', 'g')), '') AS legal_rep,
        nullif(trim(industry), '') AS industry,
        lat_wgs, lon_wgs,
        regexp_matches(coalesce(name_core, ''), '[\x{3400}-\x{9fff}]') AS cjk
    FROM source_record
)
SELECT * EXCLUDE (cjk),
    CASE WHEN cjk THEN substr(name_core, 1, 2) ELSE split_part(name_core, ' ', 1) END
        AS name_key1,
    CASE WHEN cjk THEN substr(name_core, greatest(length(name_core) - 1, 1))
         ELSE split_part(name_core, ' ', -1) END AS name_key2,
    list_distinct(list_transform(range(1, greatest(length(name_core), 2)),
        i -> substr(name_core, i::INTEGER, 2))) AS name_grams,
    list_distinct(list_transform(range(1, greatest(length(address_norm), 2)),
        i -> substr(address_norm, i::INTEGER, 2))) AS addr_grams
FROM base
ORDER BY unique_id
"""


def input_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every loaded record as Splink input, with its bigram sets and blocking keys."""
    df = con.execute(_INPUT_SQL).df()
    df["name_grams_n"] = df["name_grams"].map(lambda g: len(g) if g is not None else 0)
    df["addr_grams_n"] = df["addr_grams"].map(lambda g: len(g) if g is not None else 0)
    df.loc[df["address_norm"].isna(), "addr_grams"] = None
    # Typed as lists of strings even when every value is NULL (a list without addresses):
    # an all-NULL object column reaches the engine as INTEGER, and Splink's list comparisons
    # then fail to bind (list_distinct(INTEGER)).
    grams = pd.ArrowDtype(pa.list_(pa.string()))
    return df.astype({"name_grams": grams, "addr_grams": grams})


def _dice_level(col: str, at_least: float, dialect: str) -> Any:
    import splink.comparison_level_library as cll

    inter = DIALECTS[dialect]["inter"].format(l=f"{col}_l", r=f"{col}_r")
    cond = f"2 * {inter} >= {at_least} * ({col}_n_l + {col}_n_r)"
    return cll.CustomLevel(cond, label_for_charts=f"{col} dice >= {at_least}")


def settings(dialect: str) -> Any:
    """The Splink settings of the registry model (untrained)."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    name = cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.NullLevel("name_core"),
            cll.ExactMatchLevel("name_norm"),
            cll.ExactMatchLevel("name_core"),
            _dice_level("name_grams", 0.8, dialect),
            _dice_level("name_grams", 0.6, dialect),
            _dice_level("name_grams", 0.4, dialect),
            cll.ElseLevel(),
        ],
    )
    uscc = cl.CustomComparison(
        output_column_name="uscc",
        comparison_levels=[
            cll.NullLevel("uscc_any"),
            cll.ExactMatchLevel("uscc_norm"),
            cll.ExactMatchLevel("uscc_body").configure(label_for_charts="same body, bad check"),
            cll.ExactMatchLevel("uscc_any").configure(label_for_charts="same malformed code"),
            # Two different valid codes are two legal entities. Left in ELSE, this was learnt
            # from the data: EM took co-located units (same address, representative, industry)
            # for matches and put m(else) near 0.17, so one plant per credit code at one
            # address scored 0.997. Its own level, m fixed (not learnt): see DIFFERENT_CODES_M.
            cll.CustomLevel(
                "uscc_norm_l <> uscc_norm_r", label_for_charts="two different valid codes"
            ).configure(m_probability=DIFFERENT_CODES_M, fix_m_probability=True),
            cll.ElseLevel(),
        ],
    )
    address = cl.CustomComparison(
        output_column_name="address",
        comparison_levels=[
            cll.NullLevel("address_norm"),
            cll.ExactMatchLevel("address_norm"),
            cll.ExactMatchLevel("addr_key"),
            _dice_level("addr_grams", 0.7, dialect),
            _dice_level("addr_grams", 0.4, dialect),
            cll.ElseLevel(),
        ],
    )
    region = cl.CustomComparison(
        output_column_name="region",
        comparison_levels=[
            cll.NullLevel("region_code"),
            cll.ExactMatchLevel("region_code"),
            cll.ExactMatchLevel("region4"),
            cll.ElseLevel(),
        ],
    )
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        probability_two_random_records_match=1e-4,
        blocking_rules_to_generate_predictions=[
            block_on("uscc_body"),
            block_on("uscc_any"),
            block_on("name_core"),
            block_on("region_code", "name_key1"),
            block_on("name_key1", "name_key2"),
            # The representative with either end of the name: catches a name whose other end
            # is misspelt or changed, with blocks as small as the name keys themselves.
            block_on("legal_rep", "name_key1"),
            block_on("legal_rep", "name_key2"),
            block_on("region4", "addr_key"),
        ],
        comparisons=[
            name,
            uscc,
            address,
            region,
            cl.ExactMatch("legal_rep"),
            cl.DistanceInKMAtThresholds("lat_wgs", "lon_wgs", [0.3, 1.0, 5.0]),
            cl.ExactMatch("industry"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


# EM sessions, each a rule and its fallbacks (the first that finds pairs is used).
_EM_SESSIONS: tuple[tuple[tuple[str, ...], ...], ...] = (
    (("uscc_body",), ("uscc_any",)),
    (("name_core",),),
    (("region_code", "name_key1"), ("name_key1", "name_key2")),
)


def _em_session(linker: Any, rule: Any, config: LinkConfig) -> bool:
    """One EM session; False (and the model as it was) when the rule finds no pairs.

    Splink 5 takes the session's comparisons out of the linker's model, and sets λ to the
    blocking-adjusted value, *before* it looks for pairs, and puts them back only when the
    session succeeds: a failed session would leave a model without its credit-code and region
    comparisons and with λ near 1 (every FEBRL pair with the same name scored 0.99). So the
    model is copied first and restored on failure.
    """
    saved = linker._settings_obj.core_model_settings.copy()
    try:
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True, max_pairs=config.em_max_pairs
        )
    except Exception as exc:  # splink raises plain exceptions for empty blocks
        linker._settings_obj.core_model_settings = saved
        log.warning("EM session skipped: %s", str(exc).split(".")[0])
        return False
    return True


def predict_pairs(
    frame: pd.DataFrame,
    *,
    engine: AnalyticsBackend | None = None,
    config: LinkConfig | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Train by EM and score candidate pairs on ``engine`` (default: DuckDB); return pairs
    with p ≥ ``review_low`` (``unique_id_l``, ``unique_id_r``, ``match_probability``) and the
    trained model."""
    from splink import Linker, block_on

    config = config or LinkConfig()
    engine = engine or duckdb_backend()
    empty = pd.DataFrame(columns=["unique_id_l", "unique_id_r", "match_probability"])
    if len(frame) < 2:
        return empty, {}
    # Splink's DuckDBAPI or SparkAPI, chosen behind the seam (store/backend.py).
    table = engine.splink_input(frame)
    linker = Linker(table, settings(engine.dialect), log_level=logging.ERROR)
    train = linker.training
    # λ from "same credit code"; any code (FEBRL's social-security id too), since a data set
    # without one valid USCC would otherwise give λ = 0 and no predictions at all.
    try:
        train.estimate_probability_two_random_records_match(
            [block_on("uscc_any")], recall=config.prior_recall
        )
    except Exception as exc:  # no pair shares a code: keep the prior of settings()
        log.warning("prior kept at its default: %s", exc)
    if not 0 < linker._settings_obj._probability_two_random_records_match < 1:
        linker._settings_obj._probability_two_random_records_match = 1e-4
    train.estimate_u_using_random_sampling(max_pairs=config.u_max_pairs, seed=config.seed)
    # Three EM sessions so each comparison is estimated with a rule that does not fix it. A
    # session whose rule finds no pairs (a list without credit codes or region codes) falls back
    # to its alternative, so no comparison is left at Splink's default m values.
    for rules in _EM_SESSIONS:
        for cols in rules:
            if _em_session(linker, block_on(*cols), config):
                break
    scored = linker.inference.predict(threshold_match_probability=config.review_low)
    pairs = scored.as_pandas_dataframe()[["unique_id_l", "unique_id_r", "match_probability"]]
    model = linker.misc.save_model_to_json()
    return pairs, model
