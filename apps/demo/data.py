"""The demo organisation: teams, people and datasets that `seed_demo` builds.

Plain data, no ORM, so `make run` can print the sign-ins and the README can
document them. Every demo account uses one local-only password.
"""

from __future__ import annotations

from typing import NamedTuple

DEMO_PASSWORD = "atrium-demo"  # noqa: S105 -- documented, local-only demo password
ADMIN_USERNAME = "admin"


class DemoTeam(NamedTuple):
    name: str
    kind: str
    description: str


class DemoPerson(NamedTuple):
    username: str
    first_name: str
    last_name: str
    memberships: tuple[tuple[str, str], ...]  # (team name, role)


class DemoJob(NamedTuple):
    kind: str
    requester: str
    team: str
    status: str
    hours_ago: int
    params: dict
    result: dict | None
    error: str
    message: str


class DemoDataset(NamedTuple):
    team: str
    name: str
    visibility: str
    domain: str
    description: str


TEAMS: tuple[DemoTeam, ...] = (
    DemoTeam(
        "Fraud Analytics",
        "data_science",
        "Detects card and account fraud. Owns the **fraud scoring** models and their training data.",
    ),
    DemoTeam(
        "Data Platform",
        "data_engineering",
        "Runs ingestion, the warehouse and shared reference data for every team.",
    ),
    DemoTeam(
        "ML Engineering",
        "ml_engineering",
        "Takes models to production: packaging, releases, serving and monitoring.",
    ),
    DemoTeam(
        "IT Operations",
        "it_operations",
        "Keeps production healthy: on-call, incidents, capacity and SLOs.",
    ),
    DemoTeam(
        "Risk & Finance",
        "business",
        "Uses model outputs for credit and loss decisions; owns the business KPIs.",
    ),
)

PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson("alice", "Alice", "Martin", (("Fraud Analytics", "data_scientist"),)),
    DemoPerson("olivia", "Olivia", "Nowak", (("Fraud Analytics", "data_officer"),)),
    DemoPerson("ann", "Ann", "Keller", (("Fraud Analytics", "analyst"),)),
    DemoPerson("bob", "Bob", "Dubois", (("Data Platform", "data_engineer"),)),
    DemoPerson("diana", "Diana", "Rossi", (("Data Platform", "data_officer"),)),
    DemoPerson(
        "max",
        "Max",
        "Schmidt",
        (("ML Engineering", "ml_engineer"), ("Fraud Analytics", "ml_engineer")),
    ),
    DemoPerson("nora", "Nora", "Jensen", (("ML Engineering", "data_officer"),)),
    DemoPerson(
        "ivan", "Ivan", "Petrov", (("IT Operations", "it_operations"), ("ML Engineering", "it_operations"))
    ),
    DemoPerson("irene", "Irene", "Costa", (("IT Operations", "data_officer"),)),
    DemoPerson("rita", "Rita", "Okafor", (("Risk & Finance", "analyst"),)),
    DemoPerson("frank", "Frank", "Meyer", (("Risk & Finance", "data_officer"),)),
)

DATASETS: tuple[DemoDataset, ...] = (
    DemoDataset(
        "Fraud Analytics",
        "Card transactions",
        "private",
        "payments",
        "Every card authorisation of the last 18 months, one row per transaction.\n\n"
        "- **Grain:** one authorisation\n- **Label:** `is_fraud`, confirmed by chargebacks within 90 days\n"
        "- Contains card tokens, never card numbers.",
    ),
    DemoDataset(
        "Fraud Analytics",
        "Chargeback labels",
        "private",
        "payments",
        "Confirmed fraud cases from the disputes system, joined to `Card transactions` by "
        "authorisation id. Refreshed nightly.",
    ),
    DemoDataset(
        "Fraud Analytics",
        "Breast cancer Wisconsin",
        "internal",
        "benchmarks",
        "scikit-learn's bundled *Breast cancer Wisconsin (diagnostic)* data set: 569 samples, "
        "30 numeric features, a binary target. Used to test classifiers end to end.",
    ),
    DemoDataset(
        "Data Platform",
        "Iris",
        "internal",
        "reference",
        "Fisher's *Iris* data set as bundled with scikit-learn: 150 flowers, 4 measurements, "
        "3 species. The smallest dataset to try the catalog on.",
    ),
    DemoDataset(
        "Data Platform",
        "Wine",
        "internal",
        "reference",
        "scikit-learn's bundled *Wine recognition* data set: 178 wines, 13 chemical "
        "measurements, 3 cultivars.",
    ),
    DemoDataset(
        "Data Platform",
        "Customer accounts",
        "private",
        "customers",
        "Master data of customer accounts (pseudonymised). **Personal data**: request access "
        "from the Data Platform data officer.",
    ),
    DemoDataset(
        "Data Platform",
        "Merchant directory",
        "internal",
        "payments",
        "Merchants with category codes (MCC), country and risk tier. Shared reference data.",
    ),
    DemoDataset(
        "ML Engineering",
        "Digits",
        "internal",
        "benchmarks",
        "scikit-learn's bundled *optical recognition of handwritten digits*: 1,797 8×8 images. "
        "Used for serving load tests.",
    ),
    DemoDataset(
        "ML Engineering",
        "Scoring requests",
        "private",
        "serving",
        "Inputs and outputs logged by the fraud scoring endpoint, with latency and exceptions.",
    ),
    DemoDataset(
        "IT Operations",
        "Service incidents",
        "private",
        "operations",
        "Incidents from the on-call tool: service, severity, time to acknowledge, time to resolve.",
    ),
    DemoDataset(
        "IT Operations",
        "Linnerud",
        "internal",
        "benchmarks",
        "scikit-learn's bundled *Linnerud* data set: 20 athletes, 3 exercises, 3 physiological "
        "measurements. A tiny multi-output regression example.",
    ),
    DemoDataset(
        "Risk & Finance",
        "Diabetes",
        "internal",
        "benchmarks",
        "scikit-learn's bundled *Diabetes* data set: 442 patients, 10 baseline variables, a "
        "disease progression score one year later.",
    ),
    DemoDataset(
        "Risk & Finance",
        "Monthly fraud losses",
        "private",
        "finance",
        "Fraud write-offs by month and product, reconciled with the general ledger.",
    ),
)

# (owning team, dataset name, team granted view): cross-team sharing through guardian.
GRANTS: tuple[tuple[str, str, str], ...] = (("Fraud Analytics", "Card transactions", "Risk & Finance"),)

# Finished runs of the jobs app's diagnostic kinds (skipped when a kind is not registered).
DEMO_JOBS: tuple[DemoJob, ...] = (
    DemoJob(
        "jobs.demo_countdown", "alice", "Fraud Analytics", "succeeded", 26,
        {"seconds": 5}, {"seconds": 5, "steps": 20, "attempt": 1, "completions": 1}, "", "Counted down",
    ),
    DemoJob(
        "jobs.demo_countdown", "bob", "Data Platform", "succeeded", 3,
        {"seconds": 12}, {"seconds": 12, "steps": 48, "attempt": 1, "completions": 1}, "", "Counted down",
    ),
    DemoJob(
        "jobs.demo_failure", "bob", "Data Platform", "failed", 2,
        {"message": "The nightly export found no new files."}, None,
        "The nightly export found no new files.", "About to fail",
    ),
)  # fmt: skip
