"""Skip work whose inputs did not change, with Dagster's data versions.

A table asset that changed no row keeps its previous data version (`kept_or_new_version`), so a rerun with
nothing new leaves its data version as it was. Dagster records, on every materialization, the data versions of
the inputs it read (tags `dagster/input_data_version/<key>`); `unchanged_inputs` compares them with the inputs'
current data versions. An asset whose inputs are all as they were when it last materialized does nothing: it
records an observation saying so (`skipped`, `reason`: the UI's Events, `medallion pipeline`'s Skipped section)
and no materialization, so Dagster skips the checks and assets that depend on it. Nothing is sent to the
warehouse to decide this: the Dagster instance holds every fact used.

A skipped step makes Dagster skip what depends on it in the run, so a step skips only when what it would skip is
settled (`settled_downstream`): each of those assets has a materialization that read the current data version of
everything it depends on, or recorded a skip of its own (the model not retrained) after that version. After a
failed or killed run, or a run of part of the graph, what was left behind is not settled, so the next run does not
skip in front of it and nothing stays behind a skip.

Silver, the listing history and the warehouse schema have data versions derived from the warehouse itself
(lib/unchanged_state.py: their positions, the rendered DDL) and confirm with one read before they skip writes.
"""

from __future__ import annotations

import dagster as dg

DATA_VERSION_TAG = "dagster/data_version"
INPUT_VERSION_TAG = "dagster/input_data_version/"


def latest_data_version(instance: dg.DagsterInstance, key: dg.AssetKey) -> str | None:
    event = instance.get_latest_materialization_event(key)
    if event is None or event.asset_materialization is None:
        return None
    return (event.asset_materialization.tags or {}).get(DATA_VERSION_TAG)


def kept_or_new_version(context: dg.AssetExecutionContext, key: str, changed: bool) -> dg.DataVersion:
    """The asset's previous data version when this materialization changed no row, else one naming this run."""
    previous = latest_data_version(context.instance, dg.AssetKey(key))
    if previous and not changed:
        return dg.DataVersion(previous)
    return dg.DataVersion(f"run-{context.run.run_id}")


def unchanged_inputs(context: dg.AssetExecutionContext, key: str | None = None) -> str | None:
    """Why `key` (the step's asset) need not run: every upstream asset's data version equals the one its last
    materialization read. None when it must run (never materialized, an input changed or has no version)."""
    asset_key = dg.AssetKey(key) if key else context.asset_key
    event = context.instance.get_latest_materialization_event(asset_key)
    if event is None or event.asset_materialization is None:
        return None
    tags = event.asset_materialization.tags or {}
    upstream = sorted(context.assets_def.asset_deps[asset_key], key=lambda k: k.to_user_string())
    if not upstream:
        return None
    for dep in upstream:
        read = tags.get(INPUT_VERSION_TAG + dep.to_user_string())
        if read is None or read != latest_data_version(context.instance, dep):
            return None
    if settled_downstream(context, asset_key) is not None:
        return None
    names = ", ".join(d.to_user_string() for d in upstream)
    return f"unchanged: {names} did not change since its last materialization"


def _downstream(context: dg.AssetExecutionContext, key: dg.AssetKey) -> set[dg.AssetKey]:
    """The assets of this run's job below `key`, not produced by this step."""
    layer = context.job_def.asset_layer
    in_job, own = layer.selected_asset_keys, set(context.assets_def.keys)
    found: set[dg.AssetKey] = set()
    todo = [key]
    while todo:
        for child in layer.get(todo.pop()).child_keys:
            if child in in_job and child not in own and child not in found:
                found.add(child)
                todo.append(child)
    return found


def _skipped_since(instance: dg.DagsterInstance, child: dg.AssetKey, parent: dg.AssetKey) -> bool:
    """Whether `child` recorded a skip (its own policy, e.g. the model not retrained) after `parent`'s latest
    materialization: it saw the parent's current version and chose to keep what it has."""
    skipped = instance.fetch_observations(child, limit=1).records
    latest = instance.fetch_materializations(parent, limit=1).records
    if not skipped or not latest or skipped[0].asset_observation is None:
        return False
    metadata = skipped[0].asset_observation.metadata or {}
    return "skipped" in metadata and skipped[0].storage_id > latest[0].storage_id


