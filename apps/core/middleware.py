"""Request metrics for /metrics: counts and latencies by view and status."""

import time

from prometheus_client import Counter, Histogram

REQUESTS = Counter("atrium_http_requests_total", "HTTP requests served", ["method", "view", "status"])
LATENCY = Histogram(
    "atrium_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "view"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


class PrometheusMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = match.view_name if match and match.view_name else "unmatched"
        LATENCY.labels(request.method, view).observe(time.perf_counter() - started)
        REQUESTS.labels(request.method, view, str(response.status_code)).inc()
        return response
