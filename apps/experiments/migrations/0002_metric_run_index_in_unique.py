"""Metric.run and LatestMetric.run lose their own index: each unique constraint's index starts with
run and serves every lookup by run, and the extra index cost every logged point one more insert.

Only the index is dropped (the same statement on SQLite and PostgreSQL): letting AlterField do it
would rebuild the tables on SQLite and re-validate the foreign keys of every stored point on
PostgreSQL.
"""

import django.db.models.deletion
from django.db import migrations, models

INDEXES = ["experiments_latestmetric_run_id_f0d26b4e", "experiments_metric_run_id_3fea1165"]


class Migration(migrations.Migration):
    dependencies = [
        ("experiments", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    [f'DROP INDEX IF EXISTS "{name}"' for name in INDEXES],
                    reverse_sql=[
                        f'CREATE INDEX "{name}" ON "{name.rsplit("_run_id", 1)[0]}" ("run_id")'
                        for name in INDEXES
                    ],
                )
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="latestmetric",
                    name="run",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="latest_metrics",
                        to="experiments.run",
                    ),
                ),
                migrations.AlterField(
                    model_name="metric",
                    name="run",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="metrics",
                        to="experiments.run",
                    ),
                ),
            ],
        ),
    ]
