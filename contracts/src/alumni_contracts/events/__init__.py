"""Contracts of the events service."""
