"""Student pages: booking, My Requests."""
