"""Educator pages: dashboard, Manage Availability, Session Requests, courses."""
