"""Customer Health Warehouse: the Dagster code location (`dagster_project.definitions`)."""

import warnings

# Backfill policies and asset owners are Dagster beta features this project relies on knowingly: no
# notice each time one is used, in `make run`, `make dev`'s code server or a test. Set here, the package
# root, so it holds before any module that uses them is imported.
warnings.filterwarnings("ignore", message=r"Parameter `(backfill_policy|owners)` of .* is currently in beta")
