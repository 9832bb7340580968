"""The OpenLineage receiver: raw events stored once, then mapped onto the catalog by a job."""