def settled_downstream(context: dg.AssetExecutionContext, key: dg.AssetKey) -> str | None:
    """None when every asset this step's skip would skip has already seen what it depends on: its latest
    materialization read each upstream asset's current data version, or it recorded a skip of its own after
    that version was materialized. Else why not (never materialized, or an upstream asset changed since, as after
    a run killed half-way or a run of only part of the graph): then the step must not skip, so that what follows
    runs. Partitioned assets follow their own partitions (the pulse's event days) and are not waited for."""
    layer, instance = context.job_def.asset_layer, context.instance
    versions: dict[dg.AssetKey, str | None] = {}  # each upstream asset's current version, read once
    for child in sorted(_downstream(context, key), key=lambda k: k.to_user_string()):
        node = layer.get(child)
        if node.is_partitioned:
            continue
        event = instance.get_latest_materialization_event(child)
        if event is None or event.asset_materialization is None:
            return f"{child.to_user_string()} was never materialized"
        tags = event.asset_materialization.tags or {}
        for parent in sorted(node.parent_keys, key=lambda k: k.to_user_string()):
            if parent not in versions:
                versions[parent] = latest_data_version(instance, parent)
            current = versions[parent]
            if current is None or tags.get(INPUT_VERSION_TAG + parent.to_user_string()) == current:
                continue
            if not _skipped_since(instance, child, parent):
                return f"{child.to_user_string()} has not seen the latest {parent.to_user_string()}"
    return None


def caught_up_skip(context: dg.AssetExecutionContext, key: str, version: str, reason: str) -> tuple[bool, str]:
    """For a layer whose warehouse state is caught up with its upstream (`version`: its positions): whether it
    may skip (the instance knows this version and what follows has seen it), and the reason to record. When it may
    not, it materializes from reads only, so what reads it follows."""
    if version != recorded_version(context, key):
        return False, reason  # a new instance, or a run that died after its commit
    waiting = settled_downstream(context, dg.AssetKey(key))
    if waiting is None:
        return True, reason
    return False, f"{reason}; materialized without writes so that what follows runs ({waiting})"


def recorded_version(context: dg.AssetExecutionContext, key: str) -> str | None:
    """The data version of `key`'s latest materialization."""
    return latest_data_version(context.instance, dg.AssetKey(key))


def skipped_unchanged(key: str, reason: str) -> dg.AssetObservation:
    return dg.AssetObservation(
        asset_key=key,
        description=f"skipped: {reason}",
        metadata={"skipped": dg.MetadataValue.bool(True), "reason": dg.MetadataValue.text(reason)},
    )


def retrain_not_due(context: dg.AssetExecutionContext, gold_key: str, change_share: float) -> str | None:
    """The retraining policy: retrain_job (weekly_retrain_schedule, or launched by a person) always trains; any
    other run trains only when there is no model yet or gold changed by more than `change_share` of its rows
    since the last training (the sum of rows inserted, updated and deleted its materializations recorded)."""
    if context.job_name == "retrain_job":
        return None
    trained = context.instance.fetch_materializations(dg.AssetKey("price_model"), limit=1).records
    if not trained:
        return None
    last = trained[0]
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(gold_key), after_storage_id=last.storage_id), limit=10_000
    ).records
    changed, rows = 0, None
    for record in records:  # newest first
        metadata = record.asset_materialization.metadata if record.asset_materialization else {}
        changed += sum(
            int(getattr(metadata.get(f"rows_{k}"), "value", 0) or 0) for k in ("inserted", "updated", "deleted")
        )
        if rows is None and "dagster/row_count" in metadata:
            rows = int(metadata["dagster/row_count"].value)
    if rows is None:
        return f"not retrained: {gold_key} did not change since the last training" if not records else None
    if changed > change_share * max(rows, 1):
        return None
    return (
        f"not retrained: {gold_key} changed {changed} of {rows} rows since the last training, not more than "
        f"{change_share:.0%} (MEDALLION_RETRAIN_CHANGE_SHARE); retrain_job (weekly, or on demand) trains regardless"
    )
