"""Backfills on Spark: years of archived notes triaged on a cluster, then brought into the log.

`partitions` is what every executor runs (the same triage as `fieldsignal import`, loaded once per
Python worker); `job` is the driver: it reads the notes into a DataFrame, writes the triaged notes
and a flat signals table, and stores the results in the workspace's log as an import would.
PySpark is imported only here, and only when a backfill runs (`pip install fieldsignal[spark]`).
"""
