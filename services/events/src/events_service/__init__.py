"""Events service: gatherings (reunions, conferences, afterworks), invitations, RSVP."""
