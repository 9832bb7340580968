"""The OpenLineage receiver: raw events stored once, then mapped onto datasets, versions and edges by a job."""
