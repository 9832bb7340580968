"""Follow and unfollow anything followable (a button any page can include), and the list of one's follows."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import TemplateView, View

from apps.community import selectors, services


class FollowToggleView(LoginRequiredMixin, View):
    """Follow or unfollow the object named by `target` ("catalog.dataset:12"); htmx gets the button back."""

    def post(self, request):
        target = selectors.follow_target_get(user=request.user, key=request.POST.get("target", ""))
        try:
            following = services.follow_toggle(user=request.user, target=target)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            following = selectors.is_following(user=request.user, target=target)
        if request.htmx:
            return render(
                request,
                "community/_follow_button.html",
                {
                    "follow_target": target,
                    "follow_key": selectors.follow_key(target),
                    "is_following": following,
                    "follower_count": selectors.follower_count(target=target),
                },
            )
        messages.success(
            request, f"You follow {target} now." if following else f"You no longer follow {target}."
        )
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = (
                target.get_absolute_url() if hasattr(target, "get_absolute_url") else "community:follow_list"
            )
        return redirect(back)


class FollowListView(LoginRequiredMixin, TemplateView):
    """What the signed-in person follows (of what they may still see), with unfollow buttons."""

    template_name = "community/follow_list.html"

    def get_context_data(self, **kwargs):
        page = Paginator(selectors.follow_list(user=self.request.user), 50).get_page(
            self.request.GET.get("page")
        )
        rows = []
        for follow in page.object_list:
            label, icon = selectors.follow_target_label(follow)
            target = follow.target
            rows.append(
                {
                    "follow": follow,
                    "target": target,
                    "label": label,
                    "icon": icon,
                    "key": selectors.follow_key(target) if target is not None else "",
                    "url": target.get_absolute_url() if hasattr(target, "get_absolute_url") else "",
                }
            )
        return super().get_context_data(page_obj=page, rows=rows, **kwargs)
