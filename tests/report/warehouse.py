"""A hand-made warehouse for the report: the marts tables it reads, a few rows each, values known.

Expected values, worked out by hand:

- customer_health (2026-06-30): smb has grades A, A, C, F; enterprise has B, D.
- customer_health_history: 2026-06-29 scores 80, 60, 40, 20 (average 50; green 1/4, yellow 1/4,
  red 2/4); 2026-06-30 scores 90, 70, 50, 30 (average 60; green 2/4, yellow 1/4, red 1/4).
- score_effectiveness, all accounts by grade: churn rates A 2%, B 5%, C 10%, D 20%, F 40% of
  100, 80, 50, 40, 30 snapshots; base rate 31 / 300. Colour, overall and per-segment rows are decoys.
- churn_backtest: churned accounts have likelihoods 0.9 and 0.4, retained ones 0.6 and 0.1: of the
  4 churned-retained pairs, 3 are ranked right (0.4 < 0.6 is not), AUC 3/4. Health scores 20 and 40
  for the churned, 60 and 80 for the retained: every pair ranked right by the low score, AUC 1.
- prioritized_accounts: 30 accounts; ranks 1-5 P1 at 100 revenue at risk each, 6-10 P2 at 10, 11-20
  P3 at 1, 21-30 P4 at 0: P1 500, P2 50, P3 10, P4 0. Rank 1's name and play reason hold HTML; ranks
  2 and 3 are unassigned (rank 3 is P1): the unassigned queue holds 2 accounts, 2 of them P1.
- worklist_effectiveness, all accounts: expected_loss (the default) catches 40%, 60%, 80% and 95% of the
  churned MRR in the top 5%, 10%, 20% and 50%; random 5%, 10%, 20%, 50%. A segment's rows are decoys.
- mrr_movements: 2026-05 new +100 and +50 (150); 2026-06 expansion +20, churn -50, reactivation +30,
  contraction -10 (net -10). The 'unchanged' rows add nothing and are left out.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

AS_OF = date(2026, 6, 30)
EXPECTED_CHURN_RATES = {"A": 0.02, "B": 0.05, "C": 0.10, "D": 0.20, "F": 0.40}
EXPECTED_AUC = {"churn likelihood": 0.75, "health score (low = risk)": 1.0}
EXPECTED_REVENUE_AT_RISK = {"P1": 500.0, "P2": 50.0, "P3": 10.0, "P4": 0.0}
HOSTILE_NAME = "Smith & <Sons>"
HOSTILE_REASONS = "<script>alert('owned')</script> health 12 & falling"
EXPECTED_CAPTURE = {"expected_loss": [0.4, 0.6, 0.8, 0.95], "random": [0.05, 0.1, 0.2, 0.5]}

TABLES = {
    "customer_health": """account_id varchar, account_name varchar, segment varchar, as_of_date date,
        health_score decimal(5,2), grade varchar, color varchar, mrr decimal(18,2)""",
    "customer_health_history": """account_id varchar, as_of_date date, segment varchar,
        health_score decimal(5,2), grade varchar, color varchar, mrr decimal(18,2)""",
    "score_effectiveness": """segment varchar, dimension varchar, dimension_value varchar,
        snapshot_dates bigint, account_snapshots bigint, churned bigint, churn_rate double,
        base_rate double, lift double, share_of_churners double""",
    "churn_backtest": """account_id varchar, as_of_date date, segment varchar, health_score double,
        churn_likelihood double, churned_within_horizon integer, model_version varchar""",
    "prioritized_accounts": """as_of_date date, priority_rank bigint, queue varchar, owner_rank bigint,
        account_id varchar, account_name varchar, owner varchar, segment varchar, play varchar,
        play_kind varchar, play_reason varchar, recommended_action varchar, reasons varchar, signal varchar,
        grade varchar, health_score double, churn_likelihood double, risk_horizon_days bigint,
        days_to_renewal bigint, lifetime_value double, expected_future_value double, mrr double,
        revenue_at_risk double, priority_score double, priority_tier varchar, tier_name varchar""",
    "worklist_effectiveness": """method varchar, is_default boolean, segment varchar, list_share double,
        churned_mrr_share double, churner_share double, snapshots bigint, account_snapshots bigint,
        churners bigint, churned_mrr double""",
    "mrr_movements": """account_id varchar, month date, mrr decimal(18,2), previous_mrr decimal(18,2),
        mrr_change decimal(18,2), movement varchar""",
}

CUSTOMER_HEALTH = [
    ("a1", "Acme", "smb", AS_OF, 90, "A", "green", 100),
    ("a2", "Birch", "smb", AS_OF, 82, "A", "green", 50),
    ("a3", "Cedar", "smb", AS_OF, 55, "C", "yellow", 40),
    ("a4", "Dune", "smb", AS_OF, 20, "F", "red", 30),
    ("a5", "Elm", "enterprise", AS_OF, 70, "B", "green", 900),
    ("a6", "Fjord", "enterprise", AS_OF, 40, "D", "red", 800),
]

HISTORY = [
    ("a1", date(2026, 6, 29), "smb", 80, "A", "green", 100),
    ("a2", date(2026, 6, 29), "smb", 60, "C", "yellow", 50),
    ("a3", date(2026, 6, 29), "smb", 40, "D", "red", 40),
    ("a4", date(2026, 6, 29), "smb", 20, "F", "red", 30),
    ("a1", AS_OF, "smb", 90, "A", "green", 100),
    ("a2", AS_OF, "smb", 70, "B", "green", 50),
    ("a3", AS_OF, "smb", 50, "C", "yellow", 40),
    ("a4", AS_OF, "smb", 30, "F", "red", 30),
]

_SNAPSHOTS = {"A": (100, 2), "B": (80, 4), "C": (50, 5), "D": (40, 8), "F": (30, 12)}
_BASE_RATE = 31 / 300
EFFECTIVENESS = [
    ("all", "grade", grade, 6, n, churned, churned / n, _BASE_RATE, churned / n / _BASE_RATE, churned / 31)
    for grade, (n, churned) in _SNAPSHOTS.items()
] + [
    # Decoys the churn-by-grade chart must not show: other dimensions and one segment's grades.
    ("all", "color", "red", 6, 70, 20, 20 / 70, _BASE_RATE, 2.77, 20 / 31),
    ("all", "overall", "all", 6, 300, 31, _BASE_RATE, _BASE_RATE, 1.0, 1.0),
    ("smb", "grade", "A", 6, 10, 9, 0.9, 0.5, 1.8, 0.5),
]

BACKTEST = [
    ("a1", date(2026, 3, 1), "smb", 20.0, 0.9, 1, "v1"),
    ("a2", date(2026, 3, 1), "smb", 40.0, 0.4, 1, "v1"),
    ("a3", date(2026, 3, 1), "smb", 60.0, 0.6, 0, "v1"),
    ("a4", date(2026, 3, 1), "smb", 80.0, 0.1, 0, "v1"),
]


def _tier(rank: int) -> tuple[str, float]:
    if rank <= 5:
        return "P1", 100.0
    if rank <= 10:
        return "P2", 10.0
    if rank <= 20:
        return "P3", 1.0
    return "P4", 0.0


def prioritized_accounts() -> list[tuple]:
    """30 accounts in rank order; rank 1's name and play reason carry HTML, ranks 2 and 3 have no owner."""
    rows = []
    for rank in range(1, 31):
        tier, at_risk = _tier(rank)
        name = HOSTILE_NAME if rank == 1 else f"Account {rank:02d}"
        reason = HOSTILE_REASONS if rank == 1 else f"reason of account {rank}"
        owner = None if rank in (2, 3) else "ana"
        kind = "save" if tier in ("P1", "P3") else "grow"
        rows.append(
            (AS_OF, rank, owner or "unassigned", rank, f"p{rank:02d}", name, owner, "smb", f"play {tier}",
             kind, reason, f"action {tier}", f"{reason}; grade D", "RISK", "D", 40.0, 0.25, 90, 30, 1000.0,
             500.0, 100.0, at_risk, 600.0, tier, f"tier {tier}")
        )  # fmt: skip
    return rows


