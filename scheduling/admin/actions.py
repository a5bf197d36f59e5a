"""What the change lists' actions share: each object through the services, one
message per refusal, and a form for the reason an action asks."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import render

from ..errors import BookingError

# Short, zoned times for change lists ("Mon 23 Nov, 10:00 GMT"): the staff member's own
# timezone is active, and the zone is said, so a time is never ambiguous.
SHORT = "D j M, H:i"


def run_each(modeladmin, request, objects, action, label: str) -> None:
    """Apply a service to each object; report what worked and each refusal."""
    done = 0
    for obj in objects:
        try:
            action(obj)
        except BookingError as error:
            modeladmin.message_user(request, f"{obj}: {error.message}", messages.ERROR)
        else:
            done += 1
    if done:
        modeladmin.message_user(request, f"{label}: {done}.", messages.SUCCESS)


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


def with_reason(modeladmin, request, queryset, *, title: str, required: bool, apply):
    """Ask for a reason on an intermediate page, then apply the action with it."""
    form = ReasonForm(request.POST if "apply" in request.POST else None)
    form.fields["reason"].required = required
    if form.is_valid():
        reason = form.cleaned_data["reason"]
        run_each(modeladmin, request, queryset, lambda obj: apply(obj, reason), title)
        return None
    return render(
        request,
        "admin/scheduling/reason_action.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "objects": queryset,
            "form": form,
            "action": request.POST.get("action"),
            "opts": modeladmin.model._meta,
        },
    )


# ---------------------------------------------------------------- courses
