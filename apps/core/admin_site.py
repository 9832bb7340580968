"""The admin app configuration: Django's admin, with Atrium's scoped site as the default site.

Kept apart from admin_base (which imports models) because INSTALLED_APPS loads it early.
"""

from django.contrib.admin.apps import AdminConfig


class AtriumAdminConfig(AdminConfig):
    default_site = "apps.core.admin_base.AtriumAdminSite"