def worklist_effectiveness() -> list[tuple]:
    rows = [
        (method, method == "expected_loss", "all", share, caught, None, 4, 400, 20, 2000.0)
        for method, shares in EXPECTED_CAPTURE.items()
        for share, caught in zip((0.05, 0.1, 0.2, 0.5), shares, strict=True)
    ]
    return rows + [("expected_loss", True, "smb", 0.2, 0.01, None, 4, 100, 5, 500.0)]  # a decoy


MRR_MOVEMENTS = [
    ("a1", date(2026, 5, 1), 100, 0, 100, "new"),
    ("a2", date(2026, 5, 1), 50, 0, 50, "new"),
    ("a3", date(2026, 5, 1), 40, 40, 0, "unchanged"),
    ("a1", date(2026, 6, 1), 120, 100, 20, "expansion"),
    ("a2", date(2026, 6, 1), 0, 50, -50, "churn"),
    ("a4", date(2026, 6, 1), 30, 0, 30, "reactivation"),
    ("a3", date(2026, 6, 1), 30, 40, -10, "contraction"),
    ("a5", date(2026, 6, 1), 900, 900, 0, "unchanged"),
]

ROWS = {
    "customer_health": CUSTOMER_HEALTH,
    "customer_health_history": HISTORY,
    "score_effectiveness": EFFECTIVENESS,
    "churn_backtest": BACKTEST,
    "prioritized_accounts": prioritized_accounts(),
    "mrr_movements": MRR_MOVEMENTS,
    "worklist_effectiveness": worklist_effectiveness(),
}


def make_report_warehouse(path: Path, empty: bool = False) -> Path:
    """Create the marts tables the report reads in a new DuckDB file; with ``empty``, no rows."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        for table, columns in TABLES.items():
            con.execute(f"create table marts.{table} ({columns})")
            if not empty:
                placeholders = ", ".join("?" * len(ROWS[table][0]))
                con.executemany(f"insert into marts.{table} values ({placeholders})", ROWS[table])
    return path
