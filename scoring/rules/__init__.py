"""The packaged rule files (one YAML file per decision); data only."""
