"""The edge where results become files: column definitions with units
(:mod:`.columns`), Arrow tables from a model's arrays (:mod:`.tables`) and
atomic writing of Parquet + ``run.json`` (:mod:`.writer`)."""
