"""Sign-up and profile pages; login, logout and passwords are Django's own views, with the
login protection of `login_guard` on every way in."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from notifications.services import calendar_feed

from . import login_guard
from .forms import ProfileForm, QueuedPasswordResetForm, SignupForm


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("scheduling:home")
    form = SignupForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome to Mentoring, {user.display_name}!")
        return redirect("scheduling:home")
    return render(request, "accounts/signup.html", {"form": form})


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST if request.method == "POST" else None, instance=request.user)
    if form.is_valid():
        form.save()
        messages.success(request, "Your profile is saved.")
        return redirect("profile")
    feed_url = request.build_absolute_uri(
        reverse("notifications:calendar-feed", args=[calendar_feed(request.user).token])
    )
    context = {
        "form": form,
        "calendar_feed_url": feed_url,
        "calendar_feed_webcal": "webcal://" + feed_url.split("://", 1)[1],
    }
    return render(request, "accounts/profile.html", context)


class LoginView(auth_views.LoginView):
    """Django's login, which also says hello: every action ends with a message."""

    def dispatch(self, request, *args, **kwargs):
        # A logged-in visitor who opens the page is sent home; but a POST is someone logging
        # in, maybe as another user, and must replace the session, never be waved through.
        self.redirect_authenticated_user = request.method in ("GET", "HEAD")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, f"Welcome back, {self.request.user.display_name}.")
        return response

    def form_invalid(self, form):
        if not getattr(self.request, "axes_locked_out", False):
            return super().form_invalid(form)
        # Locked: say so, with the real wait, instead of "wrong password".
        form.errors.clear()
        form.add_error(None, login_guard.login_lock_message(self.request))
        return self.render_to_response(self.get_context_data(form=form), status=429)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset request, counted per address and the account the email names (or the
    email itself: an unknown address is counted and locked exactly like a known one).
    The mail itself is queued, so the answer never waits on the mail server."""

    form_class = QueuedPasswordResetForm

    def form_valid(self, form):
        identity = login_guard.identity_of(form.cleaned_data["email"])
        if login_guard.count_attempt(self.request, identity, login_guard.PASSWORD_RESET):
            return super().form_valid(form)
        message = login_guard.lock_message(self.request, identity, login_guard.PASSWORD_RESET)
        form.add_error(None, message)
        return self.render_to_response(self.get_context_data(form=form), status=429)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Choosing a new password from the emailed link also lifts any login lock: it is the
    rightful owner's way back in."""

    def form_valid(self, form):
        response = super().form_valid(form)
        login_guard.unlock(form.user)
        return response


class LogoutView(auth_views.LogoutView):
    """Django's POST-only logout, confirming it with a message on the page it lands on."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You are logged out. See you soon!")
        return response
