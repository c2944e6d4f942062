"""What each account needs and in what order: ProfitWell signals and the prioritised worklist.

Pure functions over frames (and one SQL query for the signals, so they run
set-wise inside the warehouse on any amount of history); the Dagster assets in
`dagster_project.defs.worklist` only read and write tables around them.
"""
