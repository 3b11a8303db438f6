"""Shared runtime of the alumni platform services.

Every service composes the same pieces: settings, structured logging, a Mongo unit of work
that writes the outbox and the inbox in the business transaction, the outbox relay, the
subscriber conventions (ack only after commit, retries with backoff, dead letters), the
request/reply conventions (typed problems, idempotency keys), topology, health and metrics.
"""
