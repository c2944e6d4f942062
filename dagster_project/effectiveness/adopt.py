"""Adopt the recommended weights: write them into seeds/scorecard_measures.csv, nothing else changed.

    python -m dagster_project.effectiveness.adopt            # or: make adopt-weights

reads marts.recommended_weights from the warehouse (``HEALTH_WAREHOUSE``, default
data/warehouse.duckdb) and rewrites the ``weight`` of every (scorecard, measure)
it lists; rows, columns and their order stay as they were, so the change
reviews as a small diff. The next run scores with the new weights (rebuild the
history with ``make clean-data && make run`` to rescore the past as well).
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import pandas as pd

from dagster_project.warehouse.resource import Warehouse, WarehouseBusyError

SEED = Path(__file__).resolve().parents[2] / "seeds" / "scorecard_measures.csv"


def adopt_weights(recommended: pd.DataFrame, seed: Path = SEED) -> int:
    """Set each listed measure's weight in ``seed`` to its ``recommended_weight``; returns rows changed."""
    weights = {
        (row.scorecard_id, row.measure): float(row.recommended_weight) for row in recommended.itertuples()
    }
    with seed.open(newline="") as handle:
        reader = csv.DictReader(handle)
        fields, rows = reader.fieldnames or [], list(reader)
    missing = sorted(set(weights) - {(row["scorecard_id"], row["measure"]) for row in rows})
    if missing:
        raise ValueError(
            f"{seed}: no row for {missing}; the recommendations come from another scoring set-up. "
            "Re-run the job with this seed, then adopt again."
        )
    changed = 0
    for row in rows:
        new = weights.get((row["scorecard_id"], row["measure"]))
        if new is not None and float(row["weight"]) != new:
            row["weight"] = f"{new:.2f}"
            changed += 1
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    seed.write_text(out.getvalue())
    return changed


def main() -> int:
    warehouse = Warehouse()
    try:
        if not warehouse.columns("marts.recommended_weights"):
            print(f"{warehouse.location} has no marts.recommended_weights yet: run `make run` first.")
            return 1
        recommended = warehouse.query(
            "select scorecard_id, measure, recommended_weight from marts.recommended_weights"
        )
    except (WarehouseBusyError, ConnectionError) as error:
        print(f"cannot read marts.recommended_weights: {error}")
        return 1
    changed = adopt_weights(recommended)
    print(f"{SEED}: {changed} weights changed. Review with `git diff seeds/`, then `make run`.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
