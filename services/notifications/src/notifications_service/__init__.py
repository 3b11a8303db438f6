"""Notifications service: email (SMTP), in-app feed, newsletters, partner webhooks."""
