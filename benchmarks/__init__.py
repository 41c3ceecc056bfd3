"""`python -m benchmarks --scale N` (`make bench SCALE=N`): the platform measured at scale.

One run, side by side: ingestion of a sim_biometrics file of N rows by PostgreSQL's own COPY
(the floor), by `pandas.read_csv` + `DataFrame.to_sql` (the usual way) and by our pipeline
(the real Dagster assets, landing zone to published rows); the incremental load of 1 % new
rows; the REST API under concurrent clients; the server time of every web page. Everything
runs against a scratch PostgreSQL database the harness creates and drops (`bench_healthai`)
and a temporary folder for the landing zone and var/. The results go to
`benchmarks/results/scale-N.json` and their tables into `docs/performance.md`.
"""
