"""The JSON API (both contracts of shared/API.md), thin over scheduling.services."""
