"""Contracts of the members service."""
