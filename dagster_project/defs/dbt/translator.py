"""How dbt nodes appear in Dagster: groups from the dbt folder, kinds, descriptions from YAML."""

from collections.abc import Mapping
from typing import Any

from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

from dagster_project.defs.owners import ANALYTICS, DATA_ENGINEERING


class HealthDbtTranslator(DagsterDbtTranslator):
    """Group each model by its layer folder (staging, intermediate, marts), never by file name."""

    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_source_tests_as_checks=True))

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        """Staging belongs to whoever runs the connectors; models and seeds to the analysts."""
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props.get("resource_type") == "model" and len(fqn) > 2 and fqn[1] == "staging":
            return [DATA_ENGINEERING]
        return [ANALYTICS]

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props.get("resource_type") == "model" and len(fqn) > 2:
            return fqn[1]
        if dbt_resource_props.get("resource_type") == "seed":
            return "seeds"
        return super().get_group_name(dbt_resource_props)
