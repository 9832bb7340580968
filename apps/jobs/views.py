from apps.core.views import ObjectListView, ObjectView
from apps.jobs.models import Job


class JobListView(ObjectListView):
    model = Job
    template_name = "jobs/job_list.html"


class JobView(ObjectView):
    model = Job
    template_name = "jobs/job_detail.html"
