"""Demo and diagnostic job kinds: they do no real work, they show (and test) the job machinery.

- `jobs.demo_countdown` sleeps for `seconds` in small steps and reports progress;
  its result counts completions, which proves a job's result is stored once.
- `jobs.demo_failure` always fails with a readable message.
"""

from __future__ import annotations

import time

from rest_framework import serializers

from apps.jobs.registry import JobContext, JobError, job_kind

COUNTDOWN_MAX_SECONDS = 600


class CountdownParamsSerializer(serializers.Serializer):
    seconds = serializers.IntegerField(
        min_value=1, max_value=COUNTDOWN_MAX_SECONDS, default=10, help_text="How long the countdown runs."
    )


class FailureParamsSerializer(serializers.Serializer):
    message = serializers.CharField(
        max_length=200,
        required=False,
        default="This diagnostic job always fails.",
        help_text="The error to report.",
    )


@job_kind(
    "jobs.demo_countdown",
    label="Demo countdown",
    time_limit=COUNTDOWN_MAX_SECONDS + 60,
    max_retries=3,
    user_startable=True,
    params_serializer=CountdownParamsSerializer,
    description="Diagnostic: counts down for a number of seconds, reporting progress.",
)
def demo_countdown(context: JobContext) -> dict:
    seconds = max(1, min(COUNTDOWN_MAX_SECONDS, int(context.params.get("seconds", 10))))
    steps = seconds * 4
    # Read when the job was claimed: a finished job is never run again, so this is always 0.
    completions = int((context.job.result or {}).get("completions", 0))
    for step in range(steps):
        context.progress(step * 100 / steps, f"{(steps - step) / 4:.0f} s to go")
        time.sleep(seconds / steps)
    context.progress(100, "Counted down")
    return {"seconds": seconds, "steps": steps, "attempt": context.attempt, "completions": completions + 1}


@job_kind(
    "jobs.demo_failure",
    label="Demo failure",
    time_limit=60,
    max_retries=0,
    user_startable=True,
    params_serializer=FailureParamsSerializer,
    description="Diagnostic: fails at once with a readable error, to check how failures look.",
)
def demo_failure(context: JobContext) -> dict:
    context.progress(50, "About to fail")
    raise JobError(str(context.params.get("message") or "This diagnostic job always fails."))
