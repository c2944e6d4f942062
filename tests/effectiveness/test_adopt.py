"""Adopting recommended weights rewrites only the weight column of the listed rows of the seed."""

from __future__ import annotations

import pandas as pd
import pytest

from dagster_project.effectiveness.adopt import adopt_weights

SEED = """scorecard_id,measure,category,weight,direction,method,band_average,band_good,cap_threshold,cap_score
default,weighted_events_30d,engagement,0.60,higher_is_better,percentile,,,,
default,seat_depth,adoption,0.40,higher_is_better,bands,0.3,0.6,,
default,days_past_due,value,0.00,higher_is_worse,cap,,,30,49
renewal,seat_depth,adoption,1.00,higher_is_better,bands,0.3,0.6,,
"""


def recommended(*rows: tuple[str, str, float]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["scorecard_id", "measure", "recommended_weight"])


def test_only_the_listed_weights_change(tmp_path) -> None:
    seed = tmp_path / "scorecard_measures.csv"
    seed.write_text(SEED)
    changed = adopt_weights(
        recommended(
            ("default", "weighted_events_30d", 0.75),
            ("default", "seat_depth", 0.25),
            ("default", "days_past_due", 0.0),
        ),
        seed,
    )
    assert changed == 2
    assert seed.read_text() == (
        SEED.replace("weighted_events_30d,engagement,0.60", "weighted_events_30d,engagement,0.75").replace(
            "default,seat_depth,adoption,0.40", "default,seat_depth,adoption,0.25"
        )
    )


def test_a_recommendation_for_a_row_the_seed_lacks_is_refused_and_the_seed_kept(tmp_path) -> None:
    seed = tmp_path / "scorecard_measures.csv"
    seed.write_text(SEED)
    with pytest.raises(
        ValueError, match=r"scorecard_measures.csv: no row for \[\('renewal', 'nps_latest'\)\]"
    ):
        adopt_weights(recommended(("renewal", "nps_latest", 0.5)), seed)
    assert seed.read_text() == SEED
