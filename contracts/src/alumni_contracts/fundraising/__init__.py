"""Contracts of the fundraising service."""
