"""Community service: mutual aid (*entraide*), mentoring, jobs, benefits, career outcomes."""
