"""Demo glossary, tags and one pending access request: the catalog's shared vocabulary.

Idempotent: terms, tags and links are added only when missing; the access request
(bob of Data Platform asking for Fraud Analytics' private card transactions) is
created once and left alone after that (it may have been decided in the meantime).
"""

from __future__ import annotations

from collections import Counter

from django.contrib.auth import get_user_model

from apps.catalog.models import AccessRequest, Column, Dataset, GlossaryTerm
from apps.catalog.services.access import access_request_create
from apps.catalog.services.glossary import dataset_tags_set, glossary_term_create
from apps.core.history import acting_user

# (team, name, definition, synonyms, visibility, datasets using it, column names meaning it)
TERMS = (
    ("Data Platform", "Customer",
     "A person or company holding at least one **active account**. Prospects and closed accounts are not "
     "customers.", ["client", "account holder"], "internal", ["Customer accounts"], ["customer_id"]),
    ("Fraud Analytics", "Transaction",
     "One card **authorisation** request, approved or declined. Refunds and reversals are separate "
     "transactions.", ["authorisation", "payment"], "internal",
     ["Card transactions", "Cleaned card transactions"], ["transaction_id", "authorisation_id"]),
    ("Fraud Analytics", "Fraud label",
     "`is_fraud = 1` when a transaction is confirmed fraudulent by a chargeback with a fraud reason code "
     "within **90 days**; otherwise 0.", ["is_fraud", "target"], "internal",
     ["Card transactions", "Chargeback labels", "Fraud features"], ["is_fraud", "label"]),
    ("Fraud Analytics", "Chargeback",
     "A disputed card payment reversed by the issuer. Only fraud reason codes feed the fraud label.",
     ["dispute"], "internal", ["Chargeback labels"], ["chargeback_id"]),
    ("Fraud Analytics", "Card token",
     "A stable pseudonym for a card number; never the number itself. **Personal data.**", ["PAN token"],
     "internal", ["Card transactions"], ["card_token", "card_hash"]),
    ("Fraud Analytics", "Mule account",
     "An account used to move fraud proceeds. Working definition, still under review with Legal.",
     ["money mule"], "private", [], []),
    ("Data Platform", "Merchant",
     "A business accepting card payments, identified by its acquirer merchant id.", ["acceptor"], "internal",
     ["Merchant directory"], ["merchant_id"]),
    ("Data Platform", "Merchant category code",
     "The four-digit ISO 18245 code classifying a merchant's business (MCC).", ["MCC"], "internal",
     ["Merchant directory"], ["mcc"]),
    ("Risk & Finance", "Churn",
     "A customer with no transaction for **90 consecutive days** after at least one in the prior year.",
     ["attrition"], "internal", [], ["churned"]),
    ("Risk & Finance", "Fraud loss",
     "The amount written off because of confirmed fraud, net of recoveries, booked in the month of "
     "write-off.",
     ["write-off"], "internal", ["Monthly fraud losses"], ["fraud_loss_eur"]),
    ("ML Engineering", "Prediction latency",
     "Time from the scoring request reaching the endpoint to the response leaving it, in milliseconds (p50, "
     "p95, p99).", ["scoring latency"], "internal", ["Scoring requests"], ["latency_ms"]),
)  # fmt: skip

RELATED = (
    ("Transaction", "Fraud label"),
    ("Fraud label", "Chargeback"),
    ("Customer", "Churn"),
    ("Merchant", "Merchant category code"),
    ("Fraud loss", "Chargeback"),
)

TAGS = {
    "Card transactions": ["payments", "pii", "gold"],
    "Chargeback labels": ["payments", "labels"],
    "Customer accounts": ["pii", "master-data"],
    "Merchant directory": ["payments", "reference"],
    "Monthly fraud losses": ["finance"],
    "Iris": ["scikit-learn", "benchmark"],
    "Wine": ["scikit-learn", "benchmark"],
    "Digits": ["scikit-learn", "benchmark"],
    "Diabetes": ["scikit-learn", "benchmark"],
    "Linnerud": ["scikit-learn", "benchmark"],
}

ACCESS_REQUEST = {
    "requester": "bob",
    "dataset": ("Fraud Analytics", "Card transactions"),
    "purpose": "Reconcile card authorisation counts with the nightly ingestion load, to find where rows go "
    "missing between the switch export and the warehouse.",
    "columns": ["transaction_id", "authorisation_id", "amount", "created_at"],
    "duration_days": 14,
}


def demo_glossary_ensure(*, teams: dict, by) -> dict[str, int]:
    """Terms, their links to demo datasets and columns, tags, and one pending access request."""
    with acting_user(by):
        return _glossary_ensure(teams=teams, by=by)


def _glossary_ensure(*, teams: dict, by) -> dict[str, int]:
    created: Counter[str] = Counter()
    datasets = {(d.team_id, d.name): d for d in Dataset.objects.filter(team__in=teams.values())}
    by_name = {name: d for (_, name), d in datasets.items()}
    terms: dict[str, GlossaryTerm] = {}
    for team_name, name, definition, synonyms, visibility, dataset_names, column_names in TERMS:
        team = teams.get(team_name)
        if team is None:
            continue
        term = GlossaryTerm.objects.filter(team=team, name=name).first()
        if term is None:
            term = glossary_term_create(
                team=team, by=by, name=name, definition=definition, synonyms=synonyms, visibility=visibility
            )
            created["glossary terms"] += 1
        terms[name] = term
        for dataset_name in dataset_names:
            dataset = by_name.get(dataset_name)
            if dataset is not None and not dataset.terms.filter(pk=term.pk).exists():
                dataset.terms.add(term)
                created["term links"] += 1
        linkable = Column.objects.filter(
            dataset__in=by_name.values(), name__in=column_names, term__isnull=True
        )
        for column in linkable:
            column.term = term
            column.save(update_fields=["term"])
            created["term links"] += 1
    for first, second in RELATED:
        if (
            first in terms
            and second in terms
            and not terms[first].related.filter(pk=terms[second].pk).exists()
        ):
            terms[first].related.add(terms[second])
    for dataset_name, names in TAGS.items():
        dataset = by_name.get(dataset_name)
        if dataset is None:
            continue
        current = set(dataset.tags.values_list("slug", flat=True))
        if not set(names) <= current:
            dataset_tags_set(dataset=dataset, by=by, names=sorted(current | set(names)))
            created["tagged datasets"] += 1
    created.update(_access_request_ensure(teams=teams, by_name=datasets))
    return {key: value for key, value in created.items() if value}


def _access_request_ensure(*, teams: dict, by_name: dict) -> dict[str, int]:
    team_name, dataset_name = ACCESS_REQUEST["dataset"]
    team = teams.get(team_name)
    requester = get_user_model().objects.filter(username=ACCESS_REQUEST["requester"]).first()
    dataset = by_name.get((team.pk, dataset_name)) if team is not None else None
    if dataset is None or requester is None:
        return {}
    if AccessRequest.objects.filter(dataset=dataset, requester=requester).exists():
        return {}
    access_request_create(
        dataset=dataset,
        requester=requester,
        purpose=ACCESS_REQUEST["purpose"],
        duration_days=ACCESS_REQUEST["duration_days"],
        columns=ACCESS_REQUEST["columns"],
    )
    return {"access requests": 1}
