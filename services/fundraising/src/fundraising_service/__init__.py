"""Fundraising service: donations (*dons*), dues (*cotisations*), campaigns, tax receipts."""
