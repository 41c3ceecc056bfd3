"""Ingest what is waiting, in this process, the way the daemon would: the API sources' fetch,
then the landing sensor's own evaluation (one partition per new file) and one run per
partition, then the publication if its sensor asks for one. `make materialize` calls it
(`python -m assets.catch_up`) before materialising the unpartitioned assets; tests call
`catch_up()` with their own resources and an ephemeral instance.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from typing import Any

import dagster as dg

from assets.automation import new_files, publication_asset, publication_request, to_publish
from assets.ingestion import FILE_TAG, build_source_assets
from assets.partitions import partitions_name
from assets.resources import Folders, default_resources
from healthai.pipeline.spec import SourceSpec
from healthai.sources import SOURCES


@dataclass
class CaughtUp:
    """The runs made, read like one result."""

    results: list[dg.ExecuteInProcessResult] = field(default_factory=list)
    partitions: dict[str, list[str]] = field(default_factory=dict)  # source -> new keys

    @property
    def success(self) -> bool:
        return all(r.success for r in self.results)

    def get_asset_check_evaluations(self) -> list[dg.AssetCheckEvaluation]:
        return [e for r in self.results for e in r.get_asset_check_evaluations()]

    def asset_materializations_for_node(self, node: str) -> list[dg.AssetMaterialization]:
        return [
            m
            for r in self.results
            if node in r.job_def.graph.node_dict
            for m in r.asset_materializations_for_node(node)
        ]

    @property
    def all_events(self) -> list[dg.DagsterEvent]:
        return [e for r in self.results for e in r.all_events]


def in_order(names: Iterable[str]) -> list[SourceSpec]:
    """The sources, each after those it references (`SourceSpec.after`)."""
    wanted = set(names)
    graph = {n: {a for a in SOURCES[n].after if a in wanted} for n in wanted}
    order = list(TopologicalSorter(graph).static_order())
    listed = [n for n in SOURCES if n in wanted]
    return [SOURCES[n] for n in sorted(order, key=lambda n: (order.index(n), listed.index(n)))]


def catch_up(
    instance: dg.DagsterInstance,
    names: Sequence[str] = (),
    resources: dict[str, Any] | None = None,
    publish: bool = True,
    fetch: bool = True,
    after: Sequence[dg.AssetsDefinition] = (),
    after_selection: Sequence[str] | None = None,
) -> CaughtUp:
    """Fetch, ingest every new file (one partition, one run each), publish; then
    materialise `after` (unpartitioned assets, e.g. the quality ones) in one run."""
    specs = in_order(names or SOURCES)
    resources = {**default_resources(list(SOURCES.values())), **(resources or {})}
    folders: Folders = resources["folders"]
    out = CaughtUp()
    built = {s.name: build_source_assets(s) for s in specs}
    fetchers = [a for s in specs for a in built[s.name] if a.key.path[0].endswith("_fetched")]
    if fetch and fetchers:
        out.results.append(
            dg.materialize(fetchers, instance=instance, resources=resources, raise_on_error=False)
        )
    known = {s.name: set(instance.get_dynamic_partitions(partitions_name(s.name))) for s in specs}
    _, found = new_files(specs, folders, {}, known)
    for spec, sha, path in found:
        instance.add_dynamic_partitions(partitions_name(spec.name), [sha])
        out.partitions.setdefault(spec.name, []).append(sha)
        batch = [a for a in built[spec.name] if a.key.path[0] == f"{spec.name}_batch"]
        out.results.append(
            dg.materialize(
                batch,
                partition_key=sha,
                instance=instance,
                resources=resources,
                tags={FILE_TAG: path.name, "healthai/source": spec.name},
                raise_on_error=False,
            )
        )
    if publish:
        requests = list(publication_request(instance, to_publish(resources["database"])))
        if any(isinstance(r, dg.RunRequest) for r in requests):
            out.results.append(
                dg.materialize(
                    [publication_asset(specs)],
                    instance=instance,
                    resources=resources,
                    raise_on_error=False,
                )
            )
    if after:
        out.results.append(
            dg.materialize(
                list(after),
                selection=after_selection,
                instance=instance,
                resources=resources,
                raise_on_error=False,
            )
        )
    return out


def main() -> None:
    with dg.DagsterInstance.get() as instance:
        done = catch_up(instance)
    summary = {"runs": len(done.results), "success": done.success, "new_files": done.partitions}
    print(json.dumps(summary))
    if not done.success:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
