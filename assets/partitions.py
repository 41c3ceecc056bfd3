"""One dynamic partition per landed file of a source, keyed by the file's SHA-256.

The landing sensor (assets/automation.py) adds a partition for each new content it finds in a
source's folders and requests one run of the source's job for it; `<source>_batch` reads the
file of its partition key. The same bytes dropped again under another name are the same
partition: nothing is ingested twice.
"""

from functools import cache

import dagster as dg

from healthai.pipeline.spec import SourceSpec


def partitions_name(source: str) -> str:
    return f"{source}_files"


@cache
def file_partitions(source: str) -> dg.DynamicPartitionsDefinition:
    """The source's files, one partition each (key: the SHA-256 of its bytes)."""
    return dg.DynamicPartitionsDefinition(name=partitions_name(source))


def for_spec(spec: SourceSpec) -> dg.DynamicPartitionsDefinition:
    return file_partitions(spec.name)
