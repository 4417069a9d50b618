"""What a run reads besides its config: loan tapes, sample tapes, and the
shipped data tables (foreclosure timelines by state)."""
