"""URLconf for the search tests: the portal's, plus stand-ins for experiment and registry pages that
are not mounted yet (search indexes only objects that have a page to link to)."""

from django.http import HttpResponse
from django.urls import NoReverseMatch, include, path, reverse

import portal.urls


def _page(request, **kwargs):
    return HttpResponse("page")


def _missing(name: str, **kwargs) -> bool:
    try:
        reverse(name, kwargs=kwargs, urlconf=portal.urls)
    except NoReverseMatch:
        return True
    return False


urlpatterns = []
if _missing("experiments:experiment_detail", pk=1):
    pages = [
        path("<int:pk>/", _page, name="experiment_detail"),
        path("runs/<str:uuid>/", _page, name="run_detail"),
    ]
    urlpatterns.append(path("test-experiments/", include((pages, "experiments"))))
if _missing("registry:model_detail", pk=1):
    pages = [path("<int:pk>/", _page, name="model_detail")]
    urlpatterns.append(path("test-models/", include((pages, "registry"))))
urlpatterns.append(path("", include("portal.urls")))
