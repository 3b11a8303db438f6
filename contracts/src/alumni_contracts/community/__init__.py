"""Contracts of the community service: mutual aid (*entraide*), mentoring, jobs, benefits,
career-outcome surveys."""
