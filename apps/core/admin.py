"""The admin site's look; the scoped base classes live in apps.core.admin_base."""

from django.contrib import admin

admin.site.site_header = "Atrium administration"
admin.site.site_title = "Atrium admin"
admin.site.index_title = "Your teams' objects"
