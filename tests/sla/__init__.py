"""Tests of the sla app: calendar arithmetic, deadlines, the beat sweep, a real worker."""
