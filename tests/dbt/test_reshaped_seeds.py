"""A seed whose CSV gained or lost columns is loaded anew, not by position into its old columns; a seed
whose file did not change since it was loaded is not loaded again."""

from __future__ import annotations

import dagster as dg
import pandas as pd

from dagster_project.defs.dbt.assets import (
    _drop_reshaped_seeds,
    _loaded_seeds_file,
    _record_loaded_seeds,
    _unchanged_seeds,
    seed_only_model_fingerprint,
    seed_only_models,
)
from dagster_project.warehouse.resource import Warehouse
from tests.conftest import ROOT


def test_a_seed_table_with_other_columns_than_its_csv_is_dropped_and_the_others_kept(tmp_path):
    warehouse = Warehouse(path=str(tmp_path / "w.duckdb"))
    # priority_tiers as an older version loaded it (health_band, recommended_action); the settings as now.
    old_tiers = pd.DataFrame(
        {
            "priority_tier": ["P1"],
            "health_band": ["low"],
            "value_band": ["high"],
            "tier_name": ["save now"],
            "recommended_action": ["call"],
        }
    )
    warehouse.write_table("seeds.priority_tiers", old_tiers)
    settings = pd.read_csv(ROOT / "seeds" / "worklist_settings.csv", dtype=str)
    warehouse.write_table("seeds.worklist_settings", settings)
    _drop_reshaped_seeds(dg.build_asset_context(), warehouse)
    assert warehouse.columns("seeds.priority_tiers") == []
    assert [name for name, _ in warehouse.columns("seeds.worklist_settings")] == list(settings.columns)


def test_a_seed_is_kept_only_while_its_file_is_what_was_loaded_and_its_table_is_there(tmp_path):
    warehouse = Warehouse(path=str(tmp_path / "w.duckdb"))
    warehouse.write_table("seeds.grade_scale", pd.read_csv(ROOT / "seeds" / "grade_scale.csv"))
    warehouse.write_table("seeds.segments", pd.read_csv(ROOT / "seeds" / "segments.csv"))
    record = _loaded_seeds_file(warehouse)
    record.unlink(missing_ok=True)
    # Nothing recorded for this warehouse yet: every seed is loaded.
    assert _unchanged_seeds(warehouse, {"grade_scale": "a", "segments": "b"}) == []
    _record_loaded_seeds(warehouse, {"grade_scale": "a", "segments": "b", "event_weights": "c"})
    # grade_scale as loaded; segments' file changed since; event_weights' table is gone.
    now = {"grade_scale": "a", "segments": "b2", "event_weights": "c"}
    assert _unchanged_seeds(warehouse, now) == ["grade_scale"]
    record.unlink()


def test_the_models_of_seeds_alone_are_the_scoring_version_and_the_currency_rates():
    assert sorted(model["name"] for model in seed_only_models()) == [
        "int_currency_rates",
        "int_scoring_config_version",
    ]


def test_a_model_of_seeds_alone_is_rebuilt_when_a_seed_its_code_or_the_project_s_vars_change():
    model = next(m for m in seed_only_models() if m["name"] == "int_currency_rates")
    project = (ROOT / "dbt" / "dbt_project.yml").read_bytes()
    built = seed_only_model_fingerprint(model, ["rates-v1"], project)
    assert seed_only_model_fingerprint(model, ["rates-v1"], project) == built
    assert seed_only_model_fingerprint(model, ["rates-v2"], project) != built
    edited = {**model, "checksum": {"name": "sha256", "checksum": "another"}}
    assert seed_only_model_fingerprint(edited, ["rates-v1"], project) != built
    other_currency = project.replace(b"reporting_currency:", b"reporting_currency: eur #")
    assert other_currency != project
    assert seed_only_model_fingerprint(model, ["rates-v1"], other_currency) != built
