"""The commune registry: Vietnam's administrative units (`units`), imported from `vietnamadminunits`."""
