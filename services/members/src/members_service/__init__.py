"""Members service: the register of alumni, by cohort (*promotion*)."""
